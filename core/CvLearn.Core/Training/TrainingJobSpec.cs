using System.Globalization;
using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;

namespace CvLearn.Core.Training;

/// <summary>
/// Everything that defines one training run: data, model, update rule, hyperparameters, epochs, seeds.
/// The same spec drives `cvlearn-worker train` and a trial assigned by the master.
/// </summary>
public sealed record TrainingJobSpec
{
    /// <summary>Dataset name (fashion-mnist, mnist, cifar10).</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Explicit dataset directory searched first, or null.</summary>
    public string? DataDir { get; init; }

    /// <summary>Use at most this many training images (after the validation split), or all when null.</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Validation images held out of the training set.</summary>
    public int Validation { get; init; } = DataSplit.DefaultValidationCount;

    /// <summary>Evaluate on at most this many test images, or all when null.</summary>
    public int? TestLimit { get; init; }

    /// <summary>Seed of the train/validation split. Kept apart from <see cref="Seed"/> so every trial of a search sees the same split.</summary>
    public int SplitSeed { get; init; }

    /// <summary>Model spec (see <see cref="ModelSpec.Grammar"/>).</summary>
    public required string Model { get; init; }

    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 1e-3;
    public double Reg { get; init; }
    public RegularizationKind RegKind { get; init; } = RegularizationKind.L2;

    /// <summary>Dropout probability overriding the spec's, or null to keep it.</summary>
    public double? Dropout { get; init; }

    /// <summary>Momentum μ for momentum/nesterov.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Learning-rate schedule (see <see cref="LearningRateSchedules.Grammar"/>).</summary>
    public string Schedule { get; init; } = "constant";

    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 128;

    /// <summary>Seed of initialization, shuffling and dropout.</summary>
    public int Seed { get; init; } = 1;

    public double EmaDecay { get; init; } = 0.999;
    public double DivergenceFactor { get; init; } = 10;
    /// <summary>
    /// Preprocessing fitted on the training split: by default mean subtraction and per-channel std normalization
    /// (raw 0–255 pixels would make the default learning rates far too large).
    /// </summary>
    public PreprocessingOptions Preprocessing { get; init; } = DefaultPreprocessing;

    /// <summary>Per-pixel mean subtraction, then division by the per-channel standard deviation.</summary>
    public static PreprocessingOptions DefaultPreprocessing { get; } = PreprocessingOptions.Default with { Std = StatisticMode.PerChannel };

    /// <summary>Checks every field; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("model: a model spec is required.\n" + ModelSpec.Grammar);
        ModelSpec.Parse(Model);
        if (!UpdateRules.Names.Contains(Optimizer.ToLowerInvariant()))
            throw new ArgumentException($"optimizer: unknown update rule '{Optimizer}'; use one of {string.Join(", ", UpdateRules.Names)}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"lr: the learning rate must be a positive number, got {LearningRate}.");
        if (!(Reg >= 0) || !double.IsFinite(Reg)) throw new ArgumentException($"reg: the regularization strength must be ≥ 0, got {Reg}.");
        if (Dropout is { } p && !(p >= 0 && p < 1)) throw new ArgumentException($"dropout: the drop probability must be in [0, 1), got {p}.");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"momentum: must be in [0, 1), got {Momentum}.");
        if (Epochs < 1) throw new ArgumentException($"epochs: must be at least 1, got {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"batch: must be at least 1, got {BatchSize}.");
        if (Validation < 1) throw new ArgumentException($"validation: must be at least 1 image, got {Validation}.");
        if (TrainLimit is < 1) throw new ArgumentException($"train-limit: must be at least 1, got {TrainLimit}.");
        if (TestLimit is < 1) throw new ArgumentException($"test-limit: must be at least 1, got {TestLimit}.");
        if (!(EmaDecay >= 0 && EmaDecay < 1)) throw new ArgumentException($"ema: the decay must be in [0, 1), got {EmaDecay}.");
        LearningRateSchedules.Parse(Schedule);
        Preprocessing.Validate();
    }

    /// <summary>The hyperparameters as text (invariant culture, round-trippable), as stored in checkpoints.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["model"] = Model,
        ["optimizer"] = Optimizer,
        ["learning_rate"] = Num(LearningRate),
        ["reg"] = Num(Reg),
        ["reg_kind"] = RegKind.ToString(),
        ["dropout"] = Dropout is { } d ? Num(d) : "spec",
        ["momentum"] = Num(Momentum),
        // Canonical form (e.g. "lr_decay:0.95" is stored as "step:1:0.95"): resuming compares it with the schedule's own Spec.
        ["lr_schedule"] = LearningRateSchedules.Parse(Schedule).Spec,
        ["epochs"] = Epochs.ToString(CultureInfo.InvariantCulture),
        ["batch_size"] = BatchSize.ToString(CultureInfo.InvariantCulture),
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["ema_decay"] = Num(EmaDecay),
    };

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
