using CvLearn.Core.Data;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;

namespace CvLearn.Core.Tests.Training.TestDoubles;

/// <summary>Small models and data sets for Solver tests.</summary>
internal static class TestProblems
{
    /// <summary>
    /// A linear softmax classifier on (channels, h, w) inputs with small seeded random weights; optionally preceded
    /// by a <see cref="SeedRecorder"/>.
    /// </summary>
    public static Network<float> LinearSoftmax(int channels, int h, int w, int classes, int seed, SeedRecorder? recorder = null)
    {
        var set = new ParameterSet<float>();
        var layers = new List<ILayer<float>>();
        if (recorder is not null) layers.Add(recorder);
        layers.Add(new LinearLayer("fc", set, channels * h * w, classes));
        var net = new Network<float>(set, layers, new SoftmaxCrossEntropy(), [channels, h, w], classes);
        var rng = new Random(seed);
        var values = set.Values;
        foreach (var p in set.Parameters)
            if (p.Role == ParameterRole.Weight)
                for (int i = p.Offset; i < p.Offset + p.Length; i++) values[i] = (float)(0.01 * (rng.NextDouble() * 2 - 1));
        return net;
    }

    /// <summary>
    /// Gaussian blobs: class k is centred at a random point of scale <paramref name="separation"/>, plus unit noise.
    /// Large separation makes the classes linearly separable.
    /// </summary>
    public static LabeledImages Blobs(int count, int classes, int channels, int h, int w, double separation, int seed)
    {
        var rng = new Random(seed);
        int d = channels * h * w;
        var centres = new double[classes, d];
        for (int k = 0; k < classes; k++)
            for (int j = 0; j < d; j++) centres[k, j] = separation * (rng.NextDouble() * 2 - 1);
        var pixels = new float[count * d];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k = i % classes;
            labels[i] = k;
            for (int j = 0; j < d; j++) pixels[i * d + j] = (float)(centres[k, j] + Gaussian(rng));
        }
        return new LabeledImages(pixels, labels, channels, h, w, classes);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
