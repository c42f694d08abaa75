namespace CvLearn.Core.Ensembles;

/// <summary>Result of <see cref="GreedyEnsembleSelection.Select"/>.</summary>
/// <param name="Order">Candidate indices in the order they were added, truncated to the best prefix (repeats allowed).</param>
/// <param name="Counts">Multiplicity of each candidate in the kept prefix (length = number of candidates).</param>
/// <param name="AccuracyCurve">Validation accuracy of the averaged ensemble after each round, for every round run.</param>
/// <param name="Accuracy">Validation accuracy of the kept prefix (the maximum of the curve).</param>
public sealed record GreedySelection(int[] Order, int[] Counts, double[] AccuracyCurve, double Accuracy)
{
    /// <summary>Number of members (with repeats) in the kept ensemble.</summary>
    public int Size => Order.Length;
}

/// <summary>
/// Ensemble selection from a library of models (Caruana, Niculescu-Mizil, Crew and Ksikes, ICML 2004):
/// start from the empty ensemble and, for up to maxSize rounds, add — with replacement — the candidate whose
/// inclusion gives the highest validation accuracy of the averaged probabilities; finally keep the prefix with the
/// best accuracy. Selecting with replacement lets good models gain weight and keeps accuracy from collapsing
/// once the good models are used up. Ties go to the lowest candidate index (and to the shortest prefix), so the
/// result is deterministic.
/// </summary>
public static class GreedyEnsembleSelection
{
    /// <summary>Runs the selection on precomputed validation probabilities.</summary>
    /// <param name="candidateProbabilities">Per candidate, N × C validation probabilities.</param>
    /// <param name="labels">N validation labels.</param>
    /// <param name="classes">C.</param>
    /// <param name="maxSize">Maximum rounds (ensemble size counting repeats), ≥ 1.</param>
    public static GreedySelection Select(IReadOnlyList<float[]> candidateProbabilities, ReadOnlySpan<int> labels, int classes, int maxSize)
    {
        ArgumentNullException.ThrowIfNull(candidateProbabilities);
        int m = candidateProbabilities.Count;
        if (m == 0) throw new ArgumentException("Greedy selection needs at least one candidate.", nameof(candidateProbabilities));
        if (maxSize < 1) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "The ensemble size must be at least 1.");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        int n = labels.Length, len = n * classes;
        for (int i = 0; i < m; i++)
            if (candidateProbabilities[i].Length != len)
                throw new ArgumentException($"Candidate {i} has {candidateProbabilities[i].Length} probabilities, expected {n} images × {classes} classes = {len}.", nameof(candidateProbabilities));
        if (n == 0) throw new ArgumentException("Greedy selection needs at least one validation image.", nameof(labels));

        // Argmax of the average equals argmax of the sum, so keep the running sum (in double: order-independent enough).
        var sum = new double[len];
        var order = new List<int>(maxSize);
        var curve = new double[maxSize];
        for (int round = 0; round < maxSize; round++)
        {
            int best = -1, bestCorrect = -1;
            for (int c = 0; c < m; c++)
            {
                int correct = CorrectWith(sum, candidateProbabilities[c], labels, classes);
                if (correct > bestCorrect) { best = c; bestCorrect = correct; }
            }
            var p = candidateProbabilities[best];
            for (int i = 0; i < len; i++) sum[i] += p[i];
            order.Add(best);
            curve[round] = (double)bestCorrect / n;
        }

        int keep = 0;
        for (int r = 1; r < maxSize; r++)
            if (curve[r] > curve[keep]) keep = r;
        var kept = order.GetRange(0, keep + 1).ToArray();
        var counts = new int[m];
        foreach (int c in kept) counts[c]++;
        return new GreedySelection(kept, counts, curve, curve[keep]);
    }

    /// <summary>Computes every candidate's validation probabilities, then runs <see cref="Select(IReadOnlyList{float[]}, ReadOnlySpan{int}, int, int)"/>.</summary>
    public static GreedySelection Select(IReadOnlyList<IClassifier> candidates, Data.LabeledImages validation, int maxSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(validation);
        var probs = new float[candidates.Count][];
        for (int i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Classes != validation.Classes)
                throw new ArgumentException($"Candidate {i} ({candidates[i]}) has {candidates[i].Classes} classes, the validation set {validation.Classes}.", nameof(candidates));
            probs[i] = new float[validation.Count * validation.Classes];
            candidates[i].PredictProbabilities(validation, probs[i], cancellationToken);
        }
        return Select(probs, validation.Labels, validation.Classes, maxSize);
    }

    /// <summary>Correct predictions of argmax(sum + p) per row (ties to the lowest class index).</summary>
    private static int CorrectWith(double[] sum, float[] p, ReadOnlySpan<int> labels, int classes)
    {
        int correct = 0;
        for (int i = 0, o = 0; i < labels.Length; i++, o += classes)
        {
            int arg = 0;
            double best = sum[o] + p[o];
            for (int j = 1; j < classes; j++)
            {
                double v = sum[o + j] + p[o + j];
                if (v > best) { best = v; arg = j; }
            }
            if (arg == labels[i]) correct++;
        }
        return correct;
    }
}
