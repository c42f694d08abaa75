using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// Adam with bias correction (t = 1-based step): m = β1·m + (1 − β1)·dx; mt = m / (1 − β1^t);
/// v = β2·v + (1 − β2)·dx²; vt = v / (1 − β2^t); x += −lr·mt / (√vt + eps). State: "m", "v".
/// </summary>
public sealed class Adam : UpdateRuleBase
{
    private readonly float _beta1;
    private readonly float _beta2;
    private readonly float _eps;

    /// <param name="beta1">First-moment decay in [0, 1), typically 0.9.</param>
    /// <param name="beta2">Second-moment decay in [0, 1), typically 0.999.</param>
    /// <param name="epsilon">Smoothing term &gt; 0, typically 1e-8.</param>
    public Adam(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : base("adam", "m", "v")
    {
        new UpdateRuleOptions { Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon }.Validate();
        _beta1 = (float)beta1;
        _beta2 = (float)beta2;
        _eps = (float)epsilon;
    }

    protected override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t)
    {
        var mSpan = State(0).AsSpan();
        var vSpan = State(1).AsSpan();
        int n = w.Length, i = 0;
        float b1 = _beta1, oneMinusB1 = 1 - _beta1, b2 = _beta2, oneMinusB2 = 1 - _beta2, eps = _eps, negLr = -learningRate;
        // Bias-correction denominators in double: β^t underflows gracefully and 1 − β^t keeps its precision.
        float corr1 = (float)(1 - Math.Pow(_beta1, t));
        float corr2 = (float)(1 - Math.Pow(_beta2, t));
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        ref float mr = ref MemoryMarshal.GetReference(mSpan);
        ref float vr = ref MemoryMarshal.GetReference(vSpan);
        if (Vector.IsHardwareAccelerated)
        {
            var vB1 = new Vector<float>(b1);
            var vOneMinusB1 = new Vector<float>(oneMinusB1);
            var vB2 = new Vector<float>(b2);
            var vOneMinusB2 = new Vector<float>(oneMinusB2);
            var vCorr1 = new Vector<float>(corr1);
            var vCorr2 = new Vector<float>(corr2);
            var vEps = new Vector<float>(eps);
            var vNegLr = new Vector<float>(negLr);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var grad = Vector.LoadUnsafe(ref g, u);
                var m = vB1 * Vector.LoadUnsafe(ref mr, u) + vOneMinusB1 * grad;
                var v = vB2 * Vector.LoadUnsafe(ref vr, u) + vOneMinusB2 * (grad * grad);
                m.StoreUnsafe(ref mr, u);
                v.StoreUnsafe(ref vr, u);
                var mt = m / vCorr1;
                var vt = v / vCorr2;
                (Vector.LoadUnsafe(ref x, u) + vNegLr * mt / (Vector.SquareRoot(vt) + vEps)).StoreUnsafe(ref x, u);
            }
        }
        for (; i < n; i++)
        {
            float grad = dw[i];
            float m = b1 * mSpan[i] + oneMinusB1 * grad;
            float v = b2 * vSpan[i] + oneMinusB2 * (grad * grad);
            mSpan[i] = m;
            vSpan[i] = v;
            float mt = m / corr1;
            float vt = v / corr2;
            w[i] += negLr * mt / (MathF.Sqrt(vt) + eps);
        }
    }
}
