using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>Momentum update: v = μ·v − lr·dx; x += v. State: "velocity" (starts at zero).</summary>
public sealed class Momentum : UpdateRuleBase
{
    private readonly float _mu;

    /// <param name="mu">Momentum coefficient μ in [0, 1), typically 0.9.</param>
    public Momentum(double mu = 0.9) : base("momentum", "velocity")
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
        float mu = _mu, negLr = -learningRate;
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        ref float v = ref MemoryMarshal.GetReference(velocity);
        if (Vector.IsHardwareAccelerated)
        {
            var vMu = new Vector<float>(mu);
            var vNegLr = new Vector<float>(negLr);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var vel = vMu * Vector.LoadUnsafe(ref v, u) + vNegLr * Vector.LoadUnsafe(ref g, u);
                vel.StoreUnsafe(ref v, u);
                (Vector.LoadUnsafe(ref x, u) + vel).StoreUnsafe(ref x, u);
            }
        }
        for (; i < n; i++)
        {
            float vel = mu * velocity[i] + negLr * dw[i];
            velocity[i] = vel;
            w[i] += vel;
        }
    }
}
