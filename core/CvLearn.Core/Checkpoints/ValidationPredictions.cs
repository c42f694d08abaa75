namespace CvLearn.Core.Checkpoints;

/// <summary>
/// What a checkpoint's raw parameters predicted on the validation split when it was captured: softmax class
/// probabilities (row-major N × C, row i for validation image i) and those images' labels. The Solver computes them
/// anyway to measure the epoch's validation accuracy; stored with the checkpoint (an optional "vprd" section, ~4·N·(C+1)
/// bytes), they let an ensemble of a search's checkpoints be scored and selected (top-k average, greedy) without the
/// dataset and without a forward pass per member. They equal, bit for bit, what evaluating the loaded checkpoint on the
/// same validation split computes (tests/CvLearn.Core.Tests/Ensembles/StoredPredictionsTests.cs).
/// </summary>
public sealed record ValidationPredictions
{
    /// <exception cref="ArgumentException">The arrays do not describe N images × <paramref name="classes"/> classes, or a label is out of range.</exception>
    public ValidationPredictions(int[] labels, float[] probabilities, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (classes < 1) throw new ArgumentException($"Validation predictions need at least one class, got {classes}.", nameof(classes));
        if (probabilities.LongLength != (long)labels.Length * classes)
            throw new ArgumentException($"Validation predictions hold {probabilities.Length} probabilities for {labels.Length} images × {classes} classes = {(long)labels.Length * classes}.", nameof(probabilities));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"Validation label {labels[i]} of image {i} is outside 0..{classes - 1}.", nameof(labels));
        Labels = labels;
        Probabilities = probabilities;
        Classes = classes;
    }

    /// <summary>Labels of the validation images, in split order.</summary>
    public int[] Labels { get; }

    /// <summary>Softmax probabilities, row-major (Count, Classes).</summary>
    public float[] Probabilities { get; }

    public int Classes { get; }

    /// <summary>Number of validation images.</summary>
    public int Count => Labels.Length;
}
