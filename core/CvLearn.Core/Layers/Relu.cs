using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CvLearn.Core.Layers;

/// <summary>ReLU: out = max(0, x), any shape. Backward: dx = dout where out &gt; 0, else 0 (the subgradient 0 at x = 0).</summary>
public sealed class Relu<T>(string name) : ActivationLayer<T>("relu", name) where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override void Apply(ReadOnlySpan<T> x, Span<T> output) => TensorPrimitives.Max(x, T.Zero, output);

    protected override void Gradient(ReadOnlySpan<T> x, ReadOnlySpan<T> output, ReadOnlySpan<T> dout, Span<T> dx) =>
        Elementwise.ReluBackward<T>(output, dout, dx);
}
