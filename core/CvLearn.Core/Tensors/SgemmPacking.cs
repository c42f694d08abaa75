using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CvLearn.Core.Tensors;

/// <summary>
/// Packing routines for the float GEMM. They copy a block of op(A) or op(B) into the contiguous layout the
/// micro-kernel streams through, zero-padding partial panels, so the one kernel serves all four transpose
/// combinations, any leading dimensions and any edge sizes.
/// </summary>
internal static unsafe class SgemmPacking
{
    /// <summary>
    /// Packs op(A)[i0..i0+mc, p0..p0+kc] into panels of <paramref name="mr"/> rows. Panel q starts at
    /// dst + q·mr·kc and holds, for each p, the mr values op(A)[i0+q·mr+r, p0+p] (r = 0..mr-1, zero past mc).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = dst + (nint)ir * kc;
            if (!transA)
            {
                // op(A)[i, p] = a[i·lda + p]: rows are contiguous in p, so this is a transpose.
                TransposeInto(a + (i0 + ir) * lda + p0, lda, rows, kc, mr, panel);
            }
            else
            {
                // op(A)[i, p] = a[p·lda + i]: the mr values of one p are already contiguous.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (p0 + p) * lda + i0 + ir;
                    float* d = panel + (nint)p * mr;
                    int r = 0;
                    for (; r + 8 <= rows; r += 8) Vector256.Store(Vector256.Load(src + r), d + r);
                    for (; r + 4 <= rows; r += 4) Vector128.Store(Vector128.Load(src + r), d + r);
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0..p0+kc, j0..j0+nc] into panels of <paramref name="nr"/> columns. Panel q starts at
    /// dst + q·nr·kc and holds, for each p, the nr values op(B)[p0+p, j0+q·nr+j] (j = 0..nr-1, zero past nc).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* b, nint ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = dst + (nint)jr * kc;
            if (!transB)
            {
                // op(B)[p, j] = b[p·ldb + j]: each packed row is a contiguous copy.
                float* src = b + p0 * ldb + j0 + jr;
                if (cols == nr)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        float* s = src + p * ldb;
                        float* d = panel + (nint)p * nr;
                        for (int j = 0; j < nr; j += Vector256<float>.Count)
                            Vector256.Store(Vector256.Load(s + j), d + j);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        float* s = src + p * ldb;
                        float* d = panel + (nint)p * nr;
                        int j = 0;
                        for (; j < cols; j++) d[j] = s[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // op(B)[p, j] = b[j·ldb + p]: stored rows are contiguous in p, so this is a transpose.
                TransposeInto(b + (j0 + jr) * ldb + p0, ldb, cols, kc, nr, panel);
            }
        }
    }

    /// <summary>
    /// dst[p·width + r] = src[r·ld + p] for r &lt; rows, p &lt; kc, and zero for rows ≤ r &lt; width: packs
    /// <paramref name="rows"/> stored rows as the columns of a panel. Works in 8×8 (AVX) and 4×4 (SSE) register
    /// transposes so that both the reads and the writes are vector-wide; leftovers are scalar.
    /// </summary>
    private static void TransposeInto(float* src, nint ld, int rows, int kc, int width, float* dst)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= rows; r += 8)
            {
                float* s = src + r * ld;
                float* d = dst + r;
                int p = 0;
                for (; p + 8 <= kc; p += 8) Transpose8x8(s + p, ld, d + (nint)p * width, width);
                for (; p < kc; p++)
                    for (int i = 0; i < 8; i++) d[(nint)p * width + i] = s[i * ld + p];
            }
            for (; r + 4 <= rows; r += 4)
            {
                float* s = src + r * ld;
                float* d = dst + r;
                int p = 0;
                for (; p + 4 <= kc; p += 4) Transpose4x4(s + p, ld, d + (nint)p * width, width);
                for (; p < kc; p++)
                    for (int i = 0; i < 4; i++) d[(nint)p * width + i] = s[i * ld + p];
            }
        }
        for (; r < rows; r++)
        {
            float* s = src + r * ld;
            float* d = dst + r;
            for (int p = 0; p < kc; p++) d[(nint)p * width] = s[p];
        }
        for (; r < width; r++)
        {
            float* d = dst + r;
            for (int p = 0; p < kc; p++) d[(nint)p * width] = 0f;
        }
    }

    /// <summary>Reads 8 rows × 8 floats (row stride ld) and writes them transposed (row stride width).</summary>
    private static void Transpose8x8(float* s, nint ld, float* d, nint width)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ld);
        var r2 = Avx.LoadVector256(s + 2 * ld);
        var r3 = Avx.LoadVector256(s + 3 * ld);
        var r4 = Avx.LoadVector256(s + 4 * ld);
        var r5 = Avx.LoadVector256(s + 5 * ld);
        var r6 = Avx.LoadVector256(s + 6 * ld);
        var r7 = Avx.LoadVector256(s + 7 * ld);
        // Interleave pairs of rows, then pairs of pairs (within 128-bit lanes), then swap lanes.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + width, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * width, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * width, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * width, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * width, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * width, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * width, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Reads 4 rows × 4 floats (row stride ld) and writes them transposed (row stride width).</summary>
    private static void Transpose4x4(float* s, nint ld, float* d, nint width)
    {
        var r0 = Sse.LoadVector128(s);
        var r1 = Sse.LoadVector128(s + ld);
        var r2 = Sse.LoadVector128(s + 2 * ld);
        var r3 = Sse.LoadVector128(s + 3 * ld);
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackHigh(r0, r1);
        var t2 = Sse.UnpackLow(r2, r3);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(d, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(d + width, Sse.MoveHighToLow(t2, t0));
        Sse.Store(d + 2 * width, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(d + 3 * width, Sse.MoveHighToLow(t3, t1));
    }
}
