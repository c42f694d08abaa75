using System.Collections.Concurrent;
using CvLearn.Core.Data;

namespace CvLearn.Core.Training;

/// <summary>
/// The splits a run trains and evaluates on, preprocessed with statistics fitted on the training split only
/// (the notes' common pitfall: statistics from validation/test data leak information).
/// </summary>
public sealed record PreparedData(
    string DatasetName,
    IImageSet Train,
    LabeledImages Validation,
    LabeledImages Test,
    PreprocessingStats Stats,
    IReadOnlyList<string> ClassNames)
{
    private static readonly ConcurrentDictionary<(string Name, string? Dir), Lazy<Task<RawDataset>>> Cache = new();

    /// <summary>Input shape models are built for (after preprocessing, e.g. PCA changes it).</summary>
    public int[] InputShape => Stats.OutputShape;

    public int Classes => ClassNames.Count;

    /// <summary>
    /// Loads (once per process: a worker runs many trials on the same data), splits with
    /// <see cref="TrainingJobSpec.SplitSeed"/>, limits and preprocesses the data for <paramref name="spec"/>.
    /// </summary>
    public static async Task<PreparedData> PrepareAsync(TrainingJobSpec spec, CancellationToken ct)
    {
        // The trials of a search share dataset, split and preprocessing, and preparing them (split, fit, apply to
        // every image) costs more than a short epoch: keep the latest result. Nothing writes to prepared data (the
        // solver reads it through index permutations), so sharing it between runs is safe.
        var key = new PreparationKey(DatasetResolver.Canonical(spec.Dataset), spec.DataDir, spec.Validation, spec.SplitSeed, spec.TrainLimit,
            spec.TestLimit, spec.Preprocessing);
        lock (LastGate)
        {
            if (s_last is { } last && last.Key == key) return last.Data;
        }

        var prepared = await PrepareUncachedAsync(spec, ct).ConfigureAwait(false);
        lock (LastGate) s_last = (key, prepared);
        return prepared;
    }

    private static readonly object LastGate = new();
    private static (PreparationKey Key, PreparedData Data)? s_last;

    private readonly record struct PreparationKey(string Dataset, string? DataDir, int Validation, int SplitSeed, int? TrainLimit, int? TestLimit,
        PreprocessingOptions Preprocessing);

    private static async Task<PreparedData> PrepareUncachedAsync(TrainingJobSpec spec, CancellationToken ct)
    {
        var dataset = await LoadAsync(spec.Dataset, spec.DataDir, ct).ConfigureAwait(false);
        if (spec.Validation >= dataset.Train.Count)
            throw new ArgumentException($"validation: {spec.Validation} validation images leave nothing to train on ({dataset.Train.Count} training images in {dataset.Name}).");
        // The training part stays the cached bytes, read through a view that converts and normalizes each minibatch
        // as it is copied (unless a projection changes the sample size); validation and test are converted once.
        var (trainIndices, validationIndices) = DataSplit.Indices(dataset.Train.Count, spec.Validation, spec.SplitSeed, spec.TrainLimit);
        var rawTrain = new RawImageView(dataset.Train, trainIndices);
        var test = spec.TestLimit is { } limit ? dataset.Test.Take(limit) : dataset.Test.ToLabeledImages();
        var stats = PreprocessingStats.Fit(rawTrain, spec.Preprocessing);
        IImageSet train = stats.Options.UsesProjection ? stats.Apply(rawTrain) : rawTrain.WithPreprocessing(stats);
        return new PreparedData(dataset.Name, train, stats.ApplyInPlace(dataset.Train.Subset(validationIndices)), stats.ApplyInPlace(test), stats, dataset.ClassNames);
    }

    /// <summary>
    /// Loads a dataset by name with its pixels still bytes, caching it for the life of the process (a worker's trials,
    /// an ensemble's members and its evaluation all read the same files).
    /// </summary>
    public static Task<RawDataset> LoadAsync(string name, string? dataDir, CancellationToken ct)
    {
        var key = (DatasetResolver.Canonical(name), dataDir);
        var lazy = Cache.GetOrAdd(key, k => new Lazy<Task<RawDataset>>(() => new DatasetResolver(k.Dir).LoadRawAsync(k.Name, CancellationToken.None)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled) Cache.TryRemove(key, out _); // do not cache a failure (e.g. dataset installed later)
        return task.WaitAsync(ct);
    }
}
