using System.Globalization;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;

namespace CvLearn.Core.Training;

/// <summary>
/// Maps between a live training run (network, solver) and the <see cref="Checkpoint"/> record: everything needed
/// to predict (spec, parameters, batchnorm state, preprocessing) and to resume exactly (update-rule state,
/// solver scalars, EMA weights, history).
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Metadata keys written into every checkpoint.</summary>
    public static class Keys
    {
        public const string Experiment = "experiment";
        public const string Trial = "trial";
        public const string Epoch = "epoch";
        public const string ValAccuracy = "val_acc";
        public const string Dataset = "dataset";
        public const string Created = "created";
        public const string Status = "status";
        public const string Validation = "validation";
        public const string SplitSeed = "split_seed";
        public const string TrainLimit = "train_limit";
        public const string DataDir = "data_dir";
    }

    /// <summary>Captures the current state of a run (call at an epoch end, where the solver state is consistent).</summary>
    /// <param name="buffers">Arrays to copy the large buffers into instead of fresh ones (the checkpoint then stays
    /// valid until the capture after the next one with the same buffers); null allocates.</param>
    public static Checkpoint Capture(Network<float> network, Solver solver, TrainingJobSpec spec, PreparedData data,
        IReadOnlyDictionary<string, string>? extraMetadata = null, CaptureBuffers? buffers = null)
    {
        buffers?.BeginCapture();
        Func<string, int, float[]> allocate = buffers is null ? static (_, length) => new float[length] : buffers.Get;
        var state = solver.ExportState(allocate);
        var ps = network.Parameters;
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [Keys.Epoch] = state.EpochsDone.ToString(CultureInfo.InvariantCulture),
            [Keys.ValAccuracy] = (state.History.Count > 0 ? state.History[^1].ValidationAccuracy : 0).ToString("R", CultureInfo.InvariantCulture),
            [Keys.Dataset] = data.DatasetName,
            [Keys.Created] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            // The split travels with the model so that `evaluate` and ensembles score the very same validation images.
            [Keys.Validation] = spec.Validation.ToString(CultureInfo.InvariantCulture),
            [Keys.SplitSeed] = spec.SplitSeed.ToString(CultureInfo.InvariantCulture),
        };
        if (spec.TrainLimit is { } limit) metadata[Keys.TrainLimit] = limit.ToString(CultureInfo.InvariantCulture);
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) metadata[k] = v;

        var scalars = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["epochs_done"] = state.EpochsDone,
            ["iterations"] = state.Iterations,
            ["learning_rate"] = state.LearningRate,
            ["best_val_acc"] = state.BestValidationAccuracy,
            ["best_epoch"] = state.BestEpoch,
            ["initial_loss"] = state.InitialLoss,
            ["smoothed_loss"] = state.SmoothedLoss,
            ["seed"] = state.Seed,
            ["batch_size"] = state.BatchSize,
            ["schedule.initial_lr"] = state.Schedule.InitialLearningRate,
            ["schedule.lr"] = state.Schedule.LearningRate,
            ["schedule.epochs"] = state.Schedule.Epochs,
            ["schedule.best"] = state.Schedule.BestValidationAccuracy,
            ["schedule.stale"] = state.Schedule.EpochsWithoutImprovement,
        };

        return new Checkpoint
        {
            ModelSpec = spec.Dropout is { } p ? ModelSpec.Parse(spec.Model).WithDropout(p).ToString() : ModelSpec.Parse(spec.Model).ToString(),
            InputShape = data.InputShape,
            Classes = data.Classes,
            ClassNames = data.ClassNames,
            Hyperparameters = spec.Hyperparameters(),
            Metadata = metadata,
            Parameters = Split(ps.Parameters, ps.Values, "param.", allocate),
            State = Split(ps.StateBuffers, ps.State, "state.", allocate),
            EmaParameters = state.EmaWeights is { } ema ? Split(ps.Parameters, ema, "ema.", allocate) : null,
            // ExportState's buffers are copies already (the solver goes on training while a checkpoint is saved): no second copy.
            Optimizer = new OptimizerCheckpoint(state.UpdateRule, state.UpdateRuleSteps,
                state.UpdateRuleState.Select(kv => new NamedArray(kv.Key, [kv.Value.Length], kv.Value)).ToArray()),
            SolverState = scalars,
            Preprocessing = data.Stats,
            History = state.History.ToArray(),
            ValidationPredictions = CaptureValidationPredictions(solver, data, allocate),
        };
    }

    /// <summary>The solver's current validation probabilities with the split's labels, or null when it has none for this epoch.</summary>
    private static ValidationPredictions? CaptureValidationPredictions(Solver solver, PreparedData data, Func<string, int, float[]> allocate)
    {
        var probabilities = solver.ValidationProbabilities;
        if (probabilities.IsEmpty) return null;
        var copy = allocate("validation.probabilities", probabilities.Length);
        probabilities.CopyTo(copy);
        // Labels are never written after a split is made: the checkpoint can hold the split's own array.
        return new ValidationPredictions(data.Validation.Labels, copy, data.Classes);
    }

    /// <summary>Builds the network a checkpoint describes and loads its parameters and state (for prediction).</summary>
    /// <param name="useEma">Load the running average of the weights instead of the raw weights, when present.</param>
    public static Network<float> LoadNetwork(Checkpoint checkpoint, bool useEma = false, string? source = null)
    {
        ModelSpec spec;
        try { spec = ModelSpec.Parse(checkpoint.ModelSpec); }
        catch (ArgumentException ex) { throw new CheckpointFormatException($"{Where(source)}model spec '{checkpoint.ModelSpec}' is not valid: {ex.Message}"); }
        if (!spec.IsNetwork) throw new CheckpointFormatException($"{Where(source)}model '{spec}' has no trainable network to load.");
        var network = ModelFactory.CreateNetwork<float>(spec, checkpoint.InputShape, checkpoint.Classes, new ModelBuildOptions { Seed = 0 });
        var ps = network.Parameters;
        Load(ps.Parameters, ps.Values, useEma && checkpoint.EmaParameters is { } ema ? ema : checkpoint.Parameters, "parameter", source);
        Load(ps.StateBuffers, ps.State, checkpoint.State, "state buffer", source);
        return network;
    }

    /// <summary>Restores parameters, state and the solver's resume state from a checkpoint of the same run.</summary>
    public static void Restore(Checkpoint checkpoint, Network<float> network, Solver solver, string? source = null)
    {
        var ps = network.Parameters;
        Load(ps.Parameters, ps.Values, checkpoint.Parameters, "parameter", source);
        Load(ps.StateBuffers, ps.State, checkpoint.State, "state buffer", source);
        var s = checkpoint.SolverState;
        double Get(string key) => s.TryGetValue(key, out var v) ? v
            : throw new CheckpointFormatException($"{Where(source)}cannot resume: solver state '{key}' is missing.");
        var optimizer = checkpoint.Optimizer ?? throw new CheckpointFormatException($"{Where(source)}cannot resume: no optimizer state.");
        float[]? ema = null;
        if (checkpoint.EmaParameters is { } emaArrays)
        {
            ema = new float[ps.Count];
            Load(ps.Parameters, ema, emaArrays, "EMA parameter", source);
        }
        var schedule = new LearningRateScheduleState(
            checkpoint.Hyperparameters.TryGetValue("lr_schedule", out var spec) ? spec : "constant",
            Get("schedule.initial_lr"), Get("schedule.lr"), (int)Get("schedule.epochs"), Get("schedule.best"), (int)Get("schedule.stale"));
        solver.ImportState(new SolverState(
            EpochsDone: (int)Get("epochs_done"),
            Iterations: (long)Get("iterations"),
            LearningRate: Get("learning_rate"),
            Schedule: schedule,
            UpdateRule: optimizer.Name,
            UpdateRuleSteps: optimizer.Steps,
            UpdateRuleState: optimizer.Buffers.ToDictionary(b => b.Name, b => b.Data.ToArray(), StringComparer.Ordinal),
            EmaWeights: ema,
            BestValidationAccuracy: Get("best_val_acc"),
            BestEpoch: (int)Get("best_epoch"),
            InitialLoss: Get("initial_loss"),
            SmoothedLoss: Get("smoothed_loss"),
            Seed: (int)Get("seed"),
            BatchSize: (int)Get("batch_size"),
            History: checkpoint.History.ToList()));
    }

    private static NamedArray[] Split(IReadOnlyList<ParameterInfo> infos, float[] flat, string kind, Func<string, int, float[]> allocate)
    {
        var arrays = new NamedArray[infos.Count];
        for (int i = 0; i < arrays.Length; i++)
        {
            var p = infos[i];
            var data = allocate(kind + p.Name, p.Length);
            flat.AsSpan(p.Offset, p.Length).CopyTo(data);
            arrays[i] = new NamedArray(p.Name, p.Shape.ToArray(), data);
        }
        return arrays;
    }

    private static void Load(IReadOnlyList<ParameterInfo> infos, float[] flat, IReadOnlyList<NamedArray> arrays, string what, string? source)
    {
        var byName = new Dictionary<string, NamedArray>(StringComparer.Ordinal);
        foreach (var a in arrays) byName[a.Name] = a;
        foreach (var p in infos)
        {
            if (!byName.TryGetValue(p.Name, out var a))
                throw new CheckpointFormatException($"{Where(source)}{what} '{p.Name}' is missing: the checkpoint does not match its model spec.");
            if (!a.Shape.AsSpan().SequenceEqual(p.Shape) || a.Data.Length != p.Length)
                throw new CheckpointFormatException($"{Where(source)}{what} '{p.Name}' has shape {Tensors.Tensor<float>.ShapeString(a.Shape)}, the model expects {Tensors.Tensor<float>.ShapeString(p.Shape)}.");
            a.Data.CopyTo(flat.AsSpan(p.Offset, p.Length));
        }
        if (byName.Count != infos.Count)
            throw new CheckpointFormatException($"{Where(source)}the checkpoint has {byName.Count} {what}s, the model {infos.Count}: it does not match its model spec.");
    }

    private static string Where(string? source) => source is null ? "" : $"{source}: ";
}
