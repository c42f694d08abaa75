using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

/// <summary>Byte-stored images: every way of taking float images from them matches converting everything first.</summary>
public class RawImagesTests
{
    /// <summary>n images of 1×2×3 with seeded bytes covering 0–255, labels i mod 4.</summary>
    private static RawImages Sample(int n, int seed = 3)
    {
        var px = new byte[n * 6];
        new Random(seed).NextBytes(px);
        px[0] = 0;
        px[1] = 255;
        return new RawImages(px, Enumerable.Range(0, n).Select(i => i % 4).ToArray(), 1, 2, 3, 4);
    }

    [Fact]
    public void ConvertsEveryByteToItsExactValue()
    {
        var raw = Sample(50);
        var all = raw.ToLabeledImages();
        Assert.Equal(raw.Pixels.ToArray().Select(b => (float)b), all.Pixels);
        Assert.Equal(raw.Labels, all.Labels);
        Assert.Equal([1, 2, 3], all.ImageShape);
        Assert.Equal(raw.ClassNames, all.ClassNames);
        Assert.Equal(all.Pixels.AsSpan(0, 7 * 6).ToArray(), raw.Take(7).Pixels);
        Assert.Equal(50, raw.Take(500).Count);
    }

    [Fact]
    public void ASplitOfBytesIsTheSplitOfTheirFloats()
    {
        var raw = Sample(300);
        var fromBytes = DataSplit.TrainValidation(raw, 40, seed: 9, trainLimit: 200);
        var fromFloats = DataSplit.TrainValidation(raw.ToLabeledImages(), 40, seed: 9, trainLimit: 200);
        Assert.Equal(fromFloats.TrainIndices, fromBytes.TrainIndices);
        Assert.Equal(fromFloats.ValidationIndices, fromBytes.ValidationIndices);
        Assert.Equal(fromFloats.Train.Pixels, fromBytes.Train.Pixels);
        Assert.Equal(fromFloats.Validation.Pixels, fromBytes.Validation.Pixels);
        Assert.Equal(fromFloats.Validation.Labels, fromBytes.Validation.Labels);
        Assert.Equal(fromFloats.ValidationIndices, DataSplit.Indices(300, 40, 9, 200).Validation);
    }

    [Fact]
    public void RejectsInconsistentInput()
    {
        Assert.Contains("do not match", Assert.Throws<ArgumentException>(() => new RawImages(new byte[11], [0, 1], 1, 2, 3, 4)).Message);
        Assert.Contains("outside [0, 4)", Assert.Throws<ArgumentException>(() => new RawImages(new byte[6], [4], 1, 2, 3, 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample(5).Subset([5]));
    }
}
