using CvLearn.Core.Ensembles;
using CvLearn.Core.Models;
using CvLearn.Core.Tests.Models;

namespace CvLearn.Core.Tests.Ensembles;

public class EnsembleTests
{
    [Fact]
    public void AverageIsTheWeightedMeanPerElement()
    {
        float[] a = [0.6f, 0.4f, 0.1f, 0.9f];
        float[] b = [0.2f, 0.8f, 0.5f, 0.5f];
        var dst = new float[4];
        Ensemble.Average([a, b], [], dst);
        Assert.Equal([0.4f, 0.6f, 0.3f, 0.7f], dst);
        Ensemble.Average([a, b], [3, 1], dst);
        Assert.Equal(0.5f, dst[0], 6);
        Assert.Equal(0.5f, dst[1], 6);
        Assert.Equal(0.2f, dst[2], 6);
        Assert.Equal(0.8f, dst[3], 6);
        Assert.Throws<ArgumentException>(() => Ensemble.Average([a, new float[2]], [], dst));
        Assert.Throws<ArgumentException>(() => Ensemble.Average([a, b], [0, 0], dst));
    }

    /// <summary>
    /// Three members over 3 classes, each wrong (0.6 on the next class) on a different third of the items and
    /// right (0.7) elsewhere. Each alone scores 2/3; the average is right everywhere (0.6 vs 0.2 vs 0.2).
    /// </summary>
    private static (FixedClassifier[] Members, int[] Labels) Complementary()
    {
        const int n = 30, c = 3;
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = (i * 7) % c;
        var members = new FixedClassifier[3];
        for (int m = 0; m < 3; m++)
        {
            var p = new float[n * c];
            for (int i = 0; i < n; i++)
            {
                int y = labels[i];
                if (i % 3 == m) { p[i * c + (y + 1) % c] = 0.6f; p[i * c + y] = 0.4f; }
                else { p[i * c + y] = 0.7f; p[i * c + (y + 2) % c] = 0.3f; }
            }
            members[m] = new FixedClassifier(p, c, $"m{m}");
        }
        return (members, labels);
    }

    [Fact]
    public void EnsembleOfComplementaryMembersBeatsEachMember()
    {
        var (members, labels) = Complementary();
        var data = FixedClassifier.Data(labels, 3);
        var ensemble = new Ensemble(members);
        var eval = ensemble.Evaluate(data);
        Assert.All(eval.MemberAccuracies, a => Assert.Equal(2.0 / 3, a, 9));
        Assert.Equal(1.0, eval.EnsembleAccuracy);
        Assert.Equal(labels, eval.Predictions);
        Assert.Equal(0.6f, eval.Probabilities[labels[0]], 6);
        for (int i = 0; i < labels.Length; i++) Assert.Equal(1f, eval.Probabilities.AsSpan(i * 3, 3).ToArray().Sum(), 5);

        var probs = new float[labels.Length * 3];
        ensemble.PredictProbabilities(data, probs, CancellationToken.None);
        Assert.Equal(eval.Probabilities, probs);
    }

    [Fact]
    public void RejectsMismatchedMembers()
    {
        var two = new FixedClassifier(new float[2], 2);
        var three = new FixedClassifier(new float[3], 3);
        Assert.Contains("classes", Assert.Throws<ArgumentException>(() => new Ensemble([two, three])).Message);
        Assert.Throws<ArgumentException>(() => new Ensemble([]));
        Assert.Throws<ArgumentException>(() => new Ensemble([two], [-1]));
        Assert.Throws<ArgumentException>(() => new Ensemble([two, two], [1]));
    }

    [Fact]
    public void AccuracyHelpers()
    {
        float[] probs = [0.1f, 0.7f, 0.2f, /**/ 0.5f, 0.5f, 0f, /**/ 0.2f, 0.3f, 0.5f, /**/ 0.9f, 0.05f, 0.05f];
        var pred = new int[4];
        ClassificationMetrics.Argmax(probs, 3, pred);
        Assert.Equal([1, 0, 2, 0], pred); // the tie in row 1 goes to the lower class
        Assert.Equal(0.75, ClassificationMetrics.Accuracy(probs, 3, [1, 0, 2, 1]));
        Assert.Equal(0.5, ClassificationMetrics.Accuracy([1, 0, 2, 0], [1, 1, 2, 1]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy(probs, 5, [0, 0]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy(probs, 3, [0, 0]));
    }

    [Fact]
    public void SoftmaxIsStableAndNormalised()
    {
        var dst = new float[3];
        CvLearn.Core.Training.Evaluation.Softmax([1000f, 1000f, 1000f - MathF.Log(2)], dst);
        Assert.Equal(0.4f, dst[0], 5);
        Assert.Equal(0.4f, dst[1], 5);
        Assert.Equal(0.2f, dst[2], 5);
    }

    [Fact]
    public void KnnClassifierGivesVoteFractions()
    {
        var train = KNearestNeighborTests.Clusters(10, 3, 4, noise: 30, seed: 1);
        var test = KNearestNeighborTests.Clusters(5, 3, 4, noise: 30, seed: 2);
        var knn = new KNearestNeighbor(5);
        knn.Train(train);
        var classifier = new KnnClassifier(knn);
        Assert.Equal("knn:5", classifier.Name);
        var probs = new float[test.Count * 3];
        classifier.PredictProbabilities(test, probs, CancellationToken.None);
        foreach (float p in probs) Assert.Contains(p, new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f });
        Assert.Throws<ArgumentException>(() => new KnnClassifier(new KNearestNeighbor(1)));
    }
}
