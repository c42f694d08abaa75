using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Softmax cross-entropy: L = (1/N)·Σᵢ −log(softmax(sᵢ)[yᵢ]), computed stably by shifting each row by its maximum
/// (softmax is shift-invariant, and the shift keeps exp from overflowing). Gradient: dL/ds = (p − onehot(y))/N.
/// </summary>
public sealed class SoftmaxLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public SoftmaxLoss() { }

    /// <summary>scores: (N, C); labels: N indices in [0, C); dscores resized to (N, C). Returns the mean loss.</summary>
    public T Compute(Tensor<T> scores, ReadOnlySpan<int> labels, Tensor<T> dscores)
    {
        ArgumentNullException.ThrowIfNull(dscores);
        var (n, c) = LossChecks.Check("softmax loss", scores, labels);
        dscores.Resize(n, c);
        if (n == 0) return T.Zero;
        ReadOnlySpan<T> s = scores.Span;
        var d = dscores.Span;
        T invN = T.One / T.CreateChecked(n);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var row = s.Slice(i * c, c);
            var p = d.Slice(i * c, c);
            T max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, p);
            T shiftedTrue = p[labels[i]];
            TensorPrimitives.Exp(p, p);
            T sum = TensorPrimitives.Sum<T>(p);
            // −log p_y = log Σ exp(s − max) − (s_y − max): exact even when p_y underflows to 0.
            total += double.CreateTruncating(T.Log(sum) - shiftedTrue);
            TensorPrimitives.Multiply(p, invN / sum, p);
            p[labels[i]] -= invN;
        }
        return T.CreateTruncating(total / n);
    }

    /// <summary>
    /// Class probabilities softmax(s) per row. scores: (N, C); probs: at least N·C elements, written row-major (N, C).
    /// Used to average model outputs in ensembles.
    /// </summary>
    public static void Probabilities(Tensor<T> scores, Span<T> probs)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 2)
            throw new ArgumentException($"softmax: scores must be (N, C), got {Tensor<T>.ShapeString(scores.Shape)}.", nameof(scores));
        int n = scores.Dim(0), c = scores.Dim(1);
        if (probs.Length < n * c)
            throw new ArgumentException($"softmax: the output span holds {probs.Length} elements but (N, C) = ({n}, {c}) needs {n * c}.", nameof(probs));
        ReadOnlySpan<T> s = scores.Span;
        for (int i = 0; i < n; i++)
        {
            var row = s.Slice(i * c, c);
            var p = probs.Slice(i * c, c);
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Multiply(p, T.One / TensorPrimitives.Sum<T>(p), p);
        }
    }
}
