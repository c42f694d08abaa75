namespace CvLearn.Core.Training;

/// <summary>
/// Everything besides the network's own buffers (parameters and batchnorm state, saved by the checkpoint code)
/// that a run needs to resume after a finished epoch and reproduce the uninterrupted run exactly.
/// Plain data, so it can be serialized as is.
/// </summary>
/// <param name="EpochsDone">Finished epochs.</param>
/// <param name="Iterations">Update steps taken (minibatches).</param>
/// <param name="LearningRate">Rate for the next epoch.</param>
/// <param name="Schedule">Learning-rate schedule state.</param>
/// <param name="UpdateRule">Name of the update rule (must match on import).</param>
/// <param name="UpdateRuleSteps">The rule's step count (Adam's t).</param>
/// <param name="UpdateRuleState">The rule's buffers (velocity, caches, moments).</param>
/// <param name="EmaWeights">Running average of the weights, or null when disabled.</param>
/// <param name="BestValidationAccuracy">Best validation accuracy so far (−1 before the first epoch).</param>
/// <param name="BestEpoch">Epoch of the best (0 before the first epoch).</param>
/// <param name="InitialLoss">First minibatch loss (divergence reference), NaN before the first step.</param>
/// <param name="SmoothedLoss">Current smoothed minibatch loss, NaN before the first step.</param>
/// <param name="Seed">Options.Seed of the run (must match on import: shuffles derive from it).</param>
/// <param name="BatchSize">Options.BatchSize of the run (must match on import).</param>
/// <param name="History">Finished epochs.</param>
public sealed record SolverState(
    int EpochsDone,
    long Iterations,
    double LearningRate,
    LearningRateScheduleState Schedule,
    string UpdateRule,
    long UpdateRuleSteps,
    IReadOnlyDictionary<string, float[]> UpdateRuleState,
    float[]? EmaWeights,
    double BestValidationAccuracy,
    int BestEpoch,
    double InitialLoss,
    double SmoothedLoss,
    int Seed,
    int BatchSize,
    IReadOnlyList<EpochRecord> History);
