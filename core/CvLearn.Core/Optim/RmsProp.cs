using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// RMSProp: cache = decay·cache + (1 − decay)·dx²; x += −lr·dx / (√cache + eps). State: "cache" (starts at zero,
/// as in the notes and CS231n's optim.py — no bias correction).
/// </summary>
public sealed class RmsProp : UpdateRuleBase
{
    private readonly float _decay;
    private readonly float _eps;

    /// <param name="decay">Cache decay rate in [0, 1), typically 0.99.</param>
    /// <param name="epsilon">Smoothing term &gt; 0, typically 1e-8.</param>
    public RmsProp(double decay = 0.99, double epsilon = 1e-8) : base("rmsprop", "cache")
    {
        new UpdateRuleOptions { Decay = decay, Epsilon = epsilon }.Validate();
        _decay = (float)decay;
        _eps = (float)epsilon;
    }

    protected override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t)
    {
        var cacheSpan = State(0).AsSpan();
        int n = w.Length, i = 0;
        float decay = _decay, oneMinusDecay = 1 - _decay, eps = _eps, negLr = -learningRate;
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        ref float c = ref MemoryMarshal.GetReference(cacheSpan);
        if (Vector.IsHardwareAccelerated)
        {
            var vDecay = new Vector<float>(decay);
            var vOneMinusDecay = new Vector<float>(oneMinusDecay);
            var vEps = new Vector<float>(eps);
            var vNegLr = new Vector<float>(negLr);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var grad = Vector.LoadUnsafe(ref g, u);
                var cache = vDecay * Vector.LoadUnsafe(ref c, u) + vOneMinusDecay * (grad * grad);
                cache.StoreUnsafe(ref c, u);
                (Vector.LoadUnsafe(ref x, u) + vNegLr * grad / (Vector.SquareRoot(cache) + vEps)).StoreUnsafe(ref x, u);
            }
        }
        for (; i < n; i++)
        {
            float grad = dw[i];
            float cache = decay * cacheSpan[i] + oneMinusDecay * (grad * grad);
            cacheSpan[i] = cache;
            w[i] += negLr * grad / (MathF.Sqrt(cache) + eps);
        }
    }
}
