namespace CvLearn.Core.Data;

/// <summary>
/// A training set split into disjoint train and validation parts. The index arrays refer to the original set
/// and are ascending, so each part keeps the original order (the trainer shuffles per epoch anyway).
/// </summary>
public sealed record TrainValidationSplit(LabeledImages Train, LabeledImages Validation, int[] TrainIndices, int[] ValidationIndices);

/// <summary>Seeded train/validation splits: hyperparameters are chosen on validation data, never on the test set.</summary>
public static class DataSplit
{
    public const int DefaultValidationCount = 5_000;

    /// <summary>
    /// Holds out <paramref name="validationCount"/> images chosen by a seeded permutation as the validation set; the rest
    /// (or a seeded subset of <paramref name="trainLimit"/> of them, for small runs) is the training set.
    /// Same data and seed → same split on every machine.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">validationCount is negative or leaves no training images; trainLimit ≤ 0.</exception>
    public static TrainValidationSplit TrainValidation(LabeledImages train, int validationCount = DefaultValidationCount, int seed = 0, int? trainLimit = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var (trainIdx, valIdx) = Indices(train.Count, validationCount, seed, trainLimit);
        return new TrainValidationSplit(train.Subset(trainIdx), train.Subset(valIdx), trainIdx, valIdx);
    }

    /// <summary>The same split of images still stored as bytes, each part converted to float32 as it is taken.</summary>
    public static TrainValidationSplit TrainValidation(RawImages train, int validationCount = DefaultValidationCount, int seed = 0, int? trainLimit = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var (trainIdx, valIdx) = Indices(train.Count, validationCount, seed, trainLimit);
        return new TrainValidationSplit(train.Subset(trainIdx), train.Subset(valIdx), trainIdx, valIdx);
    }

    /// <summary>The ascending indices of the train and validation parts of a set of <paramref name="count"/> images (see <see cref="TrainValidation(LabeledImages, int, int, int?)"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">validationCount is negative or leaves no training images; trainLimit ≤ 0.</exception>
    public static (int[] Train, int[] Validation) Indices(int count, int validationCount = DefaultValidationCount, int seed = 0, int? trainLimit = null)
    {
        if (validationCount < 0)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, "Validation count must be zero or positive.");
        if (validationCount >= count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount,
                $"Validation count {validationCount} must be smaller than the {count} training images (some must remain for training). Use a smaller --validation count.");
        if (trainLimit is <= 0)
            throw new ArgumentOutOfRangeException(nameof(trainLimit), trainLimit, "Train limit must be positive (or unset for all remaining images).");

        int[] perm = SeededShuffle.Permutation(count, seed);
        int remaining = count - validationCount;
        int trainCount = Math.Min(remaining, trainLimit ?? remaining);
        // The permutation is one shuffle: its head is validation, what follows is the training subset, so that a
        // train limit never changes which images are held out for validation.
        int[] valIdx = perm.AsSpan(0, validationCount).ToArray();
        int[] trainIdx = perm.AsSpan(validationCount, trainCount).ToArray();
        Array.Sort(valIdx);
        Array.Sort(trainIdx);
        return (trainIdx, valIdx);
    }
}
