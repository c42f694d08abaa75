namespace CvLearn.Core.Training;

/// <summary>
/// A per-epoch learning-rate schedule. Stateful (the plateau rule tracks the best validation accuracy), with
/// exportable state so that a resumed run continues with the same learning rates.
/// Protocol: <see cref="Reset"/> once with the initial rate; after each epoch call <see cref="EpochEnd"/> with
/// that epoch's validation accuracy; <see cref="LearningRate"/> is the rate for the next epoch.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>Canonical specification, parseable by <see cref="LearningRateSchedules.Parse"/> (e.g. "step:5:0.5").</summary>
    string Spec { get; }

    /// <summary>The rate to use for the next epoch. Throws before <see cref="Reset"/>.</summary>
    double LearningRate { get; }

    /// <summary>Epochs reported so far (t in the formulas).</summary>
    int Epochs { get; }

    /// <summary>Starts over at t = 0 with <paramref name="initialLearningRate"/> (lr0).</summary>
    void Reset(double initialLearningRate);

    /// <summary>Reports a finished epoch; returns the rate for the next one.</summary>
    double EpochEnd(double validationAccuracy);

    /// <summary>A snapshot of the state, for checkpoints.</summary>
    LearningRateScheduleState ExportState();

    /// <summary>Restores a snapshot taken by a schedule with the same <see cref="Spec"/>.</summary>
    void ImportState(LearningRateScheduleState state);
}

/// <summary>Serializable state of a schedule (plain numbers, so it can go into a JSON checkpoint as is).</summary>
/// <param name="Spec">The schedule's canonical specification; must match on import.</param>
/// <param name="InitialLearningRate">lr0.</param>
/// <param name="LearningRate">The rate for the next epoch.</param>
/// <param name="Epochs">Epochs reported so far.</param>
/// <param name="BestValidationAccuracy">Best accuracy seen (plateau rule), −1 before the first epoch.</param>
/// <param name="EpochsWithoutImprovement">Epochs since the best improved by more than the threshold (plateau rule).</param>
public sealed record LearningRateScheduleState(
    string Spec,
    double InitialLearningRate,
    double LearningRate,
    int Epochs,
    double BestValidationAccuracy,
    int EpochsWithoutImprovement);
