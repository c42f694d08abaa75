using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>ReLU: out = max(0, x), any shape. Backward: dx = dout where out &gt; 0, else 0 (the subgradient 0 at x = 0).</summary>
public sealed class Relu<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private bool _hasForward;

    public Relu(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: any shape (N, ...); returns out of the same shape.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        TensorPrimitives.Max(x.Span, T.Zero, y.Span);
        _hasForward = training;
        return y;
    }

    /// <summary>dout: shape of the last output; returns dx of the same shape.</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null) throw LayerChecks.NoForward("relu", Name);
        LayerChecks.SameShape("relu", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        Elementwise.ReluBackward<T>(_out.Span, dout.Span, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched("relu", Name, inputShape);
        return inputShape.ToArray();
    }
}
