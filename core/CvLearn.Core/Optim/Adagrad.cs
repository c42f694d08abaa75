using System.Numerics;
using System.Runtime.CompilerServices;

namespace CvLearn.Core.Optim;

/// <summary>Adagrad: cache += dx²; x += −lr·dx / (√cache + eps). State: "cache".</summary>
public sealed class Adagrad : ElementwiseRule<Adagrad.Arithmetic>
{
    private readonly float _eps;

    /// <param name="epsilon">Smoothing term &gt; 0, typically 1e-8.</param>
    public Adagrad(double epsilon = 1e-8) : base("adagrad", "cache")
    {
        new UpdateRuleOptions { Epsilon = epsilon }.Validate();
        _eps = (float)epsilon;
    }

    private protected override Arithmetic StepFor(float learningRate, long t) => new(State(0), _eps, -learningRate);

    /// <summary>cache = cache + dx·dx; x + (−lr)·dx / (√cache + eps).</summary>
    public readonly struct Arithmetic : IElementUpdate
    {
        private readonly float[] _cache;
        private readonly float _eps, _negLr;
        private readonly Vector<float> _vEps, _vNegLr;

        internal Arithmetic(float[] cache, float eps, float negLr)
        {
            _cache = cache;
            _eps = eps; _negLr = negLr;
            _vEps = new Vector<float>(eps); _vNegLr = new Vector<float>(negLr);
        }

        float[]? IElementUpdate.State0 => _cache;
        float[]? IElementUpdate.State1 => null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector<float> IElementUpdate.Update(Vector<float> weight, Vector<float> grad, ref float c, ref float s1, nuint i)
        {
            var cache = Vector.LoadUnsafe(ref c, i) + grad * grad;
            cache.StoreUnsafe(ref c, i);
            return weight + _vNegLr * grad / (Vector.SquareRoot(cache) + _vEps);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        float IElementUpdate.Update(float weight, float grad, ref float c, ref float s1)
        {
            float cache = c + grad * grad;
            c = cache;
            return weight + _negLr * grad / (MathF.Sqrt(cache) + _eps);
        }
    }
}
