using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Leaky ReLU: out = x if x &gt; 0 else alpha·x, any shape. Backward: dx = dout·(x &gt; 0 ? 1 : alpha).</summary>
public sealed class LeakyRelu<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha;
    private Tensor<T>? _x;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;

    /// <param name="name">Layer name.</param>
    /// <param name="alpha">Slope for negative inputs; must be finite (typically 0.01).</param>
    public LeakyRelu(string name, double alpha = 0.01)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!double.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"leaky relu '{name}': alpha must be a finite number (typically 0.01).");
        Name = name;
        Alpha = alpha;
        _alpha = T.CreateChecked(alpha);
    }

    public string Name { get; }
    public double Alpha { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: any shape (N, ...); returns out of the same shape. Caches x (owned by the previous layer) for backward.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        Elementwise.LeakyReluForward(x.Span, _alpha, y.Span);
        _x = training ? x : null;
        return y;
    }

    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (_x is null || _out is null) throw LayerChecks.NoForward("leaky relu", Name);
        LayerChecks.SameShape("leaky relu", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        Elementwise.LeakyReluBackward<T>(_x.Span, dout.Span, _alpha, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched("leaky relu", Name, inputShape);
        return inputShape.ToArray();
    }
}
