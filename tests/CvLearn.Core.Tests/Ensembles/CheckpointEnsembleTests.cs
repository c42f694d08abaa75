using CvLearn.Core.Checkpoints;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Tests.Data;
using CvLearn.Core.Tests.Training;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Ensembles;

/// <summary>CheckpointEnsemble on real checkpoints trained on a tiny generated IDX dataset.</summary>
public sealed class CheckpointEnsembleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public CheckpointEnsembleTests() => LearnableIdxDataset.Write(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private TrainingJobSpec Spec(int seed, string model = "fc:16") => new()
    {
        Dataset = "fashion-mnist",
        DataDir = _dir.Path,
        Validation = 100,
        Model = model,
        Optimizer = "adam",
        LearningRate = 1e-3,
        Epochs = 1,
        BatchSize = 32,
        Seed = seed,
    };

    private static async Task<Checkpoint> TrainAsync(TrainingJobSpec spec)
    {
        Checkpoint? last = null;
        var job = new TrainingJob(spec) { OnEpoch = (outcome, _) => { last = outcome.Checkpoint; return ValueTask.FromResult(EpochDecision.Continue); } };
        await job.RunAsync(CancellationToken.None);
        // Through bytes, as the master would load them from storage.
        return CheckpointFile.FromBytes(CheckpointFile.ToBytes(last!));
    }

    private async Task<NamedCheckpoint[]> MembersAsync(params int[] seeds)
    {
        var members = new NamedCheckpoint[seeds.Length];
        for (int i = 0; i < seeds.Length; i++) members[i] = new NamedCheckpoint($"seed{seeds[i]}", await TrainAsync(Spec(seeds[i])));
        return members;
    }

    [Fact]
    public async Task MemberAccuraciesReproduceTheStoredValidationAccuracy()
    {
        var members = await MembersAsync(1, 2, 3);
        var result = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, new CheckpointEnsembleOptions { DataDir = _dir.Path });
        Assert.Equal(100, result.Images);
        Assert.Equal(["seed1", "seed2", "seed3"], result.Members.Select(m => m.Name));
        for (int i = 0; i < members.Length; i++)
        {
            double stored = double.Parse(members[i].Checkpoint.Metadata[TrainingCheckpoint.Keys.ValAccuracy], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(stored, result.Members[i].Accuracy, 10);
        }
        Assert.Equal(3, result.TopK);
        Assert.Equal(3, result.Probabilities.Count);
        Assert.All(result.Probabilities, p => Assert.Equal(100 * 10, p.Length));
    }

    [Fact]
    public async Task TopKAndGreedyAgreeWithTheEnsembleBuildingBlocks()
    {
        var members = await MembersAsync(1, 2, 3);
        var result = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation,
            new CheckpointEnsembleOptions { DataDir = _dir.Path, TopK = 2, GreedyMaxSize = 5 });

        var avg = new float[result.Probabilities[0].Length];
        Ensemble.Average([result.Probabilities[0], result.Probabilities[1]], [], avg);
        Assert.Equal(ClassificationMetrics.Accuracy(avg, 10, result.Labels), result.TopKAccuracy);

        var expected = GreedyEnsembleSelection.Select(result.Probabilities, result.Labels, 10, 5);
        var greedy = Assert.IsType<CheckpointGreedyResult>(result.Greedy);
        Assert.Equal(expected.Order, greedy.Selection.Order);
        Assert.Equal(expected.Order.Select(i => members[i].Name), greedy.Names);
        Assert.Equal(expected.Accuracy, greedy.ValidationAccuracy);
        Assert.Equal(greedy.ValidationAccuracy, greedy.Accuracy); // evaluated on the split it was selected on
        Assert.True(greedy.ValidationAccuracy >= result.Members.Max(m => m.Accuracy));
    }

    [Fact]
    public async Task OnTheTestSplitGreedyIsSelectedOnValidationAndScoredOnTest()
    {
        var members = await MembersAsync(4, 5);
        var options = new CheckpointEnsembleOptions { DataDir = _dir.Path, Limit = 150 };
        var test = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Test, options);
        var val = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, options);
        Assert.Equal(150, test.Images);
        var g = test.Greedy!;
        Assert.Equal(val.Greedy!.Selection.Order, g.Selection.Order);
        Assert.Equal(val.Greedy.ValidationAccuracy, g.ValidationAccuracy);
        var avg = new float[test.Probabilities[0].Length];
        Ensemble.Average(test.Probabilities, g.Selection.Counts.Select(c => (double)c).ToArray(), avg);
        Assert.Equal(ClassificationMetrics.Accuracy(avg, 10, test.Labels), g.Accuracy);

        var noGreedy = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Test, options with { Greedy = false });
        Assert.Null(noGreedy.Greedy);
        Assert.Equal(test.TopKAccuracy, noGreedy.TopKAccuracy);
    }

    [Fact]
    public async Task CheckpointsTrainedOnDifferentDataAreRejectedNamingBoth()
    {
        var a = new NamedCheckpoint("a.ckpt", await TrainAsync(Spec(1)));
        var b = new NamedCheckpoint("b.ckpt", await TrainAsync(Spec(1) with { SplitSeed = 7 }));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            CheckpointEnsemble.EvaluateAsync([a, b], EvaluationSplit.Validation, new CheckpointEnsembleOptions { DataDir = _dir.Path }));
        Assert.Contains("b.ckpt", ex.Message);
        Assert.Contains("a.ckpt", ex.Message);
        Assert.Contains("split_seed", ex.Message);

        // On the test split without greedy selection only the dataset has to match.
        var result = await CheckpointEnsemble.EvaluateAsync([a, b], EvaluationSplit.Test, new CheckpointEnsembleOptions { DataDir = _dir.Path, Greedy = false });
        Assert.Equal(2, result.Members.Count);

        var foreign = new NamedCheckpoint("c.ckpt", Relabel(b.Checkpoint, "cifar10"));
        ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            CheckpointEnsemble.EvaluateAsync([a, foreign], EvaluationSplit.Test, new CheckpointEnsembleOptions { DataDir = _dir.Path, Greedy = false }));
        Assert.Contains("dataset", ex.Message);
    }

    [Fact]
    public async Task BadArgumentsAreRejected()
    {
        var members = await MembersAsync(1);
        var options = new CheckpointEnsembleOptions { DataDir = _dir.Path };
        await Assert.ThrowsAsync<ArgumentException>(() => CheckpointEnsemble.EvaluateAsync([], EvaluationSplit.Test, options));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Test, options with { TopK = 2 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Test, options with { Limit = 0 }));
    }

    [Fact]
    public async Task EvaluateFilesLoadsCheckpointsByPath()
    {
        var cp = await TrainAsync(Spec(3));
        string path = _dir.File("val_ep01.ckpt");
        await CheckpointFile.SaveAsync(cp, path);
        var result = await CheckpointEnsemble.EvaluateFilesAsync([path], EvaluationSplit.Validation, new CheckpointEnsembleOptions { DataDir = _dir.Path });
        Assert.Equal(path, result.Members[0].Name);
        Assert.Equal(result.Members[0].Accuracy, result.TopKAccuracy);
    }

    private static Checkpoint Relabel(Checkpoint c, string dataset)
    {
        var meta = c.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        meta[TrainingCheckpoint.Keys.Dataset] = dataset;
        return c with { Metadata = meta };
    }
}
