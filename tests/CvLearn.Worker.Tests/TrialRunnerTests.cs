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
        assignment.Hyperparameters.Dropout = 0;
        var other = new TrialRunner(new FileSystemCheckpointStore(_store.Path), _log, dataDirOverride: "/mine").ToJobSpec(TrialMapping.ToSpec(assignment));
        Assert.Equal("constant", other.Schedule);
        Assert.Null(other.Dropout);
        Assert.Equal("/mine", other.DataDir);
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

        var missingData = Trials.Assignment(Path.Combine(_data.Path, "nowhere"));
        missingData.Dataset.Name = "cifar10";
        using (var progress = new TrialProgress())
        {
            var outcome = await runner.RunAsync(TrialMapping.ToSpec(missingData), reporter, progress, CancellationToken.None);
            Assert.Equal(TrialEndStatus.Failed, outcome.Status);
        }
    }

    private sealed class AlwaysContinue : ITrialReporter
    {
        public ValueTask<bool> ReportEpochAsync(TrialSpec trial, TrialEpoch epoch, CancellationToken ct) => ValueTask.FromResult(true);
    }
}
