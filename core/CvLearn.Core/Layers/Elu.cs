using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CvLearn.Core.Layers;

/// <summary>ELU: out = x if x &gt; 0 else alpha·(exp(x) − 1), any shape. Backward: dx = dout·(x &gt; 0 ? 1 : out + alpha).</summary>
public sealed class Elu<T> : ActivationLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha;

    /// <param name="name">Layer name.</param>
    /// <param name="alpha">Saturation value for negative inputs (out → −alpha); must be finite and positive.</param>
    public Elu(string name, double alpha = 1.0) : base("elu", name)
    {
        if (!double.IsFinite(alpha) || alpha <= 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"elu '{name}': alpha must be a finite positive number (typically 1).");
        Alpha = alpha;
        _alpha = T.CreateChecked(alpha);
    }

    public double Alpha { get; }

    protected override void Apply(ReadOnlySpan<T> x, Span<T> output)
    {
        // expm1 is accurate near 0 where exp(x) − 1 would cancel; large positive x overflow to ∞ only in
        // lanes the select then discards.
        TensorPrimitives.ExpM1(x, output);
        Elementwise.EluSelect<T>(x, output, _alpha, output);
    }

    protected override void Gradient(ReadOnlySpan<T> x, ReadOnlySpan<T> output, ReadOnlySpan<T> dout, Span<T> dx) =>
        Elementwise.EluBackward<T>(x, output, dout, _alpha, dx);
}
