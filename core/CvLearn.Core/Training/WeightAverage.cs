using System.Numerics;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Training;

/// <summary>Vectorised kernels for the running exponential average of the weights.</summary>
internal static class WeightAverage
{
    /// <summary>
    /// The decay used at update number <paramref name="updates"/> (0-based): min(decay, (1 + n)/(10 + n)), as in
    /// TensorFlow's ExponentialMovingAverage. Early on the average then follows the weights closely instead of
    /// being dominated by the random initialization for thousands of steps.
    /// </summary>
    public static float EffectiveDecay(double decay, long updates) => (float)Math.Min(decay, (1.0 + updates) / (10.0 + updates));

    /// <summary>ema = d·ema + (1 − d)·w, computed as ema += (1 − d)·(w − ema).</summary>
    public static void Update(Span<float> ema, ReadOnlySpan<float> w, float decay)
    {
        if (ema.Length != w.Length) throw new ArgumentException("Average and weights differ in length.");
        float a = 1 - decay;
        int n = ema.Length, i = 0;
        ref float e = ref MemoryMarshal.GetReference(ema);
        ref float x = ref MemoryMarshal.GetReference(w);
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var ev = Vector.LoadUnsafe(ref e, u);
                (ev + va * (Vector.LoadUnsafe(ref x, u) - ev)).StoreUnsafe(ref e, u);
            }
        }
        for (; i < n; i++) ema[i] += a * (w[i] - ema[i]);
    }

    /// <summary>Exchanges the contents of two equally long buffers in place.</summary>
    public static void Swap(Span<float> a, Span<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("Buffers differ in length.");
        int n = a.Length, i = 0;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var va = Vector.LoadUnsafe(ref ra, u);
                Vector.LoadUnsafe(ref rb, u).StoreUnsafe(ref ra, u);
                va.StoreUnsafe(ref rb, u);
            }
        }
        for (; i < n; i++) (a[i], b[i]) = (b[i], a[i]);
    }
}
