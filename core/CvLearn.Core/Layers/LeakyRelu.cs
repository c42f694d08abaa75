using System.Numerics;

namespace CvLearn.Core.Layers;

/// <summary>Leaky ReLU: out = x if x &gt; 0 else alpha·x, any shape. Backward: dx = dout·(x &gt; 0 ? 1 : alpha).</summary>
public sealed class LeakyRelu<T> : ActivationLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha;

    /// <param name="name">Layer name.</param>
    /// <param name="alpha">Slope for negative inputs; must be finite (typically 0.01).</param>
    public LeakyRelu(string name, double alpha = 0.01) : base("leaky relu", name)
    {
        if (!double.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"leaky relu '{name}': alpha must be a finite number (typically 0.01).");
        Alpha = alpha;
        _alpha = T.CreateChecked(alpha);
    }

    public double Alpha { get; }

    protected override void Apply(ReadOnlySpan<T> x, Span<T> output) => Elementwise.LeakyReluForward(x, _alpha, output);

    // Uses x, not out: with a negative alpha the sign of out does not tell which side of 0 x was on.
    protected override void Gradient(ReadOnlySpan<T> x, ReadOnlySpan<T> output, ReadOnlySpan<T> dout, Span<T> dx) =>
        Elementwise.LeakyReluBackward<T>(x, dout, _alpha, dx);
}
