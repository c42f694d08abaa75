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
        if (validationCount < 0)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, "Validation count must be zero or positive.");
        if (validationCount >= train.Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount,
                $"Validation count {validationCount} must be smaller than the {train.Count} training images (some must remain for training). Use a smaller --validation count.");
        if (trainLimit is <= 0)
            throw new ArgumentOutOfRangeException(nameof(trainLimit), trainLimit, "Train limit must be positive (or unset for all remaining images).");

        int[] perm = SeededShuffle.Permutation(train.Count, seed);
        int remaining = train.Count - validationCount;
        int trainCount = Math.Min(remaining, trainLimit ?? remaining);
        // The permutation is one shuffle: its head is validation, what follows is the training subset, so that a
        // train limit never changes which images are held out for validation.
        int[] valIdx = perm.AsSpan(0, validationCount).ToArray();
        int[] trainIdx = perm.AsSpan(validationCount, trainCount).ToArray();
        Array.Sort(valIdx);
        Array.Sort(trainIdx);
        return new TrainValidationSplit(train.Subset(trainIdx), train.Subset(valIdx), trainIdx, valIdx);
    }
}
