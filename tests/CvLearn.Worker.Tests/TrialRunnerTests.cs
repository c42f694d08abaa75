using CvLearn.Core.Checkpoints;
using CvLearn.Protos.V1;
using CvLearn.Worker.Master;
using CvLearn.Worker.Running;

namespace CvLearn.Worker.Tests;

public sealed class TrialRunnerTests : IDisposable
{
    private readonly TempDir _data = new();
    private readonly TempDir _store = new();
    private readonly ListLogger _log = new();

    public TrialRunnerTests()
    {
        Trials.Init();
        TinyDataset.Write(_data.Path, trainCount: 600);
    }

    public void Dispose()
    {
        _data.Dispose();
        _store.Dispose();
    }

    [Fact]
    public void MapsTheAssignmentToACoreJobSpec()
    {
        var assignment = Trials.Assignment("/data/here", epochs: 7);
        assignment.Hyperparameters.Optimizer = Optimizer.Nesterov;
        assignment.Hyperparameters.Dropout = 0.25;
        assignment.Hyperparameters.Momentum = 0.8;
        assignment.Dataset.TrainLimit = 500;
        assignment.Dataset.SplitSeed = 0xFFFF_FFFF_0000_0001UL;
        var runner = new TrialRunner(new FileSystemCheckpointStore(_store.Path), _log);
        var spec = runner.ToJobSpec(TrialMapping.ToSpec(assignment));
        Assert.Equal("fashion-mnist", spec.Dataset);
        Assert.Equal("/data/here", spec.DataDir);
        Assert.Equal(500, spec.TrainLimit);
        Assert.Null(spec.TestLimit);
        Assert.Equal(TinyDataset.Validation, spec.Validation);
        Assert.Equal("nesterov", spec.Optimizer);
        Assert.Equal(0.25, spec.Dropout);
        Assert.Equal(0.8, spec.Momentum);
        Assert.Equal(64, spec.BatchSize);
        Assert.Equal(7, spec.Epochs);
        Assert.Equal("step:1:0.95", spec.Schedule);
        Assert.Equal(TrialRunner.FoldSeed(0x1234_5678_9ABC_DEF0UL), spec.Seed);
        Assert.True(spec.Seed >= 0 && spec.SplitSeed >= 0);
        Assert.NotEqual(TrialRunner.FoldSeed(1), TrialRunner.FoldSeed(2));

        assignment.Hyperparameters.LrDecay = 1;
        assignment.Hyperparameters.ClearDropout(); // absent: the model spec's own dropout stays
        var other = new TrialRunner(new FileSystemCheckpointStore(_store.Path), _log, dataDirOverride: "/mine").ToJobSpec(TrialMapping.ToSpec(assignment));
        Assert.Equal("constant", other.Schedule);
        Assert.Null(other.Dropout);
        Assert.Equal("/mine", other.DataDir);

        assignment.Hyperparameters.Dropout = 0; // an explicit 0 (a search space reaching 0) turns dropout off
        Assert.Equal(0.0, new TrialRunner(new FileSystemCheckpointStore(_store.Path), _log).ToJobSpec(TrialMapping.ToSpec(assignment)).Dropout);
    }

    [Fact]
    public async Task ADivergingTrialEndsAsDivergedAndABadSpecAsFailed()
    {
        var runner = new TrialRunner(new FileSystemCheckpointStore(_store.Path), _log);
        var reporter = new AlwaysContinue();

        var exploding = Trials.Assignment(_data.Path, epochs: 3);
        exploding.Hyperparameters.Optimizer = Optimizer.Sgd;
        exploding.Hyperparameters.LearningRate = 1e4;
        using (var progress = new TrialProgress())
        {
            var outcome = await runner.RunAsync(TrialMapping.ToSpec(exploding), reporter, progress, CancellationToken.None);
            Assert.Equal(TrialEndStatus.Diverged, outcome.Status);
            Assert.False(string.IsNullOrEmpty(outcome.Message));
            Assert.Equal(TrialStatus.Diverged, TrialMapping.ToWire(outcome.Status));
        }

        var bad = Trials.Assignment(_data.Path, model: "fc:banana");
        using (var progress = new TrialProgress())
        {
            var outcome = await runner.RunAsync(TrialMapping.ToSpec(bad), reporter, progress, CancellationToken.None);
            Assert.Equal(TrialEndStatus.Failed, outcome.Status);
            Assert.Contains("model", outcome.Message, StringComparison.OrdinalIgnoreCase);
        }

    }

    [Fact]
    public async Task ADatasetThisMachineLacksOrCannotReadIsNoTrialFailureButTheMachinesProblem()
    {
        // Not an outcome of the trial (another worker can run it): the exception propagates, and the session hands the trial back.
        var runner = new TrialRunner(new FileSystemCheckpointStore(_store.Path), _log);
        var missingData = Trials.Assignment(Path.Combine(_data.Path, "nowhere"));
        missingData.Dataset.Name = "cifar10";
        using (var progress = new TrialProgress())
        {
            var ex = await Assert.ThrowsAsync<CvLearn.Core.Data.DatasetNotFoundException>(() =>
                runner.RunAsync(TrialMapping.ToSpec(missingData), new AlwaysContinue(), progress, CancellationToken.None));
            Assert.Contains("cifar10", ex.Message, StringComparison.Ordinal);
            Assert.True(TrialRunner.IsMachineProblem(ex));
        }

        using var corrupt = new TempDir();
        foreach (string f in Directory.GetFiles(_data.Path)) File.Copy(f, Path.Combine(corrupt.Path, Path.GetFileName(f)));
        string images = Directory.GetFiles(corrupt.Path, "train-images*").Single();
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..100]); // truncated
        using (var progress = new TrialProgress())
        {
            var ex = await Assert.ThrowsAsync<CvLearn.Core.Data.DatasetFormatException>(() =>
                runner.RunAsync(TrialMapping.ToSpec(Trials.Assignment(corrupt.Path)), new AlwaysContinue(), progress, CancellationToken.None));
            Assert.True(TrialRunner.IsMachineProblem(ex));
        }

        Assert.False(TrialRunner.IsMachineProblem(new ArgumentException("validation: too many")));
        Assert.False(TrialRunner.IsMachineProblem(new IOException("disk full")));
    }

    [Fact]
    public async Task AnEpochsCheckpointIsStoredWhileTheNextEpochTrains()
    {
        // The store holds epoch 1's put until training has reported minibatches of epoch 2 (or finished it): were the
        // save on the training path, epoch 2 could not start and the put would give up.
        using var progress = new TrialProgress();
        var store = new HookedStore(new FileSystemCheckpointStore(_store.Path), async (key, ct) =>
        {
            if (!key.Contains("_ep01", StringComparison.Ordinal)) return;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (progress.Snapshot() is not ({ Epoch: 2, Fraction: > 0 } or { Epoch: > 2 }))
            {
                if (DateTime.UtcNow > deadline) throw new IOException("epoch 2 never started while epoch 1 was being saved");
                await Task.Delay(5, ct);
            }
        });
        var reporter = new Recording();
        var runner = new TrialRunner(store, _log);

        var outcome = await runner.RunAsync(TrialMapping.ToSpec(Trials.Assignment(_data.Path, epochs: 3)), reporter, progress, CancellationToken.None);

        Assert.Equal(TrialEndStatus.Completed, outcome.Status);
        Assert.Equal(3, outcome.EpochsDone);
        Assert.Equal([1, 2, 3], reporter.Epochs);
        Assert.Equal(3, store.Puts.Count(k => k.EndsWith(".ckpt", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AFailedSaveAbortsTrainingAndFailsTheTrialWithTheStoresError()
    {
        using var progress = new TrialProgress();
        var store = new HookedStore(new FileSystemCheckpointStore(_store.Path), (key, _) =>
            key.Contains("_ep02", StringComparison.Ordinal) ? throw new IOException("disk full (injected)") : Task.CompletedTask);
        var reporter = new Recording();
        var runner = new TrialRunner(store, _log);

        var outcome = await runner.RunAsync(TrialMapping.ToSpec(Trials.Assignment(_data.Path, epochs: 6)), reporter, progress, CancellationToken.None);

        Assert.Equal(TrialEndStatus.Failed, outcome.Status);
        Assert.Contains("disk full (injected)", outcome.Message, StringComparison.Ordinal);
        Assert.Equal([1], reporter.Epochs); // nothing after the epoch whose checkpoint is missing
        Assert.Equal(1, outcome.EpochsDone);
        Assert.DoesNotContain(store.Puts, k => k.Contains("_ep03", StringComparison.Ordinal) || k.Contains("_ep04", StringComparison.Ordinal));
    }

    private sealed class Recording : ITrialReporter
    {
        private readonly List<int> _epochs = [];

        public int[] Epochs
        {
            get { lock (_epochs) return [.. _epochs]; }
        }

        public ValueTask<bool> ReportEpochAsync(TrialSpec trial, TrialEpoch epoch, CancellationToken ct)
        {
            lock (_epochs) _epochs.Add(epoch.Record.Epoch);
            return ValueTask.FromResult(true);
        }
    }

    /// <summary>A store that runs a hook before each put (to hold it back or make it fail).</summary>
    private sealed class HookedStore(ICheckpointStore inner, Func<string, CancellationToken, Task> beforePut) : ICheckpointStore
    {
        private readonly List<string> _puts = [];

        public string[] Puts
        {
            get { lock (_puts) return [.. _puts]; }
        }

        public string Describe => inner.Describe;

        public async Task PutAsync(string key, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
        {
            await beforePut(key, ct);
            await inner.PutAsync(key, content, metadata, ct);
            lock (_puts) _puts.Add(key);
        }

        public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => inner.OpenReadAsync(key, ct);

        public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);

        public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);

        public Task<bool> ExistsAsync(string key, CancellationToken ct) => inner.ExistsAsync(key, ct);
    }

    private sealed class AlwaysContinue : ITrialReporter
    {
        public ValueTask<bool> ReportEpochAsync(TrialSpec trial, TrialEpoch epoch, CancellationToken ct) => ValueTask.FromResult(true);
    }
}
