namespace CvLearn.Core.Ensembles;

/// <summary>Argmax and accuracy over N × C probability (or score) arrays.</summary>
public static class ClassificationMetrics
{
    /// <summary>Index of the largest value of each row; ties go to the lowest class index. NaN never wins.</summary>
    public static void Argmax(ReadOnlySpan<float> probabilities, int classes, Span<int> predictions)
    {
        int n = CheckRows(probabilities.Length, classes);
        if (predictions.Length < n) throw new ArgumentException($"The prediction buffer needs {n} elements, has {predictions.Length}.", nameof(predictions));
        for (int i = 0; i < n; i++) predictions[i] = ArgmaxRow(probabilities.Slice(i * classes, classes));
    }

    /// <summary>Argmax of one row (lowest index on ties).</summary>
    public static int ArgmaxRow(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
            if (row[j] > row[best] || float.IsNaN(row[best])) best = j;
        return best;
    }

    /// <summary>Fraction of rows whose argmax equals the label.</summary>
    public static double Accuracy(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> labels)
    {
        int n = CheckRows(probabilities.Length, classes);
        if (n != labels.Length) throw new ArgumentException($"{n} probability rows but {labels.Length} labels.", nameof(labels));
        if (n == 0) return 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
            if (ArgmaxRow(probabilities.Slice(i * classes, classes)) == labels[i]) correct++;
        return (double)correct / n;
    }

    /// <summary>Fraction of predictions equal to the labels.</summary>
    public static double Accuracy(ReadOnlySpan<int> predictions, ReadOnlySpan<int> labels)
    {
        if (predictions.Length != labels.Length) throw new ArgumentException($"{predictions.Length} predictions but {labels.Length} labels.", nameof(labels));
        if (labels.Length == 0) return 0;
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if (predictions[i] == labels[i]) correct++;
        return (double)correct / labels.Length;
    }

    private static int CheckRows(int length, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        if (length % classes != 0) throw new ArgumentException($"{length} values are not a whole number of rows of {classes} classes.");
        return length / classes;
    }
}
