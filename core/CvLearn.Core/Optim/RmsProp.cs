using System.Numerics;
using System.Runtime.CompilerServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// RMSProp: cache = decay·cache + (1 − decay)·dx²; x += −lr·dx / (√cache + eps). State: "cache" (starts at zero,
/// as in the notes and CS231n's optim.py — no bias correction).
/// </summary>
public sealed class RmsProp : ElementwiseRule<RmsProp.Arithmetic>
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

    private protected override Arithmetic StepFor(float learningRate, long t) => new(State(0), _decay, _eps, -learningRate);

    /// <summary>cache = decay·cache + (1 − decay)·(dx·dx); x + (−lr)·dx / (√cache + eps).</summary>
    public readonly struct Arithmetic : IElementUpdate
    {
        private readonly float[] _cache;
        private readonly float _decay, _oneMinusDecay, _eps, _negLr;
        private readonly Vector<float> _vDecay, _vOneMinusDecay, _vEps, _vNegLr;

        internal Arithmetic(float[] cache, float decay, float eps, float negLr)
        {
            _cache = cache;
            _decay = decay; _oneMinusDecay = 1 - decay; _eps = eps; _negLr = negLr;
            _vDecay = new Vector<float>(decay); _vOneMinusDecay = new Vector<float>(_oneMinusDecay); _vEps = new Vector<float>(eps); _vNegLr = new Vector<float>(negLr);
        }

        float[]? IElementUpdate.State0 => _cache;
        float[]? IElementUpdate.State1 => null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector<float> IElementUpdate.Update(Vector<float> weight, Vector<float> grad, ref float c, ref float s1, nuint i)
        {
            var cache = _vDecay * Vector.LoadUnsafe(ref c, i) + _vOneMinusDecay * (grad * grad);
            cache.StoreUnsafe(ref c, i);
            return weight + _vNegLr * grad / (Vector.SquareRoot(cache) + _vEps);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        float IElementUpdate.Update(float weight, float grad, ref float c, ref float s1)
        {
            float cache = _decay * c + _oneMinusDecay * (grad * grad);
            c = cache;
            return weight + _negLr * grad / (MathF.Sqrt(cache) + _eps);
        }
    }
}
