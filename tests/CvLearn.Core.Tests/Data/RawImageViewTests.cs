using CvLearn.Core.Data;
using CvLearn.Core.Optim;
using CvLearn.Core.Tests.Training.TestDoubles;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Data;

/// <summary>
/// A training split read through a view of its bytes holds, bit for bit, what the materialized float split held:
/// conversion, statistics, normalization, projection and a whole training run.
/// </summary>
public class RawImageViewTests
{
    /// <summary>n images of 3×4×4 (more than one 256-image chunk of the statistics), seeded bytes over 0–255, labels i mod 5.</summary>
    private static RawImages Sample(int n = 700, int seed = 4)
    {
        var px = new byte[n * 48];
        new Random(seed).NextBytes(px);
        px[0] = 0;
        px[1] = 255;
        return new RawImages(px, Enumerable.Range(0, n).Select(i => i % 5).ToArray(), 3, 4, 4, 5);
    }

    private static float[] Read(IImageSet set, int start, int count)
    {
        var x = new float[count * set.SampleSize];
        set.CopyImages(start, count, x);
        return x;
    }

    private static float[] Read(IImageSet set, int[] indices)
    {
        var x = new float[indices.Length * set.SampleSize];
        set.CopyImages(indices, x);
        return x;
    }

    public static TheoryData<string> Preprocessings => ["none", "pixel-mean", "pixel-std", "channel-std", "pca", "whiten"];

    private static PreprocessingOptions Options(string name) => name switch
    {
        "none" => PreprocessingOptions.Identity,
        "pixel-mean" => PreprocessingOptions.Default,
        "pixel-std" => new() { Mean = StatisticMode.PerPixel, Std = StatisticMode.PerPixel },
        "channel-std" => new() { Mean = StatisticMode.PerChannel, Std = StatisticMode.PerChannel },
        "pca" => new() { Std = StatisticMode.PerChannel, PcaComponents = 10 },
        "whiten" => new() { PcaComponents = 12, Whiten = true },
        _ => throw new ArgumentException(name),
    };

    [Fact]
    public void WithoutStatistics_ItReadsTheBytesAsTheirFloats()
    {
        var raw = Sample();
        var (trainIdx, _) = DataSplit.Indices(raw.Count, 100, seed: 2, trainLimit: 450);
        var view = new RawImageView(raw, trainIdx);
        var floats = raw.Subset(trainIdx);

        Assert.Equal(floats.Labels, view.Labels);
        Assert.Equal((floats.Count, floats.Channels, floats.Height, floats.Width, floats.Classes), (view.Count, view.Channels, view.Height, view.Width, view.Classes));
        Assert.Equal(floats.Pixels, Read(view, 0, view.Count));
        Assert.Equal(Read(floats, 17, 40), Read(view, 17, 40));
        int[] order = [449, 0, 3, 3, 200, 1];
        Assert.Equal(Read(floats, order), Read(view, order));
        Assert.Equal(floats.Pixels, view.ToLabeledImages().Pixels);
        Assert.Equal(raw.ToLabeledImages().Pixels, Read(new RawImageView(raw), 0, raw.Count)); // no indices: every image
    }

    [Theory]
    [MemberData(nameof(Preprocessings))]
    public void StatisticsFittedOnTheView_AreThoseOfTheFloats(string preprocessing)
    {
        var raw = Sample();
        var (trainIdx, _) = DataSplit.Indices(raw.Count, 100, seed: 5);
        var fromView = PreprocessingStats.Fit(new RawImageView(raw, trainIdx), Options(preprocessing));
        var fromFloats = PreprocessingStats.Fit(raw.Subset(trainIdx), Options(preprocessing));
        Assert.Equal(fromFloats.Mean, fromView.Mean);
        Assert.Equal(fromFloats.Std, fromView.Std);
        Assert.Equal(fromFloats.Components, fromView.Components);
        Assert.Equal(fromFloats.Eigenvalues, fromView.Eigenvalues);
        Assert.Equal(fromFloats.Apply(raw.Subset(trainIdx)).Pixels, fromFloats.Apply(new RawImageView(raw, trainIdx)).Pixels);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("pixel-mean")]
    [InlineData("pixel-std")]
    [InlineData("channel-std")]
    public void NormalizedAsRead_BitForBitTheSplitNormalizedInPlace(string preprocessing)
    {
        var raw = Sample();
        var (trainIdx, _) = DataSplit.Indices(raw.Count, 100, seed: 7, trainLimit: 500);
        var stats = PreprocessingStats.Fit(raw.Subset(trainIdx), Options(preprocessing));
        var expected = stats.ApplyInPlace(raw.Subset(trainIdx));
        var view = new RawImageView(raw, trainIdx).WithPreprocessing(stats);

        Assert.Same(stats, view.Preprocessing);
        Assert.Equal(expected.Pixels, Read(view, 0, view.Count));
        Assert.Equal(Read(expected, 99, 130), Read(view, 99, 130));
        int[] order = [5, 499, 5, 0, 250];
        Assert.Equal(Read(expected, order), Read(view, order));
        Assert.Equal(expected.Pixels, view.ToLabeledImages().Pixels);
        if (preprocessing != "none") Assert.NotEqual(raw.Subset(trainIdx).Pixels, expected.Pixels); // the statistics did something
    }

    [Fact]
    public async Task TrainingOnTheView_IsTrainingOnTheMaterializedSplit()
    {
        var raw = Sample(400);
        var (trainIdx, valIdx) = DataSplit.Indices(raw.Count, 80, seed: 1);
        var stats = PreprocessingStats.Fit(raw.Subset(trainIdx), new PreprocessingOptions { Std = StatisticMode.PerChannel });
        var validation = stats.ApplyInPlace(raw.Subset(valIdx));

        async Task<(float[] Weights, IReadOnlyList<EpochRecord> History)> Train(IImageSet train)
        {
            var net = TestProblems.LinearSoftmax(3, 4, 4, 5, seed: 3);
            var options = new SolverOptions { Epochs = 3, BatchSize = 32, LearningRate = 1e-2, Seed = 9, EmaDecay = 0.9, TrainAccuracySample = 100 };
            var solver = new Solver(net, UpdateRules.Create("adam"), LearningRateSchedules.Parse("constant"), train, validation, options);
            var result = await solver.RunAsync(null, null, CancellationToken.None);
            Assert.Equal(SolverStatus.Completed, result.Status);
            return (net.Parameters.Values.ToArray(), result.History.Select(r => r with { Seconds = 0 }).ToList());
        }

        var fromFloats = await Train(stats.ApplyInPlace(raw.Subset(trainIdx)));
        var fromView = await Train(new RawImageView(raw, trainIdx, stats));
        Assert.Equal(fromFloats.Weights, fromView.Weights);
        Assert.Equal(fromFloats.History, fromView.History);
    }

    [Fact]
    public void BadInput_IsRefusedWithTheReason()
    {
        var raw = Sample(20);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RawImageView(raw, [0, 20]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RawImageView(raw, [-1]));
        var pca = PreprocessingStats.Fit(raw.ToLabeledImages(), new PreprocessingOptions { PcaComponents = 4 });
        Assert.Contains("projection", Assert.Throws<ArgumentException>(() => new RawImageView(raw, null, pca)).Message);
        var otherShape = PreprocessingStats.Fit(new RawImages(new byte[20 * 48], new int[20], 1, 6, 8, 5).ToLabeledImages());
        Assert.Contains("fitted on (1, 6, 8)", Assert.Throws<ArgumentException>(() => new RawImageView(raw, null, otherShape)).Message);

        var normalized = new RawImageView(raw).WithPreprocessing(PreprocessingStats.Fit(raw.ToLabeledImages()));
        Assert.Contains("already preprocessed", Assert.Throws<ArgumentException>(() => PreprocessingStats.Fit(normalized)).Message);
        Assert.Contains("already preprocessed", Assert.Throws<ArgumentException>(() => pca.Apply(normalized)).Message);

        var view = new RawImageView(raw, [3, 4, 5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => view.CopyImages(2, 2, new float[96]));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.CopyImages(-1, 1, new float[48]));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.CopyImages([3], new float[48])); // index into the view, not the source
        Assert.Contains("are needed", Assert.Throws<ArgumentException>(() => view.CopyImages(0, 2, new float[95])).Message);
        var floats = raw.ToLabeledImages();
        Assert.Throws<ArgumentOutOfRangeException>(() => floats.CopyImages(19, 2, new float[96]));
        Assert.Contains("are needed", Assert.Throws<ArgumentException>(() => floats.CopyImages([0, 1], new float[50])).Message);
    }
}
