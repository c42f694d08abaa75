using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Models;

public class KNearestNeighborTests
{
    /// <summary>Gaussian clusters (one centre per class) of 1×side×side images, pixel values clipped integers 0–255.</summary>
    internal static LabeledImages Clusters(int perClass, int classes, int side, double noise, int seed, int centreSeed = 99)
    {
        var centres = new GaussianRandom(centreSeed);
        int d = side * side;
        var centre = new double[classes * d];
        for (int i = 0; i < centre.Length; i++) centre[i] = 128 + 50 * centres.NextGaussian();
        var rng = new GaussianRandom(seed);
        int n = perClass * classes;
        var px = new float[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % classes;
            for (int j = 0; j < d; j++)
                px[i * d + j] = (float)Math.Clamp(Math.Round(centre[y[i] * d + j] + noise * rng.NextGaussian()), 0, 255);
        }
        return new LabeledImages(px, y, 1, side, side, classes);
    }

    /// <summary>Exact integer brute force: sort by (distance, index), vote, break ties towards the nearest neighbour.</summary>
    private static (int[] Pred, float[] Probs) BruteForce(LabeledImages train, LabeledImages test, int k, DistanceMetric metric)
    {
        int d = train.SampleSize, c = train.Classes;
        var pred = new int[test.Count];
        var probs = new float[test.Count * c];
        for (int i = 0; i < test.Count; i++)
        {
            var dist = new (long D, int J)[train.Count];
            for (int j = 0; j < train.Count; j++)
            {
                long s = 0;
                for (int p = 0; p < d; p++)
                {
                    long diff = (long)test.Image(i)[p] - (long)train.Image(j)[p];
                    s += metric == DistanceMetric.L1 ? Math.Abs(diff) : diff * diff;
                }
                dist[j] = (s, j);
            }
            Array.Sort(dist);
            int kk = Math.Min(k, train.Count);
            var votes = new int[c];
            for (int q = 0; q < kk; q++) votes[train.Labels[dist[q].J]]++;
            int max = votes.Max();
            pred[i] = Enumerable.Range(0, kk).Select(q => train.Labels[dist[q].J]).First(cls => votes[cls] == max);
            for (int cls = 0; cls < c; cls++) probs[i * c + cls] = votes[cls] / (float)kk;
        }
        return (pred, probs);
    }

    [Theory]
    [InlineData(DistanceMetric.L2, 1)]
    [InlineData(DistanceMetric.L2, 5)]
    [InlineData(DistanceMetric.L1, 5)]
    [InlineData(DistanceMetric.L1, 4)]
    public void MatchesExactBruteForceIncludingTies(DistanceMetric metric, int k)
    {
        // Coarse values (0..3 scaled) make many exactly equal distances, exercising the tie-breaking rules;
        // all sums stay far below 2^24, so float arithmetic is exact and must agree with the integer reference.
        var rng = new GaussianRandom(5);
        LabeledImages Make(int n)
        {
            var px = new float[n * 9];
            for (int i = 0; i < px.Length; i++) px[i] = (float)(rng.NextUInt64() % 4) * 10;
            var y = new int[n];
            for (int i = 0; i < n; i++) y[i] = (int)(rng.NextUInt64() % 3);
            return new LabeledImages(px, y, 1, 3, 3, 3);
        }
        var train = Make(200);
        var test = Make(1300); // more rows than one L2 block (1024) to cross a block boundary
        var knn = new KNearestNeighbor(k, metric);
        knn.Train(train);
        var (expectedPred, expectedProbs) = BruteForce(train, test, k, metric);
        Assert.Equal(expectedPred, knn.Predict(test));
        var probs = new float[test.Count * 3];
        knn.PredictProbabilities(test, probs);
        Assert.Equal(expectedProbs, probs);
    }

    [Theory]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.L1)]
    public void ClassifiesSeparatedClusters(DistanceMetric metric)
    {
        var train = Clusters(50, 10, 8, noise: 40, seed: 1);
        var test = Clusters(20, 10, 8, noise: 40, seed: 2);
        var knn = KNearestNeighbor.FromSpec(ModelSpec.Parse(metric == DistanceMetric.L1 ? "knn:5:l1" : "knn:5"));
        knn.Train(train);
        var pred = knn.Predict(test);
        double acc = pred.Zip(test.Labels).Count(p => p.First == p.Second) / (double)test.Count;
        Assert.True(acc >= 0.95, $"accuracy {acc}");
        // k = 1 on the training set itself finds each image (distance 0).
        var self = new KNearestNeighbor(1, metric);
        self.Train(train);
        Assert.Equal(train.Labels, self.Predict(train));
    }

    [Fact]
    public void TieGoesToTheNearestNeighboursClass()
    {
        // 1-D points: class 0 at 10 and 11, class 1 at 1 and 12. Query at 0 with k = 4: 2 votes each; the nearest (1) is class 1.
        var train = new LabeledImages([10f, 11f, 1f, 12f], [0, 0, 1, 1], 1, 1, 1, 2);
        var test = new LabeledImages([0f], [0], 1, 1, 1, 2);
        foreach (var metric in new[] { DistanceMetric.L1, DistanceMetric.L2 })
        {
            var knn = new KNearestNeighbor(4, metric);
            knn.Train(train);
            Assert.Equal([1], knn.Predict(test));
            var probs = new float[2];
            knn.PredictProbabilities(test, probs);
            Assert.Equal([0.5f, 0.5f], probs);
        }
    }

    [Fact]
    public void KLargerThanTrainingSetVotesOverAll()
    {
        var knn = new KNearestNeighbor(10);
        knn.Train(new LabeledImages([0f, 1f, 5f], [0, 1, 1], 1, 1, 1, 3));
        var probs = new float[3];
        knn.PredictProbabilities(new LabeledImages([0f], [0], 1, 1, 1, 3), probs);
        Assert.Equal(1f / 3, probs[0], 6);
        Assert.Equal(2f / 3, probs[1], 6);
        Assert.Equal(0f, probs[2]);
    }

    [Fact]
    public void ResultsDoNotDependOnThreadCount()
    {
        var train = Clusters(30, 5, 6, noise: 80, seed: 3);
        var test = Clusters(30, 5, 6, noise: 80, seed: 4);
        var knn = new KNearestNeighbor(7);
        knn.Train(train);
        int saved = Engine.Threads;
        try
        {
            Engine.Threads = 1;
            var one = knn.Predict(test);
            Engine.Threads = 4;
            Assert.Equal(one, knn.Predict(test));
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    [Fact]
    public void BadUseGivesClearErrors()
    {
        var knn = new KNearestNeighbor(3);
        var test = new LabeledImages(new float[4], [0], 1, 2, 2, 2);
        Assert.Contains("Train", Assert.Throws<InvalidOperationException>(() => knn.Predict(test)).Message);
        knn.Train(new LabeledImages(new float[18], [0, 1], 1, 3, 3, 2));
        Assert.Contains("same size", Assert.Throws<ArgumentException>(() => knn.Predict(test)).Message);
        Assert.Throws<ArgumentException>(() => knn.PredictProbabilities(new LabeledImages(new float[9], [0], 1, 3, 3, 2), new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KNearestNeighbor(0));
        Assert.Throws<ArgumentException>(() => KNearestNeighbor.FromSpec(ModelSpec.Parse("fc:3")));
    }

    [Fact]
    public void CancellationStopsPrediction()
    {
        var knn = new KNearestNeighbor(1, DistanceMetric.L1);
        knn.Train(Clusters(5, 2, 4, 10, 1));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => knn.Predict(Clusters(5, 2, 4, 10, 2), cts.Token));
    }
}
