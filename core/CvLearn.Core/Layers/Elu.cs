using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>ELU: out = x if x &gt; 0 else alpha·(exp(x) − 1), any shape. Backward: dx = dout·(x &gt; 0 ? 1 : out + alpha).</summary>
public sealed class Elu<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha;
    private Tensor<T>? _x;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;

    /// <param name="name">Layer name.</param>
    /// <param name="alpha">Saturation value for negative inputs (out → −alpha); must be finite and positive.</param>
    public Elu(string name, double alpha = 1.0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!double.IsFinite(alpha) || alpha <= 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"elu '{name}': alpha must be a finite positive number (typically 1).");
        Name = name;
        Alpha = alpha;
        _alpha = T.CreateChecked(alpha);
    }

    public string Name { get; }
    public double Alpha { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: any shape (N, ...); returns out of the same shape. Caches x for backward.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        // expm1 is accurate near 0 where exp(x) − 1 would cancel; large positive x overflow to ∞ only in
        // lanes the select then discards.
        TensorPrimitives.ExpM1(x.Span, y.Span);
        Elementwise.EluSelect<T>(x.Span, y.Span, _alpha, y.Span);
        _x = training ? x : null;
        return y;
    }

    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (_x is null || _out is null) throw LayerChecks.NoForward("elu", Name);
        LayerChecks.SameShape("elu", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        Elementwise.EluBackward<T>(_x.Span, _out.Span, dout.Span, _alpha, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched("elu", Name, inputShape);
        return inputShape.ToArray();
    }
}
