using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Multiclass SVM (Weston-Watkins) hinge: L = (1/N)·Σᵢ Σ_{j≠yᵢ} max(0, s_j − s_{yᵢ} + Δ), margin Δ = 1 by default.
/// Gradient: for each violated margin (s_j − s_y + Δ &gt; 0), +1/N on s_j and −1/N on s_y (0 at the kink).
/// </summary>
public sealed class SvmLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _margin;

    /// <param name="margin">Δ ≥ 0. Its scale is arbitrary relative to the weight penalty, so 1 is the usual choice.</param>
    public SvmLoss(double margin = 1.0)
    {
        if (!(margin >= 0) || !double.IsFinite(margin))
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "svm loss: the margin must be a finite non-negative number (typically 1).");
        Margin = margin;
        _margin = T.CreateChecked(margin);
    }

    public double Margin { get; }

    /// <summary>scores: (N, C); labels: N indices in [0, C); dscores resized to (N, C). Returns the mean loss.</summary>
    public T Compute(Tensor<T> scores, ReadOnlySpan<int> labels, Tensor<T> dscores)
    {
        ArgumentNullException.ThrowIfNull(dscores);
        var (n, c) = LossChecks.Check("svm loss", scores, labels);
        dscores.Resize(n, c);
        if (n == 0) return T.Zero;
        ReadOnlySpan<T> s = scores.Span;
        var d = dscores.Span;
        T invN = T.One / T.CreateChecked(n);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var row = s.Slice(i * c, c);
            var g = d.Slice(i * c, c);
            int y = labels[i];
            T offset = _margin - row[y];
            int violated = 0;
            T rowLoss = T.Zero;
            for (int j = 0; j < c; j++)
            {
                T m = row[j] + offset;
                bool active = j != y && m > T.Zero;
                if (active)
                {
                    rowLoss += m;
                    violated++;
                }
                g[j] = active ? invN : T.Zero;
            }
            g[y] = -T.CreateChecked(violated) * invN;
            total += double.CreateTruncating(rowLoss);
        }
        return T.CreateTruncating(total / n);
    }
}
