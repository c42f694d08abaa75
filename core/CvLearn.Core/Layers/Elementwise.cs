using System.Numerics;

namespace CvLearn.Core.Layers;

/// <summary>
/// Branch-free SIMD kernels for the piecewise activations, which TensorPrimitives cannot express (it has no select).
/// Each kernel runs a Vector&lt;T&gt; body and a scalar tail computing the same formula, so results do not depend on
/// where an element falls relative to the vector width.
/// </summary>
internal static class Elementwise
{
    /// <summary>dx = y &gt; 0 ? dout : 0 (ReLU backward from its output y).</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dout, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(y.Length, dout.Length, dx.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = new Vector<T>(y.Slice(i, w));
                var vd = new Vector<T>(dout.Slice(i, w));
                Vector.ConditionalSelect(Vector.GreaterThan(vy, Vector<T>.Zero), vd, Vector<T>.Zero).CopyTo(dx.Slice(i, w));
            }
        }
        for (; i < y.Length; i++) dx[i] = y[i] > T.Zero ? dout[i] : T.Zero;
    }

    /// <summary>y = x &gt; 0 ? x : alpha·x.</summary>
    public static void LeakyReluForward<T>(ReadOnlySpan<T> x, T alpha, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, x.Length, y.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            var va = new Vector<T>(alpha);
            for (; i <= x.Length - w; i += w)
            {
                var vx = new Vector<T>(x.Slice(i, w));
                Vector.ConditionalSelect(Vector.GreaterThan(vx, Vector<T>.Zero), vx, vx * va).CopyTo(y.Slice(i, w));
            }
        }
        for (; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : alpha * x[i];
    }

    /// <summary>dx = x &gt; 0 ? dout : alpha·dout.</summary>
    public static void LeakyReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, T alpha, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, dout.Length, dx.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            var va = new Vector<T>(alpha);
            for (; i <= x.Length - w; i += w)
            {
                var vx = new Vector<T>(x.Slice(i, w));
                var vd = new Vector<T>(dout.Slice(i, w));
                Vector.ConditionalSelect(Vector.GreaterThan(vx, Vector<T>.Zero), vd, vd * va).CopyTo(dx.Slice(i, w));
            }
        }
        for (; i < x.Length; i++) dx[i] = x[i] > T.Zero ? dout[i] : alpha * dout[i];
    }

    /// <summary>y = x &gt; 0 ? x : alpha·em1, where em1 already holds exp(x) − 1 (may alias y).</summary>
    public static void EluSelect<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> em1, T alpha, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, em1.Length, y.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            var va = new Vector<T>(alpha);
            for (; i <= x.Length - w; i += w)
            {
                var vx = new Vector<T>(x.Slice(i, w));
                var ve = new Vector<T>(em1.Slice(i, w));
                Vector.ConditionalSelect(Vector.GreaterThan(vx, Vector<T>.Zero), vx, ve * va).CopyTo(y.Slice(i, w));
            }
        }
        for (; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : alpha * em1[i];
    }

    /// <summary>dx = x &gt; 0 ? dout : dout·(y + alpha), since d/dx α(eˣ − 1) = αeˣ = y + α.</summary>
    public static void EluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dout, T alpha, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, dout.Length, dx.Length);
        CheckLengths(x.Length, y.Length, dx.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            var va = new Vector<T>(alpha);
            for (; i <= x.Length - w; i += w)
            {
                var vx = new Vector<T>(x.Slice(i, w));
                var vy = new Vector<T>(y.Slice(i, w));
                var vd = new Vector<T>(dout.Slice(i, w));
                Vector.ConditionalSelect(Vector.GreaterThan(vx, Vector<T>.Zero), vd, vd * (vy + va)).CopyTo(dx.Slice(i, w));
            }
        }
        for (; i < x.Length; i++) dx[i] = x[i] > T.Zero ? dout[i] : dout[i] * (y[i] + alpha);
    }

    /// <summary>dx = dout·(1 − y²) (tanh backward from its output y).</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dout, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(y.Length, dout.Length, dx.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = new Vector<T>(y.Slice(i, w));
                var vd = new Vector<T>(dout.Slice(i, w));
                (vd * (Vector<T>.One - vy * vy)).CopyTo(dx.Slice(i, w));
            }
        }
        for (; i < y.Length; i++) dx[i] = dout[i] * (T.One - y[i] * y[i]);
    }

    /// <summary>dx = dout·y·(1 − y) (sigmoid backward from its output y).</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dout, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(y.Length, dout.Length, dx.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = new Vector<T>(y.Slice(i, w));
                var vd = new Vector<T>(dout.Slice(i, w));
                (vd * vy * (Vector<T>.One - vy)).CopyTo(dx.Slice(i, w));
            }
        }
        for (; i < y.Length; i++) dx[i] = dout[i] * y[i] * (T.One - y[i]);
    }

    private static void CheckLengths(int a, int b, int c)
    {
        if (a != b || a != c) throw new ArgumentException($"Element-wise kernel got spans of different lengths ({a}, {b}, {c}).");
    }
}
