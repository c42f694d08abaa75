using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// Nesterov momentum in the CS231n notes' form, which keeps the parameters at the "looked-ahead" position so that
/// the gradient is taken where the plain update would evaluate it:
/// v_prev = v; v = μ·v − lr·dx; x += −μ·v_prev + (1 + μ)·v. State: "velocity".
/// </summary>
public sealed class NesterovMomentum : UpdateRuleBase
{
    private readonly float _mu;

    /// <param name="mu">Momentum coefficient μ in [0, 1), typically 0.9.</param>
    public NesterovMomentum(double mu = 0.9) : base("nesterov", "velocity")
    {
        new UpdateRuleOptions { Momentum = mu }.Validate();
        _mu = (float)mu;
    }

    /// <summary>μ.</summary>
    public double Mu => _mu;

    protected override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t)
    {
        var velocity = State(0).AsSpan();
        int n = w.Length, i = 0;
        float mu = _mu, negMu = -_mu, onePlusMu = 1 + _mu, negLr = -learningRate;
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        ref float v = ref MemoryMarshal.GetReference(velocity);
        if (Vector.IsHardwareAccelerated)
        {
            var vMu = new Vector<float>(mu);
            var vNegMu = new Vector<float>(negMu);
            var vOnePlusMu = new Vector<float>(onePlusMu);
            var vNegLr = new Vector<float>(negLr);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var prev = Vector.LoadUnsafe(ref v, u);
                var vel = vMu * prev + vNegLr * Vector.LoadUnsafe(ref g, u);
                vel.StoreUnsafe(ref v, u);
                (Vector.LoadUnsafe(ref x, u) + (vNegMu * prev + vOnePlusMu * vel)).StoreUnsafe(ref x, u);
            }
        }
        for (; i < n; i++)
        {
            float prev = velocity[i];
            float vel = mu * prev + negLr * dw[i];
            velocity[i] = vel;
            w[i] += negMu * prev + onePlusMu * vel;
        }
    }
}
