using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CvLearn.Core.Layers;

/// <summary>Logistic sigmoid out = σ(x) = 1/(1 + exp(−x)), any shape. Backward: dx = dout·out·(1 − out).</summary>
public sealed class Sigmoid<T>(string name) : ActivationLayer<T>("sigmoid", name) where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override void Apply(ReadOnlySpan<T> x, Span<T> output) => TensorPrimitives.Sigmoid(x, output);

    protected override void Gradient(ReadOnlySpan<T> x, ReadOnlySpan<T> output, ReadOnlySpan<T> dout, Span<T> dx) =>
        Elementwise.SigmoidBackward<T>(output, dout, dx);
}
