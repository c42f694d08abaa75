using CvLearn.Master.Search;

namespace CvLearn.Master.Config;

/// <summary>Which data a trial trains on. Limits are optional subsets (null = the whole split).</summary>
public sealed record DatasetConfig(string Name, int? TrainLimit, int? Validation, int? TestLimit, string? DataDir);

/// <summary>
/// One coarse-to-fine stage: <see cref="Trials"/> random trials of <see cref="Epochs"/> epochs each. Stages after the
/// first sample from the range spanned by the previous stage's best <see cref="FromTop"/> trials.
/// </summary>
public sealed record StageConfig(int Trials, int Epochs, int? FromTop);

/// <summary>How many of the best checkpoints form the final ensemble.</summary>
public sealed record EnsembleConfig(int Top);

/// <summary>How many checkpoints to keep: best <see cref="PerTrial"/> of each trial and best <see cref="PerExperiment"/> overall.</summary>
public sealed record RetentionConfig(int PerTrial, int PerExperiment);

/// <summary>
/// Median stopping rule: after <see cref="GraceEpochs"/> epochs, stop a trial whose best validation accuracy so far is
/// below the median of completed trials of the same stage at the same epoch; needs at least <see cref="MinPeers"/> of them.
/// </summary>
public sealed record MedianStoppingConfig(int GraceEpochs, int MinPeers);

/// <summary>
/// Stop decisions. A loss above <see cref="DivergenceFactor"/> × the reference (first) loss, or NaN/inf, marks a trial
/// diverged (CS231n: "if the cost is ever > 3 × original cost, break out early"). Median stopping is off when null.
/// With <see cref="EarlyNextStage"/>, a worker left without work at the end of a stage starts the next stage's trials,
/// planned from the stage's results so far and a prediction of its unfinished trials; they are kept when the stage's
/// real top trials give the same plan and re-planned otherwise, so the search's results never depend on it.
/// </summary>
public sealed record SchedulerConfig(double DivergenceFactor, MedianStoppingConfig? MedianStopping, bool EarlyNextStage = true)
{
    /// <summary>Defaults: divergence factor 3, no median stopping, next stages started early.</summary>
    public static SchedulerConfig Default { get; } = new(3.0, null);
}

/// <summary>
/// Coarse-to-fine tuning, all as fractions of the range a stage sampled from, measured in search coordinates
/// (log10 for log-uniform parameters):
/// <list type="bullet">
/// <item><see cref="MarginFraction"/>: the top trials' span is widened by this fraction of the span on each side;</item>
/// <item><see cref="MinWidthFraction"/>: the narrowed range is at least this fraction of the previous width (so a
/// single top trial or identical values still leave room to explore);</item>
/// <item><see cref="BorderFraction"/>: a value within this fraction of the width from an edge is "at the border";</item>
/// <item><see cref="LogExtensionDecades"/> / <see cref="LinearExtensionFraction"/>: how far past a border edge the next
/// stage reaches (decades for log parameters, fraction of the previous width otherwise).</item>
/// </list>
/// </summary>
public sealed record NarrowingOptions(
    double MarginFraction = 0.25,
    double MinWidthFraction = 0.1,
    double BorderFraction = 0.1,
    double LogExtensionDecades = 0.5,
    double LinearExtensionFraction = 0.25)
{
    /// <summary>The documented defaults.</summary>
    public static NarrowingOptions Default { get; } = new();
}

/// <summary>A validated search configuration (see <see cref="SearchConfigParser"/> for the JSON form).</summary>
public sealed record SearchConfig(
    string Experiment,
    DatasetConfig Dataset,
    ulong Seed,
    SearchSpace Space,
    IReadOnlyList<StageConfig> Stages,
    EnsembleConfig Ensemble,
    RetentionConfig Retention,
    SchedulerConfig Scheduler,
    NarrowingOptions Narrowing)
{
    /// <summary>Legal but probably unintended settings found while parsing (e.g. a linear learning-rate range); show them to the user.</summary>
    public IReadOnlyList<SearchConfigError> Warnings { get; init; } = [];

    /// <summary>Total trials over all stages.</summary>
    public int TotalTrials => Stages.Sum(s => s.Trials);

    /// <summary>The config of 1-based <paramref name="stage"/>.</summary>
    public StageConfig Stage(int stage) =>
        stage >= 1 && stage <= Stages.Count
            ? Stages[stage - 1]
            : throw new ArgumentOutOfRangeException(nameof(stage), stage, $"stages are numbered 1..{Stages.Count}");
}
