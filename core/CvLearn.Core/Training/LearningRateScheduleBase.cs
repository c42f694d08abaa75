namespace CvLearn.Core.Training;

/// <summary>
/// Shared state handling of the schedules. Closed-form schedules compute lr_t from lr0 and t (not by repeated
/// multiplication), so the rate after a resume equals the uninterrupted one exactly.
/// </summary>
public abstract class LearningRateScheduleBase : ILearningRateSchedule
{
    private double _initial = double.NaN;
    private double _current = double.NaN;

    /// <inheritdoc />
    public abstract string Spec { get; }

    /// <inheritdoc />
    public double LearningRate => double.IsNaN(_current)
        ? throw new InvalidOperationException($"Learning-rate schedule '{Spec}' has no initial rate; call Reset first.")
        : _current;

    /// <summary>lr0.</summary>
    public double InitialLearningRate => _initial;

    /// <inheritdoc />
    public int Epochs { get; private set; }

    /// <summary>Best validation accuracy reported so far (−1 before the first epoch).</summary>
    public double BestValidationAccuracy { get; private set; } = -1;

    /// <summary>Epochs since the best validation accuracy last improved by more than <see cref="ImprovementThreshold"/>.</summary>
    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>Improvement over the best that counts as progress (used by the plateau rule; 0 elsewhere).</summary>
    protected virtual double ImprovementThreshold => 0;

    /// <inheritdoc />
    public void Reset(double initialLearningRate)
    {
        if (!(initialLearningRate > 0) || double.IsInfinity(initialLearningRate))
            throw new ArgumentOutOfRangeException(nameof(initialLearningRate), initialLearningRate, "The initial learning rate must be a positive finite number.");
        _initial = initialLearningRate;
        _current = initialLearningRate;
        Epochs = 0;
        BestValidationAccuracy = -1;
        EpochsWithoutImprovement = 0;
    }

    /// <inheritdoc />
    public double EpochEnd(double validationAccuracy)
    {
        _ = LearningRate; // throws before Reset
        Epochs++;
        if (validationAccuracy > BestValidationAccuracy + ImprovementThreshold)
        {
            BestValidationAccuracy = validationAccuracy;
            EpochsWithoutImprovement = 0;
        }
        else
        {
            BestValidationAccuracy = Math.Max(BestValidationAccuracy, validationAccuracy);
            EpochsWithoutImprovement++;
        }
        _current = Next(_initial, _current, Epochs);
        return _current;
    }

    /// <inheritdoc />
    public LearningRateScheduleState ExportState() =>
        new(Spec, _initial, LearningRate, Epochs, BestValidationAccuracy, EpochsWithoutImprovement);

    /// <inheritdoc />
    public void ImportState(LearningRateScheduleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!string.Equals(state.Spec, Spec, StringComparison.Ordinal))
            throw new ArgumentException($"Schedule state was written by '{state.Spec}' but this schedule is '{Spec}'; resume with the same schedule.");
        if (!(state.InitialLearningRate > 0) || !(state.LearningRate >= 0) || double.IsInfinity(state.LearningRate) || state.Epochs < 0 || state.EpochsWithoutImprovement < 0)
            throw new ArgumentException($"Schedule state is invalid: {state}.");
        _initial = state.InitialLearningRate;
        _current = state.LearningRate;
        Epochs = state.Epochs;
        BestValidationAccuracy = state.BestValidationAccuracy;
        EpochsWithoutImprovement = state.EpochsWithoutImprovement;
    }

    /// <summary>
    /// The rate after <paramref name="t"/> finished epochs, given lr0, the previous rate and (via the properties)
    /// the improvement bookkeeping, already updated for this epoch.
    /// </summary>
    protected abstract double Next(double initial, double previous, int t);

    /// <summary>Reset the improvement counter (the plateau rule does so after it decays).</summary>
    protected void ClearStaleEpochs() => EpochsWithoutImprovement = 0;

    public override string ToString() => Spec;
}
