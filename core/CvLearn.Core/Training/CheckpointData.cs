using System.Globalization;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;

namespace CvLearn.Core.Training;

/// <summary>Which split to score a checkpoint on.</summary>
public enum EvaluationSplit { Validation, Test }

/// <summary>
/// Recreates the data a checkpoint was trained with: the same dataset, the same seeded validation split, and the
/// checkpoint's own preprocessing statistics (never refitted: they belong to the model).
/// </summary>
public static class CheckpointData
{
    /// <summary>The raw (unpreprocessed) images of <paramref name="split"/> for a checkpoint's dataset and split settings.</summary>
    public static async Task<LabeledImages> RawSplitAsync(Checkpoint checkpoint, EvaluationSplit split, string? dataDir, int? limit, CancellationToken ct)
    {
        var meta = checkpoint.Metadata;
        if (!meta.TryGetValue(TrainingCheckpoint.Keys.Dataset, out var name))
            throw new CheckpointFormatException("the checkpoint does not say which dataset it was trained on (metadata 'dataset').");
        var dataset = await PreparedData.LoadAsync(name, dataDir, ct).ConfigureAwait(false);
        if (dataset.Classes != checkpoint.Classes)
            throw new CheckpointFormatException($"the checkpoint predicts {checkpoint.Classes} classes, dataset '{name}' has {dataset.Classes}.");
        if (split == EvaluationSplit.Test) return limit is { } n ? dataset.Test.Take(n) : dataset.Test.ToLabeledImages();
        int validation = Int(meta, TrainingCheckpoint.Keys.Validation) ?? DataSplit.DefaultValidationCount;
        int seed = Int(meta, TrainingCheckpoint.Keys.SplitSeed) ?? 0;
        // Only the validation part is converted to floats: the training part is not needed here.
        var (_, validationIndices) = DataSplit.Indices(dataset.Train.Count, validation, seed, Int(meta, TrainingCheckpoint.Keys.TrainLimit));
        return dataset.Train.Subset(limit is { } m && m < validationIndices.Length ? validationIndices.AsSpan(0, m) : validationIndices);
    }

    /// <summary>Applies the checkpoint's preprocessing statistics to raw images.</summary>
    public static LabeledImages Preprocess(Checkpoint checkpoint, LabeledImages raw) =>
        checkpoint.Preprocessing is { } stats ? stats.Apply(raw) : raw;

    private static int? Int(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;
}
