using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>Vanilla update: x += −lr·dx. No state.</summary>
public sealed class Sgd : UpdateRuleBase
{
    public Sgd() : base("sgd") { }

    protected override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t)
    {
        int n = w.Length, i = 0;
        float negLr = -learningRate;
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        if (Vector.IsHardwareAccelerated)
        {
            var vNegLr = new Vector<float>(negLr);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                (Vector.LoadUnsafe(ref x, u) + vNegLr * Vector.LoadUnsafe(ref g, u)).StoreUnsafe(ref x, u);
            }
        }
        for (; i < n; i++) w[i] += negLr * dw[i];
    }
}
