using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Tests.Data;
using CvLearn.Core.Tests.Training;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Ensembles;

/// <summary>
/// Validation predictions recorded in checkpoints by training (<see cref="Checkpoint.ValidationPredictions"/>) and
/// ensembles scored from them: they must be exactly what evaluating the loaded checkpoint computes, so that an
/// ensemble built without the dataset is the same ensemble.
/// </summary>
public sealed class StoredPredictionsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public StoredPredictionsTests() => LearnableIdxDataset.Write(_dir.Path);

    public void Dispose() => _dir.Dispose();

    /// <summary>A data directory whose dataset files are garbage: any attempt to read the dataset fails.</summary>
    private string UnreadableDataDir()
    {
        string dir = _dir.File("garbage");
        LearnableIdxDataset.Write(dir);
        foreach (string f in Directory.GetFiles(dir)) File.WriteAllText(f, "not a dataset");
        return dir;
    }

    private TrainingJobSpec Spec(int seed, string model = "fc:16", PreprocessingOptions? preprocessing = null) => new()
    {
        Dataset = "fashion-mnist",
        DataDir = _dir.Path,
        Validation = 300, // the classifier scores it in two batches (256 + 44), training in one: results must not depend on that
        Model = model,
        LearningRate = 1e-3,
        Epochs = 2,
        BatchSize = 32,
        Seed = seed,
        Preprocessing = preprocessing ?? TrainingJobSpec.DefaultPreprocessing,
    };

    /// <summary>Every epoch's checkpoint, read back through bytes as the master reads them from storage.</summary>
    private static async Task<List<Checkpoint>> TrainAsync(TrainingJobSpec spec)
    {
        var checkpoints = new List<Checkpoint>();
        var job = new TrainingJob(spec)
        {
            OnEpoch = (outcome, _) =>
            {
                checkpoints.Add(CheckpointFile.FromBytes(CheckpointFile.ToBytes(outcome.Checkpoint)));
                return ValueTask.FromResult(EpochDecision.Continue);
            },
        };
        await job.RunAsync(CancellationToken.None);
        return checkpoints;
    }

    private async Task<NamedCheckpoint[]> MembersAsync(params int[] seeds)
    {
        var members = new NamedCheckpoint[seeds.Length];
        for (int i = 0; i < seeds.Length; i++) members[i] = new NamedCheckpoint($"seed{seeds[i]}", (await TrainAsync(Spec(seeds[i])))[^1]);
        return members;
    }

    public static TheoryData<string, int> Models => new() { { "fc:16", 0 }, { "conv:4-pool-fc8", 0 }, { "fc:16", 20 } };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task EachEpochsCheckpointCarriesExactlyWhatEvaluatingItComputes(string model, int pca)
    {
        var preprocessing = pca > 0 ? TrainingJobSpec.DefaultPreprocessing with { PcaComponents = pca } : null;
        var checkpoints = await TrainAsync(Spec(3, model, preprocessing));
        Assert.Equal(2, checkpoints.Count);
        Assert.NotEqual(checkpoints[0].ValidationPredictions!.Probabilities, checkpoints[1].ValidationPredictions!.Probabilities); // each epoch its own
        foreach (var cp in checkpoints)
        {
            var stored = Assert.IsType<ValidationPredictions>(cp.ValidationPredictions);
            Assert.Equal(300, stored.Count);
            Assert.Equal(10, stored.Classes);
            var recomputed = await CheckpointEnsemble.EvaluateAsync([new NamedCheckpoint("m", cp)], EvaluationSplit.Validation,
                new CheckpointEnsembleOptions { DataDir = _dir.Path, UseStoredPredictions = false, Greedy = false });
            Assert.Equal(recomputed.Labels, stored.Labels);
            Assert.True(recomputed.Probabilities[0].AsSpan().SequenceEqual(stored.Probabilities),
                $"{recomputed.Probabilities[0].Where((v, i) => v != stored.Probabilities[i]).Count()} stored probabilities differ from the recomputed ones");
            // And the accuracy they give is the epoch's reported validation accuracy.
            double valAcc = double.Parse(cp.Metadata[TrainingCheckpoint.Keys.ValAccuracy], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(valAcc, ClassificationMetrics.Accuracy(stored.Probabilities, 10, stored.Labels), 12);
        }
    }

    [Fact]
    public async Task EnsemblesFromStoredPredictionsEqualRecomputedOnesAndNeedNoDataset()
    {
        var members = await MembersAsync(1, 2, 3);
        var options = new CheckpointEnsembleOptions { DataDir = _dir.Path, TopK = 2, GreedyMaxSize = 5 };
        var recomputed = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options with { UseStoredPredictions = false });

        // A data directory whose dataset cannot be read: scoring from the stored predictions does not touch it.
        string missing = UnreadableDataDir();
        var stored = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options with { DataDir = missing });
        Assert.Equal(recomputed.Members, stored.Members);
        Assert.Equal(recomputed.TopKAccuracy, stored.TopKAccuracy);
        Assert.Equal(recomputed.Greedy!.Selection.Order, stored.Greedy!.Selection.Order);
        Assert.Equal(recomputed.Greedy.ValidationAccuracy, stored.Greedy.ValidationAccuracy);
        Assert.Equal(recomputed.Labels, stored.Labels);
        await Assert.ThrowsAsync<DatasetFormatException>(() =>
            CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options with { DataDir = missing, UseStoredPredictions = false }));
    }

    [Fact]
    public async Task TheStoredPredictionsAreWhatIsScored()
    {
        var members = await MembersAsync(1, 2);
        var p = members[0].Checkpoint.ValidationPredictions!;
        // Every image predicted as the class after its label: that member must score 0.
        var wrong = new float[p.Probabilities.Length];
        for (int i = 0; i < p.Count; i++) wrong[i * 10 + (p.Labels[i] + 1) % 10] = 1;
        var tampered = members[0] with { Checkpoint = members[0].Checkpoint with { ValidationPredictions = new ValidationPredictions(p.Labels, wrong, 10) } };
        var result = await CheckpointEnsemble.EvaluateAsync([tampered, members[1]], EvaluationSplit.Validation, new CheckpointEnsembleOptions { DataDir = _dir.Path });
        Assert.Equal(0, result.Members[0].Accuracy);
        Assert.True(result.Members[1].Accuracy > 0.3);
    }

    [Fact]
    public async Task AMemberWithoutPredictionsOrEmaOrALimitMeansRecomputing()
    {
        var members = await MembersAsync(1, 2);
        var old = members[1] with { Checkpoint = members[1].Checkpoint with { ValidationPredictions = null } }; // as written before they were recorded
        string missing = UnreadableDataDir();
        var options = new CheckpointEnsembleOptions { DataDir = missing };
        await Assert.ThrowsAsync<DatasetFormatException>(() => CheckpointEnsemble.EvaluateAsync([members[0], old], EvaluationSplit.Validation, options));
        await Assert.ThrowsAsync<DatasetFormatException>(() => CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options with { UseEma = true }));
        await Assert.ThrowsAsync<DatasetFormatException>(() => CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options with { Limit = 50 }));

        var mixed = await CheckpointEnsemble.EvaluateAsync([members[0], old], EvaluationSplit.Validation, options with { DataDir = _dir.Path });
        var stored = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options with { DataDir = _dir.Path });
        Assert.Equal(stored.Members, mixed.Members);
        Assert.Equal(stored.Greedy!.Selection.Order, mixed.Greedy!.Selection.Order);
    }

    [Fact]
    public async Task MembersWhoseStoredLabelsDifferAreRejectedNamingBoth()
    {
        var members = await MembersAsync(1, 2);
        var p = members[1].Checkpoint.ValidationPredictions!;
        var labels = (int[])p.Labels.Clone();
        labels[7] = (labels[7] + 1) % 10;
        var other = members[1] with { Checkpoint = members[1].Checkpoint with { ValidationPredictions = new ValidationPredictions(labels, p.Probabilities, 10) } };
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            CheckpointEnsemble.EvaluateAsync([members[0], other], EvaluationSplit.Validation, new CheckpointEnsembleOptions { DataDir = _dir.Path }));
        Assert.Contains("seed1", ex.Message);
        Assert.Contains("seed2", ex.Message);
        Assert.Contains("different validation images", ex.Message);
    }

    [Fact]
    public void InconsistentPredictionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new ValidationPredictions([0, 1], new float[19], 10));
        Assert.Throws<ArgumentException>(() => new ValidationPredictions([0, 10], new float[20], 10));
        Assert.Throws<ArgumentException>(() => new ValidationPredictions([0, -1], new float[20], 10));
        Assert.Throws<ArgumentException>(() => new ValidationPredictions([], [], 0));
    }
}
