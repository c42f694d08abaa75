using CvLearn.Core.Checkpoints;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Tensors;
using CvLearn.Core.Tests.Data;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Training;

/// <summary>The training job end to end on a real (tiny, generated) IDX dataset: data path, model, solver, checkpoints.</summary>
public sealed class TrainingJobTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public TrainingJobTests() => LearnableIdxDataset.Write(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private TrainingJobSpec Spec(string model = "fc:32,dropout=0.2", int epochs = 3) => new()
    {
        Dataset = "fashion-mnist",
        DataDir = _dir.Path,
        Validation = 100,
        Model = model,
        Optimizer = "adam",
        LearningRate = 3e-3,
        Reg = 1e-4,
        Epochs = epochs,
        BatchSize = 32,
        Seed = 11,
    };

    private static async Task<(TrainingJobResult Result, List<Checkpoint> Checkpoints)> RunAsync(TrainingJobSpec spec, Checkpoint? resumeFrom = null)
    {
        var checkpoints = new List<Checkpoint>();
        var job = new TrainingJob(spec)
        {
            ResumeFrom = resumeFrom,
            OnEpoch = (outcome, _) =>
            {
                checkpoints.Add(outcome.Checkpoint);
                return ValueTask.FromResult(EpochDecision.Continue);
            },
        };
        return (await job.RunAsync(CancellationToken.None), checkpoints);
    }

    [Fact]
    public async Task LearnsTheGeneratedTaskAndWritesOneCheckpointPerEpoch()
    {
        var (result, checkpoints) = await RunAsync(Spec());
        Assert.Equal(SolverStatus.Completed, result.Status);
        Assert.Equal(3, checkpoints.Count);
        Assert.True(result.BestValidationAccuracy > 0.9, $"validation accuracy {result.BestValidationAccuracy}");
        Assert.NotNull(result.TestAccuracy);
        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy}");
        for (int e = 0; e < 3; e++)
        {
            Assert.Equal((e + 1).ToString(), checkpoints[e].Metadata[TrainingCheckpoint.Keys.Epoch]);
            Assert.Equal(result.History[e].ValidationAccuracy, double.Parse(checkpoints[e].Metadata[TrainingCheckpoint.Keys.ValAccuracy], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task TwoIdenticalRunsProduceIdenticalCheckpoints()
    {
        var (_, first) = await RunAsync(Spec());
        var (_, second) = await RunAsync(Spec());
        for (int e = 0; e < first.Count; e++)
            for (int p = 0; p < first[e].Parameters.Count; p++)
                Assert.Equal(first[e].Parameters[p].Data, second[e].Parameters[p].Data);
    }

    [Fact]
    public async Task ResumingFromAnEpochCheckpointMatchesTheUninterruptedRunExactly()
    {
        var (full, fullCheckpoints) = await RunAsync(Spec());
        // Round-trip the epoch-1 checkpoint through bytes, as a worker taking over the trial would.
        var epoch1 = CheckpointFile.FromBytes(CheckpointFile.ToBytes(fullCheckpoints[0]));
        var (resumed, resumedCheckpoints) = await RunAsync(Spec(), epoch1);

        Assert.Equal(2, resumedCheckpoints.Count); // only epochs 2 and 3 were trained again
        var last = fullCheckpoints[^1];
        var resumedLast = resumedCheckpoints[^1];
        for (int p = 0; p < last.Parameters.Count; p++) Assert.Equal(last.Parameters[p].Data, resumedLast.Parameters[p].Data);
        Assert.Equal(full.History.Select(h => h.ValidationAccuracy), resumed.History.Select(h => h.ValidationAccuracy));
    }

    [Fact]
    public async Task CheckpointsCapturedIntoReusedBuffersAreTheSameAndLastUntilTheNextEpochsCallbackReturns()
    {
        var spec = Spec("fc:32,bn,dropout=0.2", epochs: 4);
        var fresh = new List<byte[]>();
        await new TrainingJob(spec)
        {
            OnEpoch = (outcome, _) => { fresh.Add(Arrays(outcome.Checkpoint)); return ValueTask.FromResult(EpochDecision.Continue); },
        }.RunAsync(CancellationToken.None);

        var buffers = new CaptureBuffers();
        var reused = new List<Checkpoint>();
        await new TrainingJob(spec)
        {
            CaptureBuffers = buffers,
            OnEpoch = (outcome, _) =>
            {
                int epoch = reused.Count;
                Assert.Equal(fresh[epoch], Arrays(outcome.Checkpoint)); // the same content as a freshly allocated capture
                if (epoch >= 1) Assert.Equal(fresh[epoch - 1], Arrays(reused[epoch - 1])); // the previous epoch's is still intact
                reused.Add(outcome.Checkpoint);
                return ValueTask.FromResult(EpochDecision.Continue);
            },
        }.RunAsync(CancellationToken.None);

        Assert.Equal(4, reused.Count);
        // Two sets alternate: epoch 3 reuses epoch 1's arrays, epoch 2's are its own.
        Assert.Same(reused[0].Parameters[0].Data, reused[2].Parameters[0].Data);
        Assert.Same(reused[0].Optimizer!.Buffers[0].Data, reused[2].Optimizer!.Buffers[0].Data);
        Assert.Same(reused[0].EmaParameters![0].Data, reused[2].EmaParameters![0].Data);
        Assert.Same(reused[0].State[0].Data, reused[2].State[0].Data);
        Assert.NotSame(reused[0].Parameters[0].Data, reused[1].Parameters[0].Data);

        // A job of another model with the same buffers gets arrays of its own sizes, and the old model's are let go.
        Checkpoint? other = null;
        await new TrainingJob(Spec("fc:16", epochs: 2))
        {
            CaptureBuffers = buffers,
            OnEpoch = (outcome, _) => { other = outcome.Checkpoint; return ValueTask.FromResult(EpochDecision.Continue); },
        }.RunAsync(CancellationToken.None);
        Assert.Equal(16 * 784, other!.Parameters[0].Data.Length);
        Assert.DoesNotContain(other.Parameters, p => ReferenceEquals(p.Data, reused[0].Parameters[0].Data) || ReferenceEquals(p.Data, reused[1].Parameters[0].Data));
    }

    /// <summary>Every array of a checkpoint (parameters, state, weight average, optimizer), as bytes: what capture copies.</summary>
    private static byte[] Arrays(Checkpoint c)
    {
        var all = c.Parameters.Concat(c.State).Concat(c.EmaParameters ?? []).Concat(c.Optimizer!.Buffers);
        return all.SelectMany(a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.Data.AsSpan()).ToArray()).ToArray();
    }

    [Fact]
    public async Task ACheckpointPredictsExactlyLikeTheNetworkThatWroteIt()
    {
        var (_, checkpoints) = await RunAsync(Spec("fc:24,bn", epochs: 2));
        var checkpoint = CheckpointFile.FromBytes(CheckpointFile.ToBytes(checkpoints[^1]));
        var original = TrainingCheckpoint.LoadNetwork(checkpoints[^1]);
        var loaded = TrainingCheckpoint.LoadNetwork(checkpoint);
        var raw = await CheckpointData.RawSplitAsync(checkpoint, EvaluationSplit.Validation, _dir.Path, null, CancellationToken.None);
        var images = CheckpointData.Preprocess(checkpoint, raw);
        var a = new float[images.Count * 10];
        var b = new float[images.Count * 10];
        new NetworkClassifier(original).PredictProbabilities(images, a, CancellationToken.None);
        new NetworkClassifier(loaded).PredictProbabilities(images, b, CancellationToken.None);
        Assert.Equal(a, b);
        // The stored validation accuracy is reproduced from the checkpoint alone (same split, same statistics).
        double stored = double.Parse(checkpoint.Metadata[TrainingCheckpoint.Keys.ValAccuracy], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(stored, ClassificationMetrics.Accuracy(b, 10, raw.Labels), 10);
    }

    [Fact]
    public async Task KnnRunsWithoutEpochsAndReportsAccuracies()
    {
        var (result, checkpoints) = await RunAsync(Spec("knn:3"));
        Assert.Empty(checkpoints);
        Assert.Equal(SolverStatus.Completed, result.Status);
        Assert.True(result.ValidationAccuracy > 0.9, $"knn validation accuracy {result.ValidationAccuracy}");
    }

    [Fact]
    public async Task AHugeLearningRateDivergesInsteadOfTrainingOnNaNs()
    {
        var (result, _) = await RunAsync(Spec("fc:32") with { Optimizer = "sgd", LearningRate = 1e4 });
        Assert.Equal(SolverStatus.Diverged, result.Status);
    }

    [Theory]
    [InlineData("fc:", "model")]
    [InlineData("fc:32", "optimizer")]
    public void BadSpecsAreRejectedBeforeAnyWork(string model, string field)
    {
        var spec = Spec(model) with { Optimizer = field == "optimizer" ? "adamw" : "adam" };
        var ex = Assert.ThrowsAny<Exception>(() => new TrainingJob(spec));
        Assert.True(ex is ArgumentException or FormatException, $"bad input must surface as an argument/format error (exit code 2), got {ex.GetType()}");
        Assert.Contains(field == "optimizer" ? "adamw" : "fc:", ex.Message);
    }

    [Fact]
    public void ValidationRejectsOutOfRangeHyperparameters()
    {
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => (Spec() with { Dropout = 1.0 }).Validate()).Message);
        Assert.Contains("lr", Assert.Throws<ArgumentException>(() => (Spec() with { LearningRate = -1 }).Validate()).Message);
        Assert.Contains("epochs", Assert.Throws<ArgumentException>(() => (Spec() with { Epochs = 0 }).Validate()).Message);
    }
}
