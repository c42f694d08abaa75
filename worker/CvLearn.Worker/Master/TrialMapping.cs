using CvLearn.Protos.V1;
using CvLearn.Worker.Running;

namespace CvLearn.Worker.Master;

/// <summary>Wire types ↔ the neutral trial records of <see cref="Running"/>.</summary>
public static class TrialMapping
{
    public static TrialSpec ToSpec(TrialAssignment a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var hp = a.Hyperparameters ?? new HyperParameters();
        var ds = a.Dataset ?? new DatasetSpec();
        string prefix = a.CheckpointPrefix;
        if (string.IsNullOrEmpty(prefix)) prefix = $"{a.Experiment}/{a.TrialId}/";
        else if (!prefix.EndsWith('/')) prefix += "/";
        return new TrialSpec(
            a.TrialId, a.Experiment, a.Stage, a.Index, a.Attempt, a.Seed, a.Epochs,
            new TrialHyperparameters(hp.Model, OptimizerName(hp.Optimizer), hp.LearningRate, hp.Reg, hp.HasDropout ? hp.Dropout : null, hp.Momentum, hp.BatchSize, hp.LrDecay),
            new TrialDataset(ds.Name, ds.TrainLimit, ds.Validation, ds.TestLimit, string.IsNullOrEmpty(ds.DataDir) ? null : ds.DataDir, ds.SplitSeed),
            prefix,
            string.IsNullOrEmpty(a.ResumeCheckpointKey) ? null : a.ResumeCheckpointKey,
            a.ResumeEpoch);
    }

    /// <summary>The core update-rule name; UNSPECIFIED means the default, adam.</summary>
    public static string OptimizerName(Optimizer optimizer) => optimizer switch
    {
        Optimizer.Sgd => "sgd",
        Optimizer.Momentum => "momentum",
        Optimizer.Nesterov => "nesterov",
        Optimizer.Adagrad => "adagrad",
        Optimizer.Rmsprop => "rmsprop",
        Optimizer.Adam or Optimizer.Unspecified => "adam",
        _ => throw new ArgumentException($"optimizer: unknown value {(int)optimizer}; this worker is older than the master."),
    };

    /// <summary>The wire report of a stored epoch (worker_id is filled in by the connection).</summary>
    public static EpochReport ToReport(TrialAssignment assignment, TrialEpoch epoch)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(epoch);
        var r = epoch.Record;
        return new EpochReport
        {
            TrialId = assignment.TrialId,
            Attempt = assignment.Attempt,
            Epoch = r.Epoch,
            TrainLoss = r.TrainLoss,
            TrainAcc = r.TrainAccuracy,
            ValAcc = r.ValidationAccuracy,
            ValAccEma = r.EmaValidationAccuracy,
            LearningRate = r.LearningRate,
            Seconds = r.Seconds,
            CheckpointKey = epoch.CheckpointKey,
        };
    }

    public static TrialStatus ToWire(TrialEndStatus status) => status switch
    {
        TrialEndStatus.Completed => TrialStatus.Completed,
        TrialEndStatus.Stopped => TrialStatus.Stopped,
        TrialEndStatus.Diverged => TrialStatus.Diverged,
        TrialEndStatus.Failed => TrialStatus.Failed,
        _ => TrialStatus.Cancelled,
    };
}
