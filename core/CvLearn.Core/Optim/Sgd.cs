using System.Numerics;
using System.Runtime.CompilerServices;

namespace CvLearn.Core.Optim;

/// <summary>Vanilla update: x += −lr·dx. No state.</summary>
public sealed class Sgd : ElementwiseRule<Sgd.Arithmetic>
{
    public Sgd() : base("sgd") { }

    private protected override Arithmetic StepFor(float learningRate, long t) => new(-learningRate);

    /// <summary>x + (−lr)·dx.</summary>
    public readonly struct Arithmetic : IElementUpdate
    {
        private readonly float _negLr;
        private readonly Vector<float> _vNegLr;

        internal Arithmetic(float negLr) { _negLr = negLr; _vNegLr = new Vector<float>(negLr); }

        float[]? IElementUpdate.State0 => null;
        float[]? IElementUpdate.State1 => null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector<float> IElementUpdate.Update(Vector<float> weight, Vector<float> grad, ref float s0, ref float s1, nuint i) => weight + _vNegLr * grad;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        float IElementUpdate.Update(float weight, float grad, ref float s0, ref float s1) => weight + _negLr * grad;
    }
}
