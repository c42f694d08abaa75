using System.Numerics;
using System.Runtime.CompilerServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// Nesterov momentum in the CS231n notes' form, which keeps the parameters at the "looked-ahead" position so that
/// the gradient is taken where the plain update would evaluate it:
/// v_prev = v; v = μ·v − lr·dx; x += −μ·v_prev + (1 + μ)·v. State: "velocity".
/// </summary>
public sealed class NesterovMomentum : ElementwiseRule<NesterovMomentum.Arithmetic>
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

    private protected override Arithmetic StepFor(float learningRate, long t) => new(State(0), _mu, -learningRate);

    /// <summary>prev = v; v = μ·v + (−lr)·dx; x + ((−μ)·prev + (1 + μ)·v).</summary>
    public readonly struct Arithmetic : IElementUpdate
    {
        private readonly float[] _velocity;
        private readonly float _mu, _negMu, _onePlusMu, _negLr;
        private readonly Vector<float> _vMu, _vNegMu, _vOnePlusMu, _vNegLr;

        internal Arithmetic(float[] velocity, float mu, float negLr)
        {
            _velocity = velocity;
            _mu = mu; _negMu = -mu; _onePlusMu = 1 + mu; _negLr = negLr;
            _vMu = new Vector<float>(_mu); _vNegMu = new Vector<float>(_negMu); _vOnePlusMu = new Vector<float>(_onePlusMu); _vNegLr = new Vector<float>(negLr);
        }

        float[]? IElementUpdate.State0 => _velocity;
        float[]? IElementUpdate.State1 => null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector<float> IElementUpdate.Update(Vector<float> weight, Vector<float> grad, ref float velocity, ref float s1, nuint i)
        {
            var prev = Vector.LoadUnsafe(ref velocity, i);
            var vel = _vMu * prev + _vNegLr * grad;
            vel.StoreUnsafe(ref velocity, i);
            return weight + (_vNegMu * prev + _vOnePlusMu * vel);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        float IElementUpdate.Update(float weight, float grad, ref float velocity, ref float s1)
        {
            float prev = velocity;
            float vel = _mu * prev + _negLr * grad;
            velocity = vel;
            return weight + (_negMu * prev + _onePlusMu * vel);
        }
    }
}
