using CvLearn.Core.Training;

namespace CvLearn.Worker.Running;

/// <summary>
/// One trial as the worker runs it, independent of the wire format: who it is (id, experiment, stage, index,
/// attempt), how to train (seed, epochs, hyperparameters, data) and where its checkpoints go.
/// </summary>
/// <param name="CheckpointPrefix">Store key prefix of this trial's checkpoints, ending in '/' (e.g. "exp/trial-0042/").</param>
/// <param name="ResumeKey">Checkpoint to resume from (a previous attempt's), or null to start fresh.</param>
/// <param name="ResumeEpoch">Epoch the resume checkpoint was written after (informational; the checkpoint is authoritative).</param>
public sealed record TrialSpec(
    string TrialId,
    string Experiment,
    int Stage,
    int Index,
    int Attempt,
    ulong Seed,
    int Epochs,
    TrialHyperparameters Hyperparameters,
    TrialDataset Dataset,
    string CheckpointPrefix,
    string? ResumeKey = null,
    int ResumeEpoch = 0);

/// <param name="Model">Model spec, as `cvlearn-worker train --model` takes it.</param>
/// <param name="Optimizer">Update rule name: sgd, momentum, nesterov, adagrad, rmsprop, adam.</param>
/// <param name="Dropout">Drop probability (0: no dropout), or null to keep the model spec's own (none unless the spec says dropout=).</param>
/// <param name="Momentum">μ for momentum/nesterov; 0 means the default 0.9.</param>
/// <param name="LrDecay">Learning-rate factor applied after each epoch; 1 (or 0: unset) means constant.</param>
public sealed record TrialHyperparameters(
    string Model,
    string Optimizer,
    double LearningRate,
    double Reg,
    double? Dropout,
    double Momentum,
    int BatchSize,
    double LrDecay);

/// <param name="TrainLimit">At most this many training images, 0 = all.</param>
/// <param name="Validation">Validation images held out of the training set, 0 = the default (5,000).</param>
/// <param name="TestLimit">At most this many test images, 0 = all.</param>
/// <param name="DataDir">Directory with the data files, or null for the worker default.</param>
/// <param name="SplitSeed">Seed of the train/validation split, shared by every trial of a search.</param>
public sealed record TrialDataset(
    string Name,
    int TrainLimit,
    int Validation,
    int TestLimit,
    string? DataDir,
    ulong SplitSeed);

/// <summary>How a trial ended on this worker.</summary>
public enum TrialEndStatus
{
    /// <summary>Trained all epochs.</summary>
    Completed,
    /// <summary>The master said stop (epoch reply or heartbeat).</summary>
    Stopped,
    /// <summary>Loss became NaN/∞ or exploded.</summary>
    Diverged,
    /// <summary>An error (bad spec, bad data, exception while training).</summary>
    Failed,
    /// <summary>The worker is shutting down; the trial is handed back to the master unfinished.</summary>
    Cancelled,
}

/// <summary>The result of one trial run.</summary>
/// <param name="BestCheckpointKey">Store key of the best epoch's checkpoint, or null when none was written.</param>
public sealed record TrialOutcome(
    TrialEndStatus Status,
    string? Message,
    double BestValidationAccuracy,
    string? BestCheckpointKey,
    int EpochsDone)
{
    /// <summary>
    /// The last epoch, stored but not reported yet, when the reporter takes it with the result
    /// (<see cref="ITrialReporter.TakesLastEpochWithResult"/>); null otherwise.
    /// </summary>
    public TrialEpoch? LastEpoch { get; init; }
}

/// <summary>One finished epoch whose checkpoint is already in the store.</summary>
public sealed record TrialEpoch(EpochRecord Record, string CheckpointKey, bool IsBest);

/// <summary>Where a running trial reports its epochs (the master connection, or a test double).</summary>
public interface ITrialReporter
{
    /// <summary>Reports a finished epoch (its checkpoint is already stored); answers false to stop the trial.</summary>
    ValueTask<bool> ReportEpochAsync(TrialSpec trial, TrialEpoch epoch, CancellationToken ct);

    /// <summary>
    /// True when the trial's last epoch goes with its result (<see cref="TrialOutcome.LastEpoch"/>) instead of
    /// through <see cref="ReportEpochAsync"/>: one call to the master per trial fewer.
    /// </summary>
    bool TakesLastEpochWithResult => false;
}
