using CvLearn.Core.Data;
using CvLearn.Core.Training;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// Everything needed to evaluate a trained model (spec, shapes, parameters, batchnorm state, preprocessing statistics)
/// and to resume its training exactly (optimizer buffers, solver state, history). Serialised by <see cref="CheckpointFile"/>.
/// Arrays are held by reference: a checkpoint is a snapshot only if the caller passes copies.
/// </summary>
public sealed record Checkpoint
{
    /// <summary>The model description the network is rebuilt from (e.g. "conv(32,3)-relu-pool-affine(10)").</summary>
    public required string ModelSpec { get; init; }

    /// <summary>Shape of one model input sample: (C, H, W), or (k, 1, 1) after PCA preprocessing.</summary>
    public required int[] InputShape { get; init; }

    public required int Classes { get; init; }

    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>The trial's hyperparameters as strings (learning_rate, reg, …), invariant culture.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Provenance: experiment, trial, epoch, val_acc, dataset, created (ISO-8601), …</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Learnable parameters by name.</summary>
    public required IReadOnlyList<NamedArray> Parameters { get; init; }

    /// <summary>Non-learned state (batchnorm running mean/variance).</summary>
    public IReadOnlyList<NamedArray> State { get; init; } = [];

    /// <summary>Exponential moving average of the parameters, when training kept one.</summary>
    public IReadOnlyList<NamedArray>? EmaParameters { get; init; }

    public OptimizerCheckpoint? Optimizer { get; init; }

    /// <summary>Solver state: epochs done, current learning rate, schedule state, best validation accuracy…</summary>
    public IReadOnlyDictionary<string, double> SolverState { get; init; } = new Dictionary<string, double>();

    /// <summary>The preprocessing fitted on the training split; null when raw pixels are fed to the model.</summary>
    public PreprocessingStats? Preprocessing { get; init; }

    public IReadOnlyList<EpochRecord> History { get; init; } = [];

    /// <summary>The raw parameters' class probabilities on the validation split at capture; null when not recorded (older checkpoints).</summary>
    public ValidationPredictions? ValidationPredictions { get; init; }
}
