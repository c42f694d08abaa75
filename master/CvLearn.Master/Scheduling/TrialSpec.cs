using CvLearn.Master.Search;

namespace CvLearn.Master.Scheduling;

/// <summary>What a worker needs to run one trial: its key, epochs, hyperparameters and training seed.</summary>
public sealed record TrialSpec(TrialKey Key, int Epochs, Hyperparameters Hyperparameters, long Seed)
{
    /// <summary>1-based stage.</summary>
    public int Stage => Key.Stage;

    /// <summary>0-based index within the stage.</summary>
    public int Index => Key.Index;
}

/// <summary>
/// The master's summary of a trial: status, the hyperparameters it ran with, its best validation accuracy so far
/// (null before the first epoch) and the number of epochs completed.
/// </summary>
public sealed record TrialResult(
    TrialKey Key,
    TrialStatus Status,
    Hyperparameters Hyperparameters,
    double? BestValidationAccuracy,
    int EpochsCompleted,
    string? Reason = null)
{
    /// <summary>True when the trial can be ranked: rankable status and a finite accuracy.</summary>
    public bool HasRank => Status.IsRankable() && BestValidationAccuracy is double a && double.IsFinite(a);
}
