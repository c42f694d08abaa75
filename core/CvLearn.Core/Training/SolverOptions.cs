namespace CvLearn.Core.Training;

/// <summary>Settings of one <see cref="Solver"/> run. Call <see cref="Validate"/> (the Solver does) for clear errors.</summary>
public sealed record SolverOptions
{
    /// <summary>Total epochs (full passes over the training set), ≥ 1. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Minibatch size, ≥ 1. The last batch of an epoch may be smaller. Default 100 (CS231n Solver's).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Initial learning rate lr0 (the schedule starts from it), &gt; 0. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of every random choice of the Solver (shuffles, train-accuracy sample, dropout reseeds).</summary>
    public int Seed { get; init; }

    /// <summary>Training images (a fixed seeded sample) on which train accuracy is measured each epoch, ≥ 1. Default 1000.</summary>
    public int TrainAccuracySample { get; init; } = 1000;

    /// <summary>
    /// Decay of the running exponential average of the weights in [0, 1), updated after every step; its
    /// validation accuracy is reported next to the raw one. 0 disables it (the EMA accuracy then repeats the raw
    /// one). Default 0.999.
    /// </summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>
    /// Divergence threshold, &gt; 1: training stops with <see cref="SolverStatus.Diverged"/> as soon as a
    /// minibatch loss is NaN/∞ or the smoothed loss (exponential average of minibatch losses with weight 0.1
    /// on the newest, so one unlucky batch does not trigger it) exceeds DivergenceFactor × max(first minibatch
    /// loss, 0.5) — the floor keeps a run that starts from a good model from tripping on small wobbles. Default 10: a softmax classifier starts near ln(C), and a loss ten times that means the weights are
    /// blowing up. <see cref="double.PositiveInfinity"/> keeps only the NaN/∞ check.
    /// </summary>
    public double DivergenceFactor { get; init; } = 10;

    /// <summary>Batch size for accuracy evaluation (no gradients, so it can exceed BatchSize), ≥ 1. Default 500.</summary>
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting and what is allowed.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw Bad(nameof(Epochs), Epochs, "must be at least 1");
        if (BatchSize < 1) throw Bad(nameof(BatchSize), BatchSize, "must be at least 1");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw Bad(nameof(LearningRate), LearningRate, "must be a positive finite number such as 1e-3");
        if (TrainAccuracySample < 1) throw Bad(nameof(TrainAccuracySample), TrainAccuracySample, "must be at least 1 (it is capped at the training set size)");
        if (!(EmaDecay >= 0 && EmaDecay < 1)) throw Bad(nameof(EmaDecay), EmaDecay, "must be in [0, 1), e.g. 0.999, or 0 to disable the weight average");
        if (!(DivergenceFactor > 1)) throw Bad(nameof(DivergenceFactor), DivergenceFactor, "must be greater than 1 (e.g. 10), or +∞ to check only for NaN/∞");
        if (EvalBatchSize < 1) throw Bad(nameof(EvalBatchSize), EvalBatchSize, "must be at least 1");
    }

    private static ArgumentException Bad(string name, object value, string rule) =>
        new($"Solver option {name} = {value} is invalid: it {rule}.");
}
