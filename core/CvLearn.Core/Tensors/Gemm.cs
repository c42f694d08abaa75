using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CvLearn.Core.Tensors;

/// <summary>
/// General matrix multiply on row-major matrices: C = alpha · op(A) · op(B) + beta · C,
/// where op(A) is m×k, op(B) is k×n and C is m×n. lda/ldb/ldc are row strides of the stored matrices
/// (for transA, A is stored k×m). Every layer's heavy lifting goes through here.
/// The reduction order of each output element never depends on the thread count, so results are deterministic.
/// </summary>
public static partial class Gemm
{
    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C. float uses packed AVX-512 / AVX2+FMA kernels on up to
    /// <see cref="Engine.Threads"/> threads; other types use a portable vectorised path. beta = 0 never reads C
    /// (it may hold NaN garbage). Results are bit-identical for any thread count.
    /// </summary>
    /// <exception cref="ArgumentException">Negative sizes, a leading dimension smaller than the row width, or a span too short.</exception>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Dispatch(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
            typeof(T) == typeof(float) ? Sgemm.BestKernel : SgemmKernelKind.Portable, Engine.Threads);
    }

    /// <summary>
    /// <see cref="Multiply"/> with an explicit kernel choice and thread cap (tests use it to exercise every path and
    /// to compare thread counts without touching the process-wide <see cref="Engine.Threads"/>).
    /// <paramref name="kind"/> is ignored for non-float T.
    /// </summary>
    internal static void Dispatch<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc,
        SgemmKernelKind kind, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == T.Zero)
        {
            // Nothing to multiply: C = beta·C (BLAS semantics: A and B are not read, beta = 0 does not read C).
            ScaleRows(m, n, beta, c, ldc);
            return;
        }
        if (typeof(T) == typeof(float) && kind != SgemmKernelKind.Portable)
        {
            Sgemm.Multiply(transA, transB, m, n, k, Unsafe.BitCast<T, float>(alpha),
                MemoryMarshal.Cast<T, float>(a), lda, MemoryMarshal.Cast<T, float>(b), ldb,
                Unsafe.BitCast<T, float>(beta), MemoryMarshal.Cast<T, float>(c), ldc, kind, threads);
            return;
        }
        GemmGeneric.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    private static void ScaleRows<T>(int m, int n, T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            Span<T> row = c.Slice(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One) TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>Straightforward triple loop; the definition the fast paths are tested against.</summary>
    public static void Reference<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                ref T cij = ref c[i * ldc + j];
                cij = beta == T.Zero ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }

    internal static void Validate(bool transA, bool transB, int m, int n, int k, int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Negative GEMM size m={m} n={n} k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        Check("A", aRows, aCols, aLen, lda);
        Check("B", bRows, bCols, bLen, ldb);
        Check("C", m, n, cLen, ldc);

        static void Check(string name, int rows, int cols, int len, int ld)
        {
            if (rows == 0 || cols == 0) return;
            if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its column count ({cols}).");
            long need = (long)(rows - 1) * ld + cols;
            if (len < need) throw new ArgumentException($"GEMM: {name} has {len} elements, needs {need} for {rows}×{cols} with stride {ld}.");
        }
    }
}
