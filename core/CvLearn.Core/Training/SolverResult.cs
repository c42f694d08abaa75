namespace CvLearn.Core.Training;

/// <summary>How a Solver run ended.</summary>
public enum SolverStatus
{
    /// <summary>All requested epochs ran.</summary>
    Completed,
    /// <summary>The loss became NaN/∞ or exploded (see <see cref="SolverOptions.DivergenceFactor"/>).</summary>
    Diverged,
    /// <summary>The epoch-end callback answered <see cref="EpochDecision.Stop"/> (e.g. the master's early stop).</summary>
    Stopped,
    /// <summary>The cancellation token fired; the run stopped between minibatches.</summary>
    Cancelled,
}

/// <summary>What the epoch-end callback wants next.</summary>
public enum EpochDecision
{
    Continue,
    Stop,
}

/// <summary>Outcome of <see cref="Solver.RunAsync"/>.</summary>
/// <param name="Status">How the run ended.</param>
/// <param name="History">Every finished epoch (including those before a resume), in order.</param>
/// <param name="BestValidationAccuracy">Best raw-weight validation accuracy over <paramref name="History"/> (−1 when empty).</param>
/// <param name="BestEpoch">Epoch of <paramref name="BestValidationAccuracy"/> (0 when empty).</param>
/// <param name="Message">Why the run ended early (divergence details, …), or null.</param>
public sealed record SolverResult(
    SolverStatus Status,
    List<EpochRecord> History,
    double BestValidationAccuracy,
    int BestEpoch,
    string? Message);

/// <summary>Passed to the epoch-end callback after an epoch has been fully accounted for.</summary>
/// <param name="Record">The finished epoch.</param>
/// <param name="IsBest">True when this epoch set a new best validation accuracy (time to write a checkpoint).</param>
/// <param name="BestValidationAccuracy">Best validation accuracy so far.</param>
/// <param name="BestEpoch">Epoch of the best.</param>
/// <param name="Solver">
/// The running solver; during the callback its state is consistent ("after epoch Record.Epoch"), so
/// <see cref="Solver.ExportState"/>, the network's parameters and <see cref="Solver.EmaWeights"/> can be saved
/// as a resumable checkpoint. Do not keep it for use after the callback returns.
/// </param>
public sealed record EpochEnd(EpochRecord Record, bool IsBest, double BestValidationAccuracy, int BestEpoch, Solver Solver);

/// <summary>Per-minibatch progress (a struct, so reporting allocates nothing by itself).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based minibatch within the epoch.</param>
/// <param name="BatchesPerEpoch">Minibatches per epoch.</param>
/// <param name="Loss">This minibatch's total loss (data + regularization).</param>
/// <param name="SmoothedLoss">Exponential average of minibatch losses (the divergence check's quantity).</param>
/// <param name="LearningRate">Rate used for this step.</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int BatchesPerEpoch, double Loss, double SmoothedLoss, double LearningRate);
