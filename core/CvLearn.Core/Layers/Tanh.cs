using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>out = tanh(x), any shape. Backward: dx = dout·(1 − out²).</summary>
public sealed class Tanh<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private bool _hasForward;

    public Tanh(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: any shape (N, ...); returns out of the same shape (backward needs only out).</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        TensorPrimitives.Tanh(x.Span, y.Span);
        _hasForward = training;
        return y;
    }

    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null) throw LayerChecks.NoForward("tanh", Name);
        LayerChecks.SameShape("tanh", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        Elementwise.TanhBackward<T>(_out.Span, dout.Span, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched("tanh", Name, inputShape);
        return inputShape.ToArray();
    }
}
