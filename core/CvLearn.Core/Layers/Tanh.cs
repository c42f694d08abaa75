using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CvLearn.Core.Layers;

/// <summary>out = tanh(x), any shape. Backward: dx = dout·(1 − out²).</summary>
public sealed class Tanh<T>(string name) : ActivationLayer<T>("tanh", name) where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override void Apply(ReadOnlySpan<T> x, Span<T> output) => TensorPrimitives.Tanh(x, output);

    protected override void Gradient(ReadOnlySpan<T> x, ReadOnlySpan<T> output, ReadOnlySpan<T> dout, Span<T> dx) =>
        Elementwise.TanhBackward<T>(output, dout, dx);
}
