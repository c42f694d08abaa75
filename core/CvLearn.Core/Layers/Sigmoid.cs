using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Logistic sigmoid out = σ(x) = 1/(1 + exp(−x)), any shape. Backward: dx = dout·out·(1 − out).</summary>
public sealed class Sigmoid<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private bool _hasForward;

    public Sigmoid(string name)
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
        TensorPrimitives.Sigmoid(x.Span, y.Span);
        _hasForward = training;
        return y;
    }

    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null) throw LayerChecks.NoForward("sigmoid", Name);
        LayerChecks.SameShape("sigmoid", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        Elementwise.SigmoidBackward<T>(_out.Span, dout.Span, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched("sigmoid", Name, inputShape);
        return inputShape.ToArray();
    }
}
