using CvLearn.Master.Search;

namespace CvLearn.Master.Scheduling;

/// <summary>
/// Everything about one stage: the space it samples from, its trials, the previous stage's top trials it was derived
/// from, the border warnings raised when deriving it, and notes (e.g. "no ranked trials, space unchanged").
/// </summary>
public sealed record StagePlan(
    int Stage,
    int Epochs,
    SearchSpace Space,
    IReadOnlyList<TrialSpec> Trials,
    IReadOnlyList<TrialKey> DerivedFrom,
    IReadOnlyList<BorderWarning> Warnings,
    IReadOnlyList<string> Notes);

/// <summary>What the finished stage <see cref="Stage"/> says: its ranked top trials and border warnings.</summary>
public sealed record StageAnalysis(int Stage, IReadOnlyList<TrialResult> Top, IReadOnlyList<BorderWarning> Warnings, SearchSpace NextSpace);
