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
}
