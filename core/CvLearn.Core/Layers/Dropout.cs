using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Inverted dropout, any shape: in training each unit is zeroed with probability p = dropProbability and survivors are
/// scaled by 1/(1 − p), so the expected activation is unchanged and test time is the identity (no rescaling needed).
/// Backward: dx = dout·mask with the mask of the last training forward.
/// </summary>
/// <remarks>
/// Masks come from the layer's own SplitMix64 stream (two 32-bit draws per 64-bit output): fast, platform-independent
/// and fully determined by the seed, so <see cref="Reseed"/> makes runs reproducible and resumable.
/// </remarks>
public sealed class Dropout<T> : ILayer<T>, IStochasticLayer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ulong _threshold;
    private readonly T _scale;
    private ulong _state;
    private Tensor<T>? _mask;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private bool _hasForward;

    /// <param name="name">Layer name.</param>
    /// <param name="dropProbability">Probability of DROPPING a unit, 0 ≤ p &lt; 1 (0.5 is the classic choice).</param>
    /// <param name="seed">Seed of the mask stream.</param>
    public Dropout(string name, double dropProbability, int seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!(dropProbability >= 0 && dropProbability < 1))
            throw new ArgumentOutOfRangeException(nameof(dropProbability), dropProbability,
                $"dropout '{name}': the drop probability must be in [0, 1) (it is the chance of zeroing a unit, not of keeping it).");
        Name = name;
        DropProbability = dropProbability;
        // Unit kept when a uniform 32-bit draw u satisfies u ≥ threshold, i.e. with probability 1 − threshold/2³².
        _threshold = Math.Min((ulong)Math.Round(dropProbability * 4294967296.0), uint.MaxValue);
        _scale = T.CreateChecked(1.0 / (1.0 - dropProbability));
        Reseed(seed);
    }

    public string Name { get; }
    public double DropProbability { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>Restarts the mask stream; the masks that follow depend only on the seed and the element counts.</summary>
    public void Reseed(int seed) => _state = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed * 0xD1B54A32D192ED03UL;

    /// <summary>x: any shape; returns out of the same shape (a copy of x at test time).</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        if (!training)
        {
            x.Span.CopyTo(y.Span);
            _hasForward = false;
            return y;
        }
        var mask = Tensor<T>.Ensure(ref _mask, x.Shape).Span;
        if (_threshold == 0) mask.Fill(T.One);
        else FillMask(mask);
        TensorPrimitives.Multiply(x.Span, mask, y.Span);
        _hasForward = true;
        return y;
    }

    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null || _mask is null) throw LayerChecks.NoForward("dropout", Name);
        LayerChecks.SameShape("dropout", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        TensorPrimitives.Multiply(dout.Span, _mask.Span, dx.Span);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        LayerChecks.Batched("dropout", Name, inputShape);
        return inputShape.ToArray();
    }

    private void FillMask(Span<T> mask)
    {
        ulong state = _state, threshold = _threshold;
        T keep = _scale;
        int i = 0;
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong r = Next(ref state);
            mask[i] = (r & 0xFFFFFFFFUL) >= threshold ? keep : T.Zero;
            mask[i + 1] = (r >> 32) >= threshold ? keep : T.Zero;
        }
        if (i < mask.Length) mask[i] = (Next(ref state) & 0xFFFFFFFFUL) >= threshold ? keep : T.Zero;
        _state = state;
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): a Weyl sequence through a strong 64-bit mixer.</summary>
    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
