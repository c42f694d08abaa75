using System.Numerics;
using System.Runtime.CompilerServices;

namespace CvLearn.Core.Optim;

/// <summary>Momentum update: v = μ·v − lr·dx; x += v. State: "velocity" (starts at zero).</summary>
public sealed class Momentum : ElementwiseRule<Momentum.Arithmetic>
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

    private protected override Arithmetic StepFor(float learningRate, long t) => new(State(0), _mu, -learningRate);

    /// <summary>v = μ·v + (−lr)·dx; x + v.</summary>
    public readonly struct Arithmetic : IElementUpdate
    {
        private readonly float[] _velocity;
        private readonly float _mu, _negLr;
        private readonly Vector<float> _vMu, _vNegLr;

        internal Arithmetic(float[] velocity, float mu, float negLr)
        {
            _velocity = velocity;
            _mu = mu; _negLr = negLr;
            _vMu = new Vector<float>(mu); _vNegLr = new Vector<float>(negLr);
        }

        float[]? IElementUpdate.State0 => _velocity;
        float[]? IElementUpdate.State1 => null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector<float> IElementUpdate.Update(Vector<float> weight, Vector<float> grad, ref float velocity, ref float s1, nuint i)
        {
            var vel = _vMu * Vector.LoadUnsafe(ref velocity, i) + _vNegLr * grad;
            vel.StoreUnsafe(ref velocity, i);
            return weight + vel;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        float IElementUpdate.Update(float weight, float grad, ref float velocity, ref float s1)
        {
            float vel = _mu * velocity + _negLr * grad;
            velocity = vel;
            return weight + vel;
        }
    }
}
