using CvLearn.Core.Data;
using CvLearn.Core.Tests.Data;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Training;

/// <summary>Consecutive trials with the same data settings share one preparation; any difference prepares afresh.</summary>
public sealed class PreparedDataCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public PreparedDataCacheTests() => LearnableIdxDataset.Write(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private TrainingJobSpec Spec(int splitSeed = 3, int? trainLimit = null) => new()
    {
        Dataset = "fashion-mnist", DataDir = _dir.Path, Validation = 100, SplitSeed = splitSeed, TrainLimit = trainLimit, Model = "fc:16",
        LearningRate = 1e-3, Seed = 1,
    };

    [Fact]
    public async Task SameDataSettings_ReuseThePreparation_OtherSettingsDoNot()
    {
        var a = await PreparedData.PrepareAsync(Spec(), CancellationToken.None);
        var b = await PreparedData.PrepareAsync(Spec() with { LearningRate = 1e-2, Seed = 9, Model = "fc:32" }, CancellationToken.None);
        Assert.Same(a, b); // hyperparameters of the model do not change the data

        var otherSplit = await PreparedData.PrepareAsync(Spec(splitSeed: 4), CancellationToken.None);
        Assert.NotSame(a, otherSplit);
        Assert.NotEqual(a.Validation.Labels, otherSplit.Validation.Labels);

        var limited = await PreparedData.PrepareAsync(Spec(trainLimit: 200), CancellationToken.None);
        Assert.Equal(200, limited.Train.Count);
        var noStd = await PreparedData.PrepareAsync(Spec() with { Preprocessing = Core.Data.PreprocessingOptions.Default }, CancellationToken.None);
        Assert.NotSame(a, noStd);
    }

    [Fact]
    public async Task TheTrainingSplitStaysBytes_UnlessAProjectionChangesItsSize()
    {
        var spec = Spec(trainLimit: 300) with { Preprocessing = new Core.Data.PreprocessingOptions { Std = Core.Data.StatisticMode.PerChannel } };
        var data = await PreparedData.PrepareAsync(spec, CancellationToken.None);
        var view = Assert.IsType<Core.Data.RawImageView>(data.Train);
        Assert.Same(data.Stats, view.Preprocessing);

        // What the float path computes: the split's floats, statistics fitted on them, normalized in place.
        var raw = await PreparedData.LoadAsync("fashion-mnist", _dir.Path, CancellationToken.None);
        var split = Core.Data.DataSplit.TrainValidation(raw.Train, 100, seed: 3, trainLimit: 300);
        var stats = Core.Data.PreprocessingStats.Fit(split.Train, spec.Preprocessing);
        Assert.Equal(stats.Mean, data.Stats.Mean);
        Assert.Equal(stats.Std, data.Stats.Std);
        Assert.Equal(stats.ApplyInPlace(split.Train).Pixels, data.Train.ToLabeledImages().Pixels);
        Assert.Equal(split.Train.Labels, data.Train.Labels);
        Assert.Equal(stats.ApplyInPlace(split.Validation).Pixels, data.Validation.Pixels);

        var pca = await PreparedData.PrepareAsync(spec with { Preprocessing = new Core.Data.PreprocessingOptions { PcaComponents = 8 } }, CancellationToken.None);
        var projected = Assert.IsType<Core.Data.LabeledImages>(pca.Train);
        Assert.Equal([8, 1, 1], projected.ImageShape);
        Assert.Equal(300, projected.Count);
    }
}
