using System.Globalization;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;
using CvLearn.Core.Training;

namespace CvLearn.Core.Ensembles;

/// <summary>A loaded checkpoint and the name it is reported under (file name, storage key, trial id…).</summary>
public sealed record NamedCheckpoint(string Name, Checkpoint Checkpoint);

/// <summary>Options of <see cref="CheckpointEnsemble.EvaluateAsync"/>.</summary>
public sealed record CheckpointEnsembleOptions
{
    /// <summary>Directory holding the dataset files (null: the usual resolution, see <see cref="DatasetResolver"/>).</summary>
    public string? DataDir { get; init; }

    /// <summary>Score at most this many images of each split (null: all).</summary>
    public int? Limit { get; init; }

    /// <summary>Load each checkpoint's running average of the weights (EMA) instead of its raw weights, when stored.</summary>
    public bool UseEma { get; init; }

    /// <summary>
    /// Size of the "top-k" ensemble: the first k members <em>in the order given</em> (pass them best first, e.g. by
    /// validation accuracy). Null: all members.
    /// </summary>
    public int? TopK { get; init; }

    /// <summary>Run greedy (Caruana) selection on the validation split.</summary>
    public bool Greedy { get; init; } = true;

    /// <summary>Maximum greedy rounds (ensemble size counting repeats). Null: twice the number of members.</summary>
    public int? GreedyMaxSize { get; init; }

    /// <summary>
    /// Score the validation split from the probabilities the checkpoints carry (<see cref="Checkpoint.ValidationPredictions"/>)
    /// when every member has them — no dataset and no forward pass needed. Does not apply to the test split,
    /// to <see cref="UseEma"/> (they are the raw weights') or to a <see cref="Limit"/>; false always recomputes.
    /// </summary>
    public bool UseStoredPredictions { get; init; } = true;
}

/// <summary>Accuracy of one member on the evaluated split.</summary>
public sealed record CheckpointMemberAccuracy(string Name, double Accuracy);

/// <summary>
/// Greedy (Caruana) selection, always made on the <em>validation</em> split (selecting on test data would leak it).
/// </summary>
/// <param name="Selection">The raw selection over the members (indices in member order).</param>
/// <param name="Names">Member names in the order they were added (repeats allowed).</param>
/// <param name="ValidationAccuracy">Validation accuracy of the selected ensemble (the selection criterion).</param>
/// <param name="Accuracy">Accuracy of the selected ensemble on the evaluated split (equals ValidationAccuracy when that is validation).</param>
public sealed record CheckpointGreedyResult(GreedySelection Selection, IReadOnlyList<string> Names, double ValidationAccuracy, double Accuracy);

/// <summary>Result of <see cref="CheckpointEnsemble.EvaluateAsync"/>.</summary>
/// <param name="Split">The evaluated split.</param>
/// <param name="Images">Number of images scored.</param>
/// <param name="Members">Each member's accuracy, in member order.</param>
/// <param name="TopK">Number of leading members averaged for <paramref name="TopKAccuracy"/>.</param>
/// <param name="TopKAccuracy">Accuracy of the average of the first <paramref name="TopK"/> members' probabilities.</param>
/// <param name="Greedy">Greedy selection (null when disabled or when the members have no validation images).</param>
/// <param name="Labels">Labels of the evaluated images.</param>
/// <param name="Probabilities">Per member, N × C class probabilities on the evaluated split (computed once).</param>
public sealed record CheckpointEnsembleResult(
    EvaluationSplit Split,
    int Images,
    IReadOnlyList<CheckpointMemberAccuracy> Members,
    int TopK,
    double TopKAccuracy,
    CheckpointGreedyResult? Greedy,
    int[] Labels,
    IReadOnlyList<float[]> Probabilities)
{
    /// <summary>"val" or "test".</summary>
    public string SplitName => Split == EvaluationSplit.Test ? "test" : "val";

    /// <summary>Best single-member accuracy.</summary>
    public double BestSingleAccuracy => Members.Max(m => m.Accuracy);
}

/// <summary>
/// Scores trained checkpoints on a split: each member alone, the average of the top-k, and a greedy (Caruana)
/// selection on the validation split. Each member's probabilities are computed once per split, from the raw images
/// preprocessed with that member's own statistics. All members must have been trained on the same data (dataset,
/// validation split, training limit): otherwise their "validation split" would not be the same images.
/// </summary>
public static class CheckpointEnsemble
{
    /// <summary>Loads checkpoint files (names = paths) and evaluates them.</summary>
    public static async Task<CheckpointEnsembleResult> EvaluateFilesAsync(IReadOnlyList<string> files, EvaluationSplit split,
        CheckpointEnsembleOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var members = new List<NamedCheckpoint>(files.Count);
        foreach (var file in files) members.Add(new NamedCheckpoint(file, await CheckpointFile.LoadAsync(file, cancellationToken).ConfigureAwait(false)));
        return await EvaluateAsync(members, split, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Evaluates already-loaded checkpoints (at least one) on <paramref name="split"/>.</summary>
    /// <exception cref="ArgumentException">No members, a bad option, or members trained on different data.</exception>
    /// <exception cref="CheckpointFormatException">A checkpoint that cannot be loaded as a network.</exception>
    public static async Task<CheckpointEnsembleResult> EvaluateAsync(IReadOnlyList<NamedCheckpoint> members, EvaluationSplit split,
        CheckpointEnsembleOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        options ??= new CheckpointEnsembleOptions();
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one checkpoint.", nameof(members));
        int topK = options.TopK ?? members.Count;
        if (topK < 1 || topK > members.Count)
            throw new ArgumentOutOfRangeException(nameof(options), topK, $"top-k must be between 1 and the number of checkpoints ({members.Count}).");
        int greedyMax = options.GreedyMaxSize ?? 2 * members.Count;
        if (options.Greedy && greedyMax < 1) throw new ArgumentOutOfRangeException(nameof(options), greedyMax, "The greedy ensemble size must be at least 1.");
        if (options.Limit is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "The image limit must be at least 1.");
        CheckSameData(members, split == EvaluationSplit.Validation || options.Greedy);

        // Built on first use: stored validation predictions need no network.
        var classifiers = new Lazy<NetworkClassifier>[members.Count];
        for (int i = 0; i < members.Count; i++)
        {
            var m = members[i];
            classifiers[i] = new Lazy<NetworkClassifier>(() => new NetworkClassifier(TrainingCheckpoint.LoadNetwork(m.Checkpoint, options.UseEma, m.Name), name: m.Name));
        }

        var (labels, probs) = await ProbabilitiesAsync(members, classifiers, split, options, cancellationToken).ConfigureAwait(false);
        int classes = members[0].Checkpoint.Classes;
        var accuracies = new CheckpointMemberAccuracy[members.Count];
        for (int i = 0; i < members.Count; i++) accuracies[i] = new CheckpointMemberAccuracy(members[i].Name, ClassificationMetrics.Accuracy(probs[i], classes, labels));
        double topKAccuracy = AverageAccuracy(probs, Enumerable.Repeat(1, topK).Concat(Enumerable.Repeat(0, members.Count - topK)).ToArray(), classes, labels);

        CheckpointGreedyResult? greedy = null;
        if (options.Greedy)
        {
            var (valLabels, valProbs) = split == EvaluationSplit.Validation
                ? (labels, probs)
                : await ProbabilitiesAsync(members, classifiers, EvaluationSplit.Validation, options, cancellationToken).ConfigureAwait(false);
            if (valLabels.Length > 0) // a run trained without a validation split has nothing to select on
            {
                var selection = GreedyEnsembleSelection.Select(valProbs, valLabels, classes, greedyMax);
                double onSplit = split == EvaluationSplit.Validation ? selection.Accuracy : AverageAccuracy(probs, selection.Counts, classes, labels);
                greedy = new CheckpointGreedyResult(selection, selection.Order.Select(i => members[i].Name).ToArray(), selection.Accuracy, onSplit);
            }
        }
        return new CheckpointEnsembleResult(split, labels.Length, accuracies, topK, topKAccuracy, greedy, labels, probs);
    }

    private static async Task<(int[] Labels, float[][] Probabilities)> ProbabilitiesAsync(IReadOnlyList<NamedCheckpoint> members,
        Lazy<NetworkClassifier>[] classifiers, EvaluationSplit split, CheckpointEnsembleOptions options, CancellationToken ct)
    {
        if (split == EvaluationSplit.Validation && StoredValidationPredictions(members, options) is { } stored) return stored;
        // Same data for every member (checked), so the raw split is loaded once; preprocessing is per member.
        var raw = await CheckpointData.RawSplitAsync(members[0].Checkpoint, split, options.DataDir, options.Limit, ct).ConfigureAwait(false);
        var probs = new float[members.Count][];
        // The members of one search carry equal statistics: preprocess once per distinct transform, not per member
        // (each copy of a 5,000-image split is 16 MB of fresh memory, ~0.1 s in a VM).
        var preprocessed = new List<(PreprocessingStats? Stats, LabeledImages Images)>();
        for (int i = 0; i < members.Count; i++)
        {
            var cp = members[i].Checkpoint;
            var stats = cp.Preprocessing;
            int known = preprocessed.FindIndex(p => p.Stats is null ? stats is null : p.Stats.SameTransform(stats));
            if (known < 0)
            {
                preprocessed.Add((stats, CheckpointData.Preprocess(cp, raw)));
                known = preprocessed.Count - 1;
            }
            var images = preprocessed[known].Images;
            probs[i] = new float[images.Count * cp.Classes];
            var classifier = classifiers[i].Value;
            await Task.Run(() => classifier.PredictProbabilities(images, probs[i], ct), ct).ConfigureAwait(false);
        }
        return (raw.Labels, probs);
    }

    /// <summary>
    /// The members' stored validation probabilities, or null when they cannot stand in for a recomputation (not
    /// asked for, EMA weights, an image limit, or a member without them).
    /// </summary>
    /// <exception cref="ArgumentException">Members whose stored labels differ: they were scored on different images.</exception>
    private static (int[] Labels, float[][] Probabilities)? StoredValidationPredictions(IReadOnlyList<NamedCheckpoint> members, CheckpointEnsembleOptions options)
    {
        if (!options.UseStoredPredictions || options.UseEma || options.Limit is not null) return null;
        if (members.Any(m => m.Checkpoint.ValidationPredictions is null)) return null;
        var first = members[0].Checkpoint.ValidationPredictions!;
        foreach (var m in members.Skip(1))
        {
            // Same dataset and split metadata (checked before), so different labels mean different dataset files.
            if (!m.Checkpoint.ValidationPredictions!.Labels.AsSpan().SequenceEqual(first.Labels))
                throw new ArgumentException($"{m.Name} and {members[0].Name} were scored on different validation images (their stored validation labels differ, " +
                    "although dataset and split agree: did the workers read different dataset files?); an ensemble needs members scored on the same images.");
        }
        return (first.Labels, members.Select(m => m.Checkpoint.ValidationPredictions!.Probabilities).ToArray());
    }

    private static double AverageAccuracy(float[][] probs, int[] counts, int classes, int[] labels)
    {
        var weights = counts.Select(c => (double)c).ToArray();
        var avg = new float[probs[0].Length];
        Ensemble.Average(probs, weights, avg);
        return ClassificationMetrics.Accuracy(avg, classes, labels);
    }

    /// <summary>Rejects members trained on different data, naming both checkpoints and what differs.</summary>
    private static void CheckSameData(IReadOnlyList<NamedCheckpoint> members, bool needSameValidationSplit)
    {
        var first = members[0];
        string Describe(Checkpoint c) => string.Join(", ", DataKeys(needSameValidationSplit).Select(k => $"{k}={Get(c, k) ?? "(none)"}")) + $", classes={c.Classes}";
        foreach (var m in members.Skip(1))
        {
            bool same = m.Checkpoint.Classes == first.Checkpoint.Classes
                && DataKeys(needSameValidationSplit).All(k => Get(m.Checkpoint, k) == Get(first.Checkpoint, k));
            if (!same)
                throw new ArgumentException(
                    $"{m.Name} was trained on different data than {first.Name} ({Describe(m.Checkpoint)} vs {Describe(first.Checkpoint)}); " +
                    "ensemble members must share the dataset" + (needSameValidationSplit ? " and the validation split (validation count, split seed, train limit)" : "") + ".");
        }
    }

    private static IEnumerable<string> DataKeys(bool withSplit) => withSplit
        ? [TrainingCheckpoint.Keys.Dataset, TrainingCheckpoint.Keys.Validation, TrainingCheckpoint.Keys.SplitSeed, TrainingCheckpoint.Keys.TrainLimit]
        : [TrainingCheckpoint.Keys.Dataset];

    private static string? Get(Checkpoint c, string key)
    {
        if (!c.Metadata.TryGetValue(key, out var v)) return key switch
        {
            // Defaults that CheckpointData assumes for older checkpoints, so that absent and default compare equal.
            TrainingCheckpoint.Keys.Validation => DataSplit.DefaultValidationCount.ToString(CultureInfo.InvariantCulture),
            TrainingCheckpoint.Keys.SplitSeed => "0",
            _ => null,
        };
        if (key != TrainingCheckpoint.Keys.Dataset) return v;
        try { return DatasetResolver.Canonical(v); }
        catch (DatasetNotFoundException) { return v; } // an unknown name still compares (and fails later with its own message)
    }
}
