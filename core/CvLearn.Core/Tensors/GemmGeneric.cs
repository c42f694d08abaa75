using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CvLearn.Core.Tensors;

/// <summary>
/// Portable GEMM for any element type (double for gradient checks, float on CPUs without AVX2): C rows are
/// updated with axpy's of B rows using <see cref="Vector{T}"/>, blocked over K so a slice of B stays in cache.
/// Rows of C are split across threads; each element's operation order is independent of the split.
/// Not as fast as the packed float kernels, but far from the naive triple loop.
/// </summary>
internal static unsafe class GemmGeneric
{
    /// <summary>K rows of B processed per sweep over C (256 rows of a 256-wide double B ≈ 512 KB, fits L2).</summary>
    private const int KB = 256;
    private const long ParallelThreshold = 64L * 64 * 64;

    /// <summary>C = alpha·op(A)·op(B) + beta·C. Arguments must already be validated; m, n, k ≥ 1. beta = 0 never reads C.</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[]? rented = null;
        try
        {
            // The axpy formulation needs rows of op(B) to be contiguous; transpose B once if it is not.
            if (transB)
            {
                rented = ArrayPool<T>.Shared.Rent(k * n);
                for (int j = 0; j < n; j++)
                {
                    ReadOnlySpan<T> src = b.Slice(j * ldb, k);
                    for (int p = 0; p < k; p++) rented[p * n + j] = src[p];
                }
                b = rented;
                ldb = n;
            }

            fixed (T* pa = a)
            fixed (T* pb = b)
            fixed (T* pc = c)
            {
                var job = new Job<T>(transA, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                int parts = (long)m * n * k < ParallelThreshold ? 1 : Math.Min(threads, m);
                if (parts <= 1) job.Rows(0, m);
                else Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
                    part => job.Rows((int)((long)m * part / parts), (int)((long)m * (part + 1) / parts)));
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<T>.Shared.Return(rented);
        }
    }

    private sealed class Job<T>(bool transA, int n, int k, T alpha, T* a, nint lda, T* b, nint ldb, T beta, T* c, nint ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Rows(int i0, int i1)
        {
            // First apply beta (beta = 0 overwrites without reading, so NaN garbage in C is discarded).
            for (int i = i0; i < i1; i++)
            {
                T* row = c + i * ldc;
                if (beta == T.Zero) new Span<T>(row, n).Clear();
                else if (beta != T.One) for (int j = 0; j < n; j++) row[j] *= beta;
            }
            for (int p0 = 0; p0 < k; p0 += KB)
            {
                int p1 = Math.Min(k, p0 + KB);
                for (int i = i0; i < i1; i++)
                {
                    T* row = c + i * ldc;
                    for (int p = p0; p < p1; p++)
                    {
                        T av = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                        Axpy(row, b + p * ldb, av, n);
                    }
                }
            }
        }

        /// <summary>y[0..n) += s · x[0..n).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Axpy(T* y, T* x, T s, int n)
        {
            int j = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && n >= Vector<T>.Count)
            {
                var sv = new Vector<T>(s);
                for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
                    Vector.Store(Vector.Load(y + j) + sv * Vector.Load(x + j), y + j);
            }
            for (; j < n; j++) y[j] += s * x[j];
        }
    }
}
