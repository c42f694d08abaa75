using CvLearn.Core.Data;

namespace CvLearn.Core.Ensembles;

/// <summary>Accuracy of every member and of their average on one labelled set.</summary>
/// <param name="MemberAccuracies">Accuracy of each member alone, in member order.</param>
/// <param name="EnsembleAccuracy">Accuracy of the (weighted) average of the member probabilities.</param>
/// <param name="Probabilities">The averaged probabilities, N × C.</param>
/// <param name="Predictions">Argmax of <paramref name="Probabilities"/> per image.</param>
public sealed record EnsembleEvaluation(double[] MemberAccuracies, double EnsembleAccuracy, float[] Probabilities, int[] Predictions);

/// <summary>
/// Averages the class probabilities of several classifiers (the notes' "model ensembles": typically the top
/// checkpoints of a search). Weights are relative (e.g. multiplicities from <see cref="GreedyEnsembleSelection"/>).
/// </summary>
public sealed class Ensemble : IClassifier
{
    private readonly IClassifier[] _members;
    private readonly double[] _weights;

    /// <param name="members">At least one classifier, all with the same number of classes.</param>
    /// <param name="weights">Non-negative relative weights (null = equal); must not all be zero.</param>
    public Ensemble(IReadOnlyList<IClassifier> members, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        _members = members.ToArray();
        Classes = _members[0].Classes;
        for (int i = 1; i < _members.Length; i++)
            if (_members[i].Classes != Classes)
                throw new ArgumentException($"Member {i} ({_members[i]}) has {_members[i].Classes} classes, member 0 has {Classes}; all members must classify the same classes.", nameof(members));
        _weights = weights?.ToArray() ?? Enumerable.Repeat(1.0, _members.Length).ToArray();
        if (_weights.Length != _members.Length)
            throw new ArgumentException($"{_weights.Length} weights for {_members.Length} members.", nameof(weights));
        double total = 0;
        foreach (double w in _weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException($"Weights must be finite and non-negative, got {w}.", nameof(weights));
            total += w;
        }
        if (total == 0) throw new ArgumentException("At least one weight must be positive.", nameof(weights));
    }

    /// <summary>The ensemble a greedy selection chose: each selected member weighted by its multiplicity.</summary>
    public static Ensemble FromSelection(IReadOnlyList<IClassifier> candidates, GreedySelection selection)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(selection);
        if (selection.Counts.Length != candidates.Count)
            throw new ArgumentException($"The selection was made over {selection.Counts.Length} candidates, {candidates.Count} given.", nameof(selection));
        var members = new List<IClassifier>();
        var weights = new List<double>();
        for (int i = 0; i < candidates.Count; i++)
            if (selection.Counts[i] > 0)
            {
                members.Add(candidates[i]);
                weights.Add(selection.Counts[i]);
            }
        return new Ensemble(members, weights);
    }

    public int Classes { get; }
    public IReadOnlyList<IClassifier> Members => _members;
    public IReadOnlyList<double> Weights => _weights;

    public void PredictProbabilities(LabeledImages data, float[] probabilities, CancellationToken cancellationToken) =>
        Evaluate(data, probabilities, computeAccuracy: false, cancellationToken);

    /// <summary>Accuracy of each member and of the ensemble on a labelled set.</summary>
    public EnsembleEvaluation Evaluate(LabeledImages data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var probs = new float[data.Count * Classes];
        var memberAcc = Evaluate(data, probs, computeAccuracy: true, cancellationToken);
        var preds = new int[data.Count];
        ClassificationMetrics.Argmax(probs, Classes, preds);
        return new EnsembleEvaluation(memberAcc, ClassificationMetrics.Accuracy(preds, data.Labels), probs, preds);
    }

    private double[] Evaluate(LabeledImages data, float[] destination, bool computeAccuracy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(destination);
        if (data.Classes != Classes)
            throw new ArgumentException($"The data has {data.Classes} classes, the ensemble {Classes}.", nameof(data));
        int len = data.Count * Classes;
        if (destination.Length < len) throw new ArgumentException($"The probability buffer needs {len} elements, has {destination.Length}.", nameof(destination));
        var memberProbs = new float[len];
        var sum = new double[len]; // accumulate in double so that the result does not depend on member order
        var accuracies = new double[_members.Length];
        double totalWeight = 0;
        for (int m = 0; m < _members.Length; m++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Zero-weight members still count for their own accuracy, but are skipped when only probabilities are wanted.
            if (_weights[m] == 0 && !computeAccuracy) continue;
            _members[m].PredictProbabilities(data, memberProbs, cancellationToken);
            if (computeAccuracy) accuracies[m] = ClassificationMetrics.Accuracy(memberProbs.AsSpan(0, len), Classes, data.Labels);
            double w = _weights[m];
            if (w == 0) continue;
            totalWeight += w;
            for (int i = 0; i < len; i++) sum[i] += w * memberProbs[i];
        }
        double inv = 1.0 / totalWeight;
        for (int i = 0; i < len; i++) destination[i] = (float)(sum[i] * inv);
        return accuracies;
    }

    /// <summary>
    /// Weighted average of precomputed member probabilities (each N × C) into <paramref name="destination"/>.
    /// </summary>
    public static void Average(IReadOnlyList<float[]> memberProbabilities, ReadOnlySpan<double> weights, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(memberProbabilities);
        if (memberProbabilities.Count == 0) throw new ArgumentException("Nothing to average.", nameof(memberProbabilities));
        if (!weights.IsEmpty && weights.Length != memberProbabilities.Count)
            throw new ArgumentException($"{weights.Length} weights for {memberProbabilities.Count} members.", nameof(weights));
        int len = memberProbabilities[0].Length;
        if (destination.Length < len) throw new ArgumentException($"The destination needs {len} elements.", nameof(destination));
        double total = 0;
        for (int m = 0; m < memberProbabilities.Count; m++)
        {
            if (memberProbabilities[m].Length != len)
                throw new ArgumentException($"Member {m} has {memberProbabilities[m].Length} values, member 0 has {len}.", nameof(memberProbabilities));
            total += weights.IsEmpty ? 1 : weights[m];
        }
        if (!(total > 0)) throw new ArgumentException("The weights must sum to a positive number.", nameof(weights));
        for (int i = 0; i < len; i++)
        {
            double s = 0;
            for (int m = 0; m < memberProbabilities.Count; m++) s += (weights.IsEmpty ? 1 : weights[m]) * memberProbabilities[m][i];
            destination[i] = (float)(s / total);
        }
    }
}
