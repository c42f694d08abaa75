using CvLearn.Core.Data;
using CvLearn.Core.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives; // aliased: our Tensor<T> clashes with System.Numerics.Tensors by name

namespace CvLearn.Core.Models;

/// <summary>
/// k-nearest-neighbour classifier (CS231n assignment 1). Training memorises the images; prediction takes a
/// majority vote of the k closest training images, ties broken towards the class of the nearest neighbour among
/// the tied classes. Distances are vectorised:
/// L2 ranks by ‖t‖² − 2·x·tᵀ (the ‖x‖² term is the same for every training image of a test row, so it is dropped),
/// with x·tᵀ computed by <see cref="Gemm.Multiply{T}"/> for a block of test rows at a time so that memory stays
/// bounded (<see cref="BlockElements"/>); L1 uses SIMD <see cref="TP"/> kernels. Test rows are processed in
/// parallel with <see cref="Engine.Threads"/> threads. Equal distances are ranked by training index, so results
/// are deterministic and independent of the thread count.
/// Thread-safety: <see cref="Train(LabeledImages)"/> must not race with predictions; predictions may run concurrently.
/// </summary>
public sealed class KNearestNeighbor
{
    /// <summary>Upper bound on the elements of one block of test-vs-train distances (16 MB of float32).</summary>
    public const int BlockElements = 4 << 20;

    private float[] _train = [];
    private int[] _labels = [];
    private float[] _trainNorms = [];

    public KNearestNeighbor(int k, DistanceMetric metric = DistanceMetric.L2)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        K = k;
        Metric = metric;
    }

    /// <summary>Builds the classifier a <c>knn:...</c> spec describes.</summary>
    public static KNearestNeighbor FromSpec(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind != ModelKind.Knn) throw new ArgumentException($"'{spec}' is not a knn spec.", nameof(spec));
        return new KNearestNeighbor(spec.K, spec.Metric);
    }

    public int K { get; }
    public DistanceMetric Metric { get; }

    /// <summary>Number of classes (0 before training).</summary>
    public int Classes { get; private set; }

    /// <summary>Values per image D (0 before training).</summary>
    public int Dimension { get; private set; }

    /// <summary>Number of memorised training images.</summary>
    public int TrainCount => _labels.Length;

    /// <summary>FLOPs to classify one test image: 2 × TrainCount × Dimension (the distance GEMM, or L1's subtract + sum).</summary>
    public long FlopsPerTestImage => 2L * TrainCount * Dimension;

    /// <summary>Memorises a training set (the pixel array is referenced, not copied: do not modify it afterwards).</summary>
    public void Train(LabeledImages train)
    {
        ArgumentNullException.ThrowIfNull(train);
        Train(train.Pixels, train.Labels, train.SampleSize, train.Classes);
    }

    /// <summary>Memorises x (N × D row-major, referenced) with labels y (N values in [0, classes)).</summary>
    public void Train(float[] x, int[] labels, int dimension, int classes)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Each sample needs at least one value.");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        if (labels.Length == 0) throw new ArgumentException("kNN needs at least one training image.", nameof(labels));
        if ((long)labels.Length * dimension != x.Length)
            throw new ArgumentException($"{x.Length} values do not make {labels.Length} samples of {dimension}.", nameof(x));
        foreach (int y in labels)
            if ((uint)y >= (uint)classes) throw new ArgumentException($"Label {y} is outside [0, {classes}).", nameof(labels));

        var norms = new float[labels.Length];
        if (Metric == DistanceMetric.L2)
            for (int i = 0; i < norms.Length; i++)
            {
                var row = x.AsSpan(i * dimension, dimension);
                norms[i] = TP.Dot(row, row);
            }
        _train = x;
        _labels = labels;
        _trainNorms = norms;
        Dimension = dimension;
        Classes = classes;
    }

    /// <summary>Predicted class of every test image.</summary>
    public int[] Predict(LabeledImages test, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(test);
        var predictions = new int[test.Count];
        Run(test.Pixels, test.Count, test.SampleSize, null, predictions, cancellationToken);
        return predictions;
    }

    /// <summary>Vote fractions (N × Classes, each row sums to 1) for every test image.</summary>
    public void PredictProbabilities(LabeledImages test, float[] probabilities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(test);
        Run(test.Pixels, test.Count, test.SampleSize, probabilities, null, cancellationToken);
    }

    /// <summary>
    /// Core entry point: for <paramref name="count"/> rows of <paramref name="x"/> (count × D) writes vote fractions
    /// into <paramref name="probabilities"/> (count × Classes) and/or classes into <paramref name="predictions"/> when not null.
    /// </summary>
    public void Run(float[] x, int count, int dimension, float[]? probabilities, int[]? predictions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (TrainCount == 0) throw new InvalidOperationException("Call Train before predicting.");
        if (dimension != Dimension)
            throw new ArgumentException($"Test images have {dimension} values each but the training images had {Dimension}; use images of the same size.", nameof(dimension));
        if (count < 0 || (long)count * dimension > x.Length)
            throw new ArgumentException($"{x.Length} values do not hold {count} samples of {dimension}.", nameof(x));
        if (probabilities is not null && probabilities.Length < (long)count * Classes)
            throw new ArgumentException($"The probability buffer needs {count}×{Classes} = {(long)count * Classes} elements, has {probabilities.Length}.", nameof(probabilities));
        if (predictions is not null && predictions.Length < count)
            throw new ArgumentException($"The prediction buffer needs {count} elements, has {predictions.Length}.", nameof(predictions));
        if (count == 0) return;

        var options = new ParallelOptions { MaxDegreeOfParallelism = Engine.Threads, CancellationToken = cancellationToken };
        if (Metric == DistanceMetric.L2) RunL2(x, count, probabilities, predictions, options);
        else RunL1(x, count, probabilities, predictions, options);
    }

    private void RunL2(float[] x, int count, float[]? probs, int[]? preds, ParallelOptions options)
    {
        int n = TrainCount, d = Dimension;
        int blockRows = Math.Clamp(BlockElements / n, 1, 1024);
        var block = new float[(long)Math.Min(blockRows, count) * n];
        for (int start = 0; start < count; start += blockRows)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(blockRows, count - start);
            // block = −2 · X_block · Tᵀ  (rows × n); Gemm parallelises internally.
            Gemm.Multiply(false, true, rows, n, d, -2f, x.AsSpan(start * d, rows * d), d, _train, d, 0f, block, n);
            int first = start;
            Parallel.For(0, rows, options, () => new Scratch(K, Classes, 0), (r, _, s) =>
            {
                var dist = block.AsSpan(r * n, n);
                TP.Add(dist, _trainNorms, dist); // + ‖t‖²: now ‖x − t‖² − ‖x‖²
                s.Reset();
                for (int j = 0; j < dist.Length; j++) s.Offer(dist[j], j);
                Vote(s, first + r, probs, preds);
                return s;
            }, static _ => { });
        }
    }

    private void RunL1(float[] x, int count, float[]? probs, int[]? preds, ParallelOptions options)
    {
        int n = TrainCount, d = Dimension;
        Parallel.For(0, count, options, () => new Scratch(K, Classes, d), (i, _, s) =>
        {
            var row = x.AsSpan(i * d, d);
            s.Reset();
            for (int j = 0; j < n; j++)
            {
                TP.Subtract(row, _train.AsSpan(j * d, d), s.Diff);
                s.Offer(TP.SumOfMagnitudes(s.Diff), j);
            }
            Vote(s, i, probs, preds);
            return s;
        }, static _ => { });
    }

    private void Vote(Scratch s, int row, float[]? probs, int[]? preds)
    {
        var votes = s.Votes;
        votes.AsSpan().Clear();
        for (int i = 0; i < s.Count; i++) votes[_labels[s.Index[i]]]++;
        if (preds is not null)
        {
            // Neighbours are sorted nearest first, so the first neighbour whose class has the top count wins ties.
            int max = 0;
            foreach (int v in votes) max = Math.Max(max, v);
            for (int i = 0; i < s.Count; i++)
            {
                int c = _labels[s.Index[i]];
                if (votes[c] == max) { preds[row] = c; break; }
            }
        }
        if (probs is not null)
        {
            var dst = probs.AsSpan(row * Classes, Classes);
            float inv = 1f / s.Count;
            for (int c = 0; c < dst.Length; c++) dst[c] = votes[c] * inv;
        }
    }

    /// <summary>Per-thread buffers: the k best (distance, index) pairs sorted ascending, vote counts, an L1 difference row.</summary>
    private sealed class Scratch(int k, int classes, int dimension)
    {
        public readonly float[] Distance = new float[k];
        public readonly int[] Index = new int[k];
        public readonly int[] Votes = new int[classes];
        public readonly float[] Diff = new float[dimension];
        public int Count;

        public void Reset() => Count = 0;

        /// <summary>Inserts (d, j) when it beats the current k-th; strict comparison keeps the lower index on equal distances.</summary>
        public void Offer(float d, int j)
        {
            int k = Distance.Length;
            if (Count == k && !(d < Distance[k - 1])) return;
            int pos = Count < k ? Count++ : k - 1;
            while (pos > 0 && d < Distance[pos - 1])
            {
                Distance[pos] = Distance[pos - 1];
                Index[pos] = Index[pos - 1];
                pos--;
            }
            Distance[pos] = d;
            Index[pos] = j;
        }
    }
}
