using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>Adagrad: cache += dx²; x += −lr·dx / (√cache + eps). State: "cache".</summary>
public sealed class Adagrad : UpdateRuleBase
{
    private readonly float _eps;

    /// <param name="epsilon">Smoothing term &gt; 0, typically 1e-8.</param>
    public Adagrad(double epsilon = 1e-8) : base("adagrad", "cache")
    {
        new UpdateRuleOptions { Epsilon = epsilon }.Validate();
        _eps = (float)epsilon;
    }

    protected override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t)
    {
        var cacheSpan = State(0).AsSpan();
        int n = w.Length, i = 0;
        float eps = _eps, negLr = -learningRate;
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        ref float c = ref MemoryMarshal.GetReference(cacheSpan);
        if (Vector.IsHardwareAccelerated)
        {
            var vEps = new Vector<float>(eps);
            var vNegLr = new Vector<float>(negLr);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var grad = Vector.LoadUnsafe(ref g, u);
                var cache = Vector.LoadUnsafe(ref c, u) + grad * grad;
                cache.StoreUnsafe(ref c, u);
                (Vector.LoadUnsafe(ref x, u) + vNegLr * grad / (Vector.SquareRoot(cache) + vEps)).StoreUnsafe(ref x, u);
            }
        }
        for (; i < n; i++)
        {
            float grad = dw[i];
            float cache = cacheSpan[i] + grad * grad;
            cacheSpan[i] = cache;
            w[i] += negLr * grad / (MathF.Sqrt(cache) + eps);
        }
    }
}
