using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// Adam with bias correction (t = 1-based step): m = β1·m + (1 − β1)·dx; mt = m / (1 − β1^t);
/// v = β2·v + (1 − β2)·dx²; vt = v / (1 − β2^t); x += −lr·mt / (√vt + eps). State: "m", "v".
/// Kept hand-specialized rather than an <see cref="ElementwiseRule{TStep}"/> like the other rules: it is the default
/// rule, and through the generic loops its fused step was 5 – 10% slower (fc:512-256, `CvLearn.Benchmarks fused-step`,
/// runs of each build in ABBA order: 292 – 337 against 279 – 300 µs per step over 8 each; its constants are probably
/// not all kept in registers).
/// </summary>
public sealed class Adam : UpdateRuleBase, IFusedUpdateRule
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

    protected override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t) =>
        Run(w, dw, 0, w.Length, learningRate, t, l2: 0, [], 0);

    /// <inheritdoc />
    public void StepFused(Span<float> w, ReadOnlySpan<float> dw, float learningRate, ReadOnlySpan<ParameterSegment> weights, float l2,
        Span<float> average, float averageDecay)
    {
        CheckFusedArguments(w.Length, weights, l2, average, averageDecay);
        long t = BeginStep(w, dw, learningRate);
        float a = 1 - averageDecay;
        int cursor = 0;
        foreach (var segment in weights)
        {
            Run(w, dw, cursor, segment.Offset, learningRate, t, 0, average, a);
            Run(w, dw, segment.Offset, segment.Offset + segment.Length, learningRate, t, l2, average, a);
            cursor = segment.Offset + segment.Length;
        }
        Run(w, dw, cursor, w.Length, learningRate, t, 0, average, a);
    }

    /// <summary>
    /// The update of elements from..to: the gradient is dw + l2·w when l2 ≠ 0, and the average (when not empty)
    /// follows the new weights with weight <paramref name="a"/> = 1 − decay. Each element sees the same operations in
    /// the vector loop and the scalar tail, so results do not depend on where segments start.
    /// </summary>
    private void Run(Span<float> w, ReadOnlySpan<float> dw, int from, int to, float learningRate, long t, float l2, Span<float> average, float a)
    {
        if (to <= from) return;
        // Each combination gets its own compiled loop, without the branches of the others.
        switch (l2 != 0, !average.IsEmpty)
        {
            case (false, false): Run<Off, Off>(w, dw, from, to, learningRate, t, l2, average, a); break;
            case (true, false): Run<On, Off>(w, dw, from, to, learningRate, t, l2, average, a); break;
            case (false, true): Run<Off, On>(w, dw, from, to, learningRate, t, l2, average, a); break;
            default: Run<On, On>(w, dw, from, to, learningRate, t, l2, average, a); break;
        }
    }

    private interface IFlag { static abstract bool IsOn { get; } }
    private readonly struct On : IFlag { public static bool IsOn => true; }
    private readonly struct Off : IFlag { public static bool IsOn => false; }

    private void Run<TPenalty, TAverage>(Span<float> w, ReadOnlySpan<float> dw, int from, int to, float learningRate, long t, float l2, Span<float> average, float a)
        where TPenalty : struct, IFlag
        where TAverage : struct, IFlag
    {
        var mSpan = State(0).AsSpan(from, to - from);
        var vSpan = State(1).AsSpan(from, to - from);
        var wSpan = w[from..to];
        var gSpan = dw[from..to];
        var eSpan = TAverage.IsOn ? average[from..to] : [];
        int n = wSpan.Length, i = 0;
        float b1 = _beta1, oneMinusB1 = 1 - _beta1, b2 = _beta2, oneMinusB2 = 1 - _beta2, eps = _eps, negLr = -learningRate;
        // Bias-correction denominators in double: β^t underflows gracefully and 1 − β^t keeps its precision.
        float corr1 = (float)(1 - Math.Pow(_beta1, t));
        float corr2 = (float)(1 - Math.Pow(_beta2, t));
        ref float x = ref MemoryMarshal.GetReference(wSpan);
        ref float g = ref MemoryMarshal.GetReference(gSpan);
        ref float mr = ref MemoryMarshal.GetReference(mSpan);
        ref float vr = ref MemoryMarshal.GetReference(vSpan);
        ref float er = ref MemoryMarshal.GetReference(eSpan);
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
            var vL2 = new Vector<float>(l2);
            var vA = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var weight = Vector.LoadUnsafe(ref x, u);
                var grad = Vector.LoadUnsafe(ref g, u);
                if (TPenalty.IsOn) grad += weight * vL2;
                var m = vB1 * Vector.LoadUnsafe(ref mr, u) + vOneMinusB1 * grad;
                var v = vB2 * Vector.LoadUnsafe(ref vr, u) + vOneMinusB2 * (grad * grad);
                m.StoreUnsafe(ref mr, u);
                v.StoreUnsafe(ref vr, u);
                var mt = m / vCorr1;
                var vt = v / vCorr2;
                weight += vNegLr * mt / (Vector.SquareRoot(vt) + vEps);
                weight.StoreUnsafe(ref x, u);
                if (TAverage.IsOn)
                {
                    var e = Vector.LoadUnsafe(ref er, u);
                    (e + vA * (weight - e)).StoreUnsafe(ref er, u);
                }
            }
        }
        for (; i < n; i++)
        {
            float grad = gSpan[i];
            if (TPenalty.IsOn) grad += wSpan[i] * l2;
            float m = b1 * mSpan[i] + oneMinusB1 * grad;
            float v = b2 * vSpan[i] + oneMinusB2 * (grad * grad);
            mSpan[i] = m;
            vSpan[i] = v;
            float mt = m / corr1;
            float vt = v / corr2;
            wSpan[i] += negLr * mt / (MathF.Sqrt(vt) + eps);
            if (TAverage.IsOn) eSpan[i] += a * (wSpan[i] - eSpan[i]);
        }
    }
}
