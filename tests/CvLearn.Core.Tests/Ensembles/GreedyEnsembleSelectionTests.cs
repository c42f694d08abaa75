using CvLearn.Core.Ensembles;
using CvLearn.Core.Models;

namespace CvLearn.Core.Tests.Ensembles;

public class GreedyEnsembleSelectionTests
{
    /// <summary>Two-class probabilities from the probability of class 1 per item.</summary>
    private static float[] Binary(params float[] p1)
    {
        var p = new float[p1.Length * 2];
        for (int i = 0; i < p1.Length; i++) { p[2 * i] = 1 - p1[i]; p[2 * i + 1] = p1[i]; }
        return p;
    }

    [Fact]
    public void PicksTheBestMemberThenItsComplement()
    {
        int[] labels = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        var candidates = new[]
        {
            Binary(0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f),   // 0: uninformative (ties → class 0): 0%
            Binary(0.1f, 0.1f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f),   // 1: 80%, confidently wrong on items 0–1
            Binary(0.99f, 0.99f, 0.45f, 0.45f, 0.45f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f), // 2: 70%, mildly wrong on 2–4
            Binary(0.1f, 0.1f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f),   // 3: a copy of 1 (tie → lower index)
        };
        var sel = GreedyEnsembleSelection.Select(candidates, labels, 2, maxSize: 5);
        Assert.Equal([1, 2], sel.Order);
        Assert.Equal([0, 1, 1, 0], sel.Counts);
        Assert.Equal(1.0, sel.Accuracy);
        Assert.Equal(5, sel.AccuracyCurve.Length);
        Assert.Equal(0.8, sel.AccuracyCurve[0]);
        Assert.Equal(1.0, sel.AccuracyCurve[1]);
        Assert.Equal(2, sel.Size);
    }

    [Fact]
    public void RepeatsAMemberWhenThatHelps()
    {
        // Item 0 needs A's vote to outweigh B (A+B is wrong there), items 1–2 need B; 2·A + B gets all three.
        int[] labels = [1, 1, 1];
        var a = Binary(0.7f, 0.45f, 0.45f);   // right on 0 only (33%)
        var b = Binary(0.15f, 0.9f, 0.9f);    // right on 1, 2 (67%)
        var sel = GreedyEnsembleSelection.Select([a, b], labels, 2, maxSize: 4);
        // Round 1: B (2/3). Round 2: B+A → item 0: 0.85 vs 1.15 wrong; B+B also 2/3 → tie → A (lower index).
        // Round 3: B+A+A → item 0: 1.55 vs 1.45 right, items 1–2: 1.8 vs 1.2 right → 100%.
        Assert.Equal([1, 0, 0], sel.Order);
        Assert.Equal([2, 1], sel.Counts);
        Assert.Equal(1.0, sel.Accuracy);
    }

    [Fact]
    public void EachRoundAddsTheCandidateMaximisingAveragedAccuracy()
    {
        // Independent check on random probabilities: replay the kept order and verify every step against
        // a direct evaluation of Ensemble.Average over the prefix plus each candidate.
        const int n = 60, c = 4, m = 6, maxSize = 8;
        var rng = new GaussianRandom(17);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = (int)(rng.NextUInt64() % c);
        var cands = new float[m][];
        for (int k = 0; k < m; k++)
        {
            cands[k] = new float[n * c];
            for (int i = 0; i < n; i++)
            {
                double total = 0;
                for (int j = 0; j < c; j++) total += cands[k][i * c + j] = (float)rng.NextDouble() + (j == labels[i] ? 0.3f * k / m : 0f);
                for (int j = 0; j < c; j++) cands[k][i * c + j] /= (float)total;
            }
        }
        var sel = GreedyEnsembleSelection.Select(cands, labels, c, maxSize);
        Assert.Equal(maxSize, sel.AccuracyCurve.Length);
        Assert.Equal(sel.AccuracyCurve.Max(), sel.Accuracy);
        Assert.Equal(Array.IndexOf(sel.AccuracyCurve, sel.AccuracyCurve.Max()) + 1, sel.Size);
        Assert.Equal(sel.Size, sel.Counts.Sum());

        var prefix = new List<float[]>();
        var avg = new float[n * c];
        for (int r = 0; r < sel.Size; r++)
        {
            var acc = new double[m];
            for (int k = 0; k < m; k++)
            {
                Ensemble.Average([.. prefix, cands[k]], [], avg);
                acc[k] = ClassificationMetrics.Accuracy(avg, c, labels);
            }
            int expected = Array.IndexOf(acc, acc.Max());
            Assert.Equal(expected, sel.Order[r]);
            Assert.Equal(acc.Max(), sel.AccuracyCurve[r], 9);
            prefix.Add(cands[expected]);
        }
    }

    [Fact]
    public void WorksFromClassifiersAndBuildsTheWeightedEnsemble()
    {
        int[] labels = [1, 1, 1];
        var a = new FixedClassifier(Binary(0.7f, 0.45f, 0.45f), 2, "a");
        var b = new FixedClassifier(Binary(0.15f, 0.9f, 0.9f), 2, "b");
        var data = FixedClassifier.Data(labels, 2);
        var sel = GreedyEnsembleSelection.Select([a, b], data, maxSize: 4);
        var ensemble = Ensemble.FromSelection([a, b], sel);
        Assert.Equal([2.0, 1.0], ensemble.Weights);
        Assert.Equal(1.0, ensemble.Evaluate(data).EnsembleAccuracy);
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Throws<ArgumentException>(() => GreedyEnsembleSelection.Select(Array.Empty<float[]>(), [0], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => GreedyEnsembleSelection.Select([new float[2]], [0], 2, 0));
        Assert.Contains("expected 1 images", Assert.Throws<ArgumentException>(() => GreedyEnsembleSelection.Select([new float[3]], [0], 2, 1)).Message);
    }
}
