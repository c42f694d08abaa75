using CvLearn.Core.Tests.Data;

namespace CvLearn.Core.Tests.Training;

/// <summary>
/// A tiny Fashion-MNIST-format dataset on disk whose classes are learnable: each class lights a different 7×7
/// block of the 28×28 image, on top of seeded noise. Lets tests run the real data path (IDX reader, resolver,
/// split, preprocessing) end to end in well under a second.
/// </summary>
internal static class LearnableIdxDataset
{
    public static void Write(string dir, int trainCount = 600, int testCount = 200, int seed = 5)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        byte[] trainLabels = Enumerable.Range(0, trainCount).Select(_ => (byte)rng.Next(10)).ToArray();
        byte[] testLabels = Enumerable.Range(0, testCount).Select(_ => (byte)rng.Next(10)).ToArray();
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Images(trainCount, 28, 28, Pixels(trainLabels, rng))));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Labels(trainCount, i => trainLabels[i])));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Images(testCount, 28, 28, Pixels(testLabels, rng))));
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Labels(testCount, i => testLabels[i])));
    }

    /// <summary>Pixel function for IdxFiles.Images: the argument is the flat pixel index over all images.</summary>
    private static Func<int, byte> Pixels(byte[] labels, Random rng) => flat =>
    {
        int image = flat / 784, p = flat % 784, row = p / 28, col = p % 28;
        int label = labels[image];
        int blockRow = label / 4 * 7, blockCol = label % 4 * 7;
        bool lit = row >= blockRow && row < blockRow + 7 && col >= blockCol && col < blockCol + 7;
        return (byte)Math.Clamp((lit ? 170 : 40) + rng.Next(-40, 41), 0, 255);
    };
}
