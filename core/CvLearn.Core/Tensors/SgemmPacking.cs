using System.Runtime.Intrinsics;

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
    public static void PackA(bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = dst + (nint)ir * kc;
            if (!transA)
            {
                // op(A)[i, p] = a[i·lda + p]: read each row sequentially and scatter it with stride mr.
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (i0 + ir + r) * lda + p0;
                    float* d = panel + r;
                    for (int p = 0; p < kc; p++) d[(nint)p * mr] = src[p];
                }
                for (int r = rows; r < mr; r++)
                {
                    float* d = panel + r;
                    for (int p = 0; p < kc; p++) d[(nint)p * mr] = 0f;
                }
            }
            else
            {
                // op(A)[i, p] = a[p·lda + i]: the mr values of one p are already contiguous.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (p0 + p) * lda + i0 + ir;
                    float* d = panel + (nint)p * mr;
                    int r = 0;
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
                // op(B)[p, j] = b[j·ldb + p]: read each stored row sequentially and scatter it with stride nr.
                for (int j = 0; j < cols; j++)
                {
                    float* s = b + (j0 + jr + j) * ldb + p0;
                    float* d = panel + j;
                    for (int p = 0; p < kc; p++) d[(nint)p * nr] = s[p];
                }
                for (int j = cols; j < nr; j++)
                {
                    float* d = panel + j;
                    for (int p = 0; p < kc; p++) d[(nint)p * nr] = 0f;
                }
            }
        }
    }
}
