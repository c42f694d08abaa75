using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives; // aliased: our Tensor<T> clashes with System.Numerics.Tensors by name

namespace CvLearn.Core.Training;

/// <summary>
/// Test-mode evaluation of a network on a (preprocessed) image set, in batches through one reused input buffer.
/// </summary>
public static class Evaluation
{
    /// <summary>Fraction of <paramref name="data"/> whose highest score is the true label (ties go to the lower class).</summary>
    public static double Accuracy(Network<float> network, IImageSet data, int batchSize = 500)
    {
        Tensor<float>? buffer = null;
        return Accuracy(network, data, null, batchSize, ref buffer);
    }

    /// <summary>Softmax class probabilities, shape (N, C), row i for image i.</summary>
    public static Tensor<float> PredictProbabilities(Network<float> network, IImageSet data, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        var result = new Tensor<float>(data.Count, network.Classes);
        PredictProbabilities(network, data, result.Span, batchSize);
        return result;
    }

    /// <summary>
    /// Writes softmax class probabilities into <paramref name="destination"/> (N·C floats, row-major (N, C)), so
    /// callers averaging an ensemble can reuse one buffer.
    /// </summary>
    public static void PredictProbabilities(Network<float> network, IImageSet data, Span<float> destination, int batchSize = 500)
    {
        Check(network, data, batchSize);
        int c = network.Classes;
        if (destination.Length != data.Count * c)
            throw new ArgumentException($"Destination holds {destination.Length} floats but {data.Count} images × {c} classes = {data.Count * c} are needed.", nameof(destination));
        Tensor<float>? buffer = null;
        Span<int> shape = network.InputShape.Length < MaxStackRank ? stackalloc int[network.InputShape.Length + 1] : new int[network.InputShape.Length + 1];
        BatchShape(network, shape);
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            var x = Load(data, null, start, n, shape, ref buffer);
            var scores = network.Scores(x, training: false).Span;
            for (int i = 0; i < n; i++) Softmax(scores.Slice(i * c, c), destination.Slice((start + i) * c, c));
        }
    }

    /// <summary>
    /// Accuracy over the images at <paramref name="indices"/> (all when null), loading batches into
    /// <paramref name="buffer"/> (created or grown as needed, then reused by the caller: no allocation in steady state).
    /// When <paramref name="probabilities"/> is not empty it receives the softmax of every scored row (N·C floats),
    /// the same values <see cref="PredictProbabilities(Network{float}, IImageSet, Span{float}, int)"/> writes; the
    /// accuracy still takes the arg-max of the scores, so it does not depend on whether probabilities are asked for.
    /// </summary>
    internal static double Accuracy(Network<float> network, IImageSet data, int[]? indices, int batchSize, ref Tensor<float>? buffer,
        Span<float> probabilities = default)
    {
        Check(network, data, batchSize);
        int total = indices?.Length ?? data.Count;
        if (total == 0) throw new ArgumentException("Cannot measure accuracy on an empty image set.", nameof(data));
        int c = network.Classes;
        if (!probabilities.IsEmpty && probabilities.Length != total * c)
            throw new ArgumentException($"Probabilities hold {probabilities.Length} floats but {total} images × {c} classes = {total * c} are needed.", nameof(probabilities));
        Span<int> shape = network.InputShape.Length < MaxStackRank ? stackalloc int[network.InputShape.Length + 1] : new int[network.InputShape.Length + 1];
        BatchShape(network, shape);
        long correct = 0;
        for (int start = 0; start < total; start += batchSize)
        {
            int n = Math.Min(batchSize, total - start);
            var x = Load(data, indices, start, n, shape, ref buffer);
            var scores = network.Scores(x, training: false).Span;
            for (int i = 0; i < n; i++)
            {
                int label = data.Labels[indices is null ? start + i : indices[start + i]];
                if (ArgMax(scores.Slice(i * c, c)) == label) correct++;
                if (!probabilities.IsEmpty) Softmax(scores.Slice(i * c, c), probabilities.Slice((start + i) * c, c));
            }
        }
        return (double)correct / total;
    }

    /// <summary>
    /// Copies images <c>indices[start..start+n)</c> (or <c>start..start+n</c>) into <paramref name="buffer"/> resized to
    /// (n, ...InputShape); <paramref name="shape"/> is scratch of rank 1 + input rank.
    /// </summary>
    internal static Tensor<float> Load(IImageSet data, int[]? indices, int start, int n, Span<int> shape, ref Tensor<float>? buffer)
    {
        shape[0] = n;
        var x = Tensor<float>.Ensure(ref buffer, shape);
        var dst = x.Span;
        if (indices is null)
            data.CopyImages(start, n, dst);
        else
            data.CopyImages(indices.AsSpan(start, n), dst);
        return x;
    }

    internal static int[] BatchShape(Network<float> network)
    {
        var shape = new int[network.InputShape.Length + 1];
        BatchShape(network, shape);
        return shape;
    }

    /// <summary>Writes (0, ...InputShape) into <paramref name="shape"/> (rank + 1 long).</summary>
    internal static void BatchShape(Network<float> network, Span<int> shape) => network.InputShape.CopyTo(shape[1..]);

    // Input ranks are small (C, H, W); a stack buffer avoids allocating the batch shape per call.
    private const int MaxStackRank = 8;

    internal static void Check(Network<float> network, IImageSet data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Evaluation batch size must be at least 1.");
        CheckCompatible(network, data, "images");
    }

    /// <summary>Throws when the images do not fit the network's input shape or class count.</summary>
    internal static void CheckCompatible(Network<float> network, IImageSet data, string what)
    {
        int size = 1;
        foreach (int d in network.InputShape) size *= d;
        if (size != data.SampleSize)
            throw new ArgumentException(
                $"The {what} are {data.Channels}×{data.Height}×{data.Width} ({data.SampleSize} values) but the network expects {Tensor<float>.ShapeString(network.InputShape)} ({size} values); preprocess them to the network's input shape.");
        if (data.Classes > network.Classes)
            throw new ArgumentException($"The {what} have {data.Classes} classes but the network outputs {network.Classes} scores.");
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
            if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>
    /// Numerically stable softmax: exponentiate after subtracting the row maximum. The one softmax of evaluation:
    /// ensembles (<see cref="Ensembles.NetworkClassifier"/>) use it too, so probabilities recorded during training
    /// equal recomputed ones bit for bit.
    /// </summary>
    internal static void Softmax(ReadOnlySpan<float> scores, Span<float> probabilities)
    {
        float max = TP.Max(scores);
        TP.Subtract(scores, max, probabilities);
        TP.Exp(probabilities, probabilities);
        TP.Divide(probabilities, TP.Sum(probabilities), probabilities);
    }
}
