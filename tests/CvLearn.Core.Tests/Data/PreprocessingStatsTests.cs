using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

public class PreprocessingStatsTests
{
    /// <summary>n random images of (c, h, w) with per-feature offsets, scales and correlations, values around <paramref name="offset"/>.</summary>
    private static LabeledImages Correlated(int n, int c, int h, int w, int seed, float offset)
    {
        var rng = new Random(seed);
        int d = c * h * w;
        var px = new float[n * d];
        for (int s = 0; s < n; s++)
        {
            double common = rng.NextDouble() * 4;
            for (int i = 0; i < d; i++)
                px[s * d + i] = (float)(offset + i + (i % 3 + 1) * (rng.NextDouble() * 10) + common * (i % 2 == 0 ? 3 : -1));
        }
        return new LabeledImages(px, new int[n], c, h, w, 2);
    }

    private static double[] MeanOf(LabeledImages x)
    {
        var m = new double[x.SampleSize];
        for (int s = 0; s < x.Count; s++) for (int i = 0; i < m.Length; i++) m[i] += x.Pixels[s * m.Length + i];
        for (int i = 0; i < m.Length; i++) m[i] /= x.Count;
        return m;
    }

    private static double[] CovarianceOf(LabeledImages x)
    {
        int d = x.SampleSize;
        double[] m = MeanOf(x);
        var cov = new double[d * d];
        for (int s = 0; s < x.Count; s++)
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                    cov[i * d + j] += (x.Pixels[s * d + i] - m[i]) * (x.Pixels[s * d + j] - m[j]);
        for (int i = 0; i < cov.Length; i++) cov[i] /= x.Count;
        return cov;
    }

    [Fact]
    public void MeanComesFromTrainingSplitOnly()
    {
        var train = Correlated(200, 1, 2, 3, 1, offset: 0);
        var validation = Correlated(100, 1, 2, 3, 2, offset: 1000);   // very different distribution
        var stats = PreprocessingStats.Fit(train);
        double[] trainMean = MeanOf(train);
        for (int i = 0; i < trainMean.Length; i++) Assert.Equal(trainMean[i], stats.Mean[i], 3);

        // Applied to train: zero mean. Applied to validation: shifted by ~1000, proving the train mean was used.
        Assert.All(MeanOf(stats.Apply(train)), m => Assert.True(Math.Abs(m) < 1e-3));
        Assert.All(MeanOf(stats.Apply(validation)), m => Assert.True(m > 900));
    }

    [Fact]
    public void PerChannelMeanAndStdNormaliseEachChannel()
    {
        var train = Correlated(300, 3, 2, 2, 3, offset: 50);
        var stats = PreprocessingStats.Fit(train, new PreprocessingOptions { Mean = StatisticMode.PerChannel, Std = StatisticMode.PerChannel });
        Assert.Equal(3, stats.Mean.Length);
        Assert.Equal(3, stats.Std.Length);
        var output = stats.Apply(train);
        for (int ch = 0; ch < 3; ch++)
        {
            double sum = 0, sq = 0;
            int count = 0;
            for (int s = 0; s < output.Count; s++)
                for (int j = 0; j < 4; j++) { double v = output.Pixels[s * 12 + ch * 4 + j]; sum += v; sq += v * v; count++; }
            Assert.Equal(0, sum / count, 3);
            Assert.Equal(1, sq / count, 3);
        }
    }

    [Fact]
    public void PerPixelStdGuardsConstantPixels()
    {
        var px = new float[40];
        for (int s = 0; s < 20; s++) { px[2 * s] = 7; px[2 * s + 1] = s; }   // pixel 0 is constant
        var train = new LabeledImages(px, new int[20], 1, 1, 2, 1);
        var stats = PreprocessingStats.Fit(train, new PreprocessingOptions { Std = StatisticMode.PerPixel });
        Assert.Equal(1f, stats.Std[0]);
        var output = stats.Apply(train);
        Assert.All(output.Pixels, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0f, output.Pixels[0]);
    }

    [Fact]
    public void WhiteningGivesIdentityCovarianceOnTrainData()
    {
        var train = Correlated(2000, 1, 3, 4, 5, offset: 10);
        var stats = PreprocessingStats.Fit(train, new PreprocessingOptions { Whiten = true, Epsilon = 1e-9 });
        var output = stats.Apply(train);
        Assert.Equal([12, 1, 1], output.ImageShape);
        double[] cov = CovarianceOf(output);
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
                Assert.True(Math.Abs(cov[i * 12 + j] - (i == j ? 1 : 0)) < 1e-3, $"cov[{i},{j}] = {cov[i * 12 + j]}");
    }

    [Fact]
    public void PcaKeepsTopComponentsDecorrelatedWithEigenvalueVariances()
    {
        var train = Correlated(1500, 1, 2, 5, 6, offset: 0);
        var stats = PreprocessingStats.Fit(train, new PreprocessingOptions { PcaComponents = 4 });
        var output = stats.Apply(train);
        Assert.Equal([4, 1, 1], stats.OutputShape);
        double[] cov = CovarianceOf(output);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double expected = i == j ? stats.Eigenvalues[i] : 0;
                Assert.True(Math.Abs(cov[i * 4 + j] - expected) < 1e-3 * stats.Eigenvalues[0], $"cov[{i},{j}] = {cov[i * 4 + j]}, expected {expected}");
            }
        // The top component carries the most variance of all directions: more than any single input pixel.
        double[] inCov = CovarianceOf(train);
        for (int i = 0; i < 10; i++) Assert.True(stats.Eigenvalues[0] >= inCov[i * 10 + i]);
    }

    [Fact]
    public void RejectsPcaWithoutPerPixelMeanAndTooManyComponents()
    {
        var train = Correlated(10, 1, 2, 2, 1, 0);
        Assert.Throws<ArgumentException>(() => PreprocessingStats.Fit(train, new PreprocessingOptions { Mean = StatisticMode.PerChannel, PcaComponents = 2 }));
        var ex = Assert.Throws<ArgumentException>(() => PreprocessingStats.Fit(train, new PreprocessingOptions { PcaComponents = 5 }));
        Assert.Contains("only 4", ex.Message);
    }

    [Fact]
    public void ApplyRejectsOtherImageShape()
    {
        var stats = PreprocessingStats.Fit(Correlated(10, 1, 2, 2, 1, 0));
        Assert.Throws<ArgumentException>(() => stats.Apply(Correlated(10, 1, 2, 3, 1, 0)));
    }

    [Fact]
    public void ApplyDoesNotModifyInput()
    {
        var train = Correlated(10, 1, 2, 2, 1, 5);
        float[] before = (float[])train.Pixels.Clone();
        PreprocessingStats.Fit(train).Apply(train);
        Assert.Equal(before, train.Pixels);
    }

    [Fact]
    public void ApplyInPlaceGivesApplysValuesInTheSameArraysAndFallsBackToACopyForProjections()
    {
        var train = Correlated(40, 3, 2, 2, 4, offset: 20);
        var stats = PreprocessingStats.Fit(train, new PreprocessingOptions { Mean = StatisticMode.PerChannel, Std = StatisticMode.PerChannel });
        var copy = stats.Apply(train);
        var own = train.Subset(Enumerable.Range(0, train.Count).ToArray());
        float[] ownPixels = own.Pixels;

        var inPlace = stats.ApplyInPlace(own);

        Assert.Same(ownPixels, inPlace.Pixels);
        Assert.Equal(copy.Pixels, inPlace.Pixels); // bitwise: the same kernel on the same values
        Assert.Equal(copy.Labels, inPlace.Labels);

        var pca = PreprocessingStats.Fit(train, new PreprocessingOptions { Mean = StatisticMode.PerPixel, PcaComponents = 3 });
        var before = (float[])train.Pixels.Clone();
        var projected = pca.ApplyInPlace(train);
        Assert.Equal(40 * 3, projected.Pixels.Length);
        Assert.Equal(before, train.Pixels); // a projection changes the size: a new set, the input untouched
    }

    [Fact]
    public void SameTransform_ComparesOptionsShapeAndValues()
    {
        var data = Correlated(60, 1, 2, 3, seed: 3, offset: 10);
        var options = new PreprocessingOptions { Std = StatisticMode.PerChannel, PcaComponents = 3 };
        var a = PreprocessingStats.Fit(data, options);
        var copy = new PreprocessingStats(a.Options, a.Channels, a.Height, a.Width, (float[])a.Mean.Clone(), (float[])a.Std.Clone(),
            (float[])a.Components.Clone(), (double[])a.Eigenvalues.Clone());
        Assert.True(a.SameTransform(copy)); // another copy of the same statistics, as each checkpoint carries
        Assert.True(a.SameTransform(a));
        Assert.False(a.SameTransform(null));
        Assert.False(a.SameTransform(PreprocessingStats.Fit(data, options with { PcaComponents = 2 })));
        Assert.False(a.SameTransform(PreprocessingStats.Fit(Correlated(60, 1, 2, 3, seed: 4, offset: 10), options)));
        var mean = (float[])a.Mean.Clone();
        mean[0] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(mean[0]) + 1); // one ulp
        Assert.False(a.SameTransform(new PreprocessingStats(a.Options, a.Channels, a.Height, a.Width, mean, a.Std, a.Components, a.Eigenvalues)));
        Assert.False(a.SameTransform(new PreprocessingStats(a.Options, a.Channels, 3, 2, a.Mean, a.Std, a.Components, a.Eigenvalues)));
    }
}
