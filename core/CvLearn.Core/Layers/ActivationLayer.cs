using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Base of the elementwise activations (ReLU, leaky ReLU, ELU, tanh, sigmoid): one forward kernel and one backward
/// kernel over flat spans; shapes pass through unchanged, (N, ...) → (N, ...). Holds the caching every activation
/// needs — its output (owned and reused across minibatches) and a reference to its input (the previous layer's
/// output, valid until that layer's next forward) — so each subclass is only its two formulas.
/// </summary>
public abstract class ActivationLayer<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string _kind;
    private Tensor<T>? _x;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;

    /// <param name="kind">Layer kind for error messages, e.g. "relu".</param>
    /// <param name="name">Unique layer name.</param>
    protected ActivationLayer(string kind, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _kind = kind;
        Name = name;
    }

    public string Name { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: any shape (N, ...); returns out of the same shape.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        Apply(x.Span, y.Span);
        _x = training ? x : null;
        return y;
    }

    /// <summary>dout: shape of the last output; returns dx of the same shape.</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (_x is null || _out is null) throw LayerChecks.NoForward(_kind, Name);
        LayerChecks.SameShape(_kind, Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        Gradient(_x.Span, _out.Span, dout.Span, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched(_kind, Name, inputShape);
        return inputShape.ToArray();
    }

    /// <summary>out = f(x), elementwise.</summary>
    protected abstract void Apply(ReadOnlySpan<T> x, Span<T> output);

    /// <summary>dx = dout · f'(x), given the cached input and output.</summary>
    protected abstract void Gradient(ReadOnlySpan<T> x, ReadOnlySpan<T> output, ReadOnlySpan<T> dout, Span<T> dx);
}
