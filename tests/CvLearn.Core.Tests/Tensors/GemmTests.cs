using System.Runtime.Intrinsics.X86;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Tensors;

/// <summary>
/// The fast GEMM paths against <see cref="Gemm.Reference"/> evaluated in double on the same (float) inputs.
/// Every case uses row strides wider than the stored width, and checks that the padding of C is never written.
/// </summary>
public class GemmTests
{
    private const float Sentinel = 12345.678f;

    public static TheoryData<string> FloatKernels()
    {
        var data = new TheoryData<string> { nameof(SgemmKernelKind.Portable) };
        if (Avx2.IsSupported && Fma.IsSupported) data.Add(nameof(SgemmKernelKind.Avx2));
        if (Avx512F.IsSupported) data.Add(nameof(SgemmKernelKind.Avx512));
        return data;
    }

    [Theory]
    [MemberData(nameof(FloatKernels))]
    public void FloatMatchesReferenceOnOddShapesAllTransposesAndScalars(string kernel)
    {
        var kind = Enum.Parse<SgemmKernelKind>(kernel);
        var rng = new Random(1234);
        (float Alpha, float Beta)[] scalars = [(1f, 0f), (1f, 1f), (-0.7f, 0.3f), (2.5f, 0f), (1f, -1f)];
        int cases = 0;
        for (int trial = 0; trial < 160; trial++)
        {
            // Mostly small odd sizes (every edge-tile remainder), sometimes one dimension past a tile/panel.
            int m = rng.Next(1, 71), n = rng.Next(1, 71), k = rng.Next(1, 71);
            if (trial % 10 == 0) k = rng.Next(250, 600); // crosses the KC = 256 slice boundary
            bool transA = (trial & 1) != 0, transB = (trial & 2) != 0;
            var (alpha, beta) = scalars[trial % scalars.Length];
            RunFloatCase(kind, rng, transA, transB, m, n, k, alpha, beta, threads: 1 + trial % 2);
            cases++;
        }
        Assert.Equal(160, cases);
    }

    [Theory]
    [MemberData(nameof(FloatKernels))]
    public void FloatTrainingLikeShapesMatchReference(string kernel)
    {
        var kind = Enum.Parse<SgemmKernelKind>(kernel);
        var rng = new Random(7);
        RunFloatCase(kind, rng, false, false, 128, 256, 300, 1f, 0f, threads: 2);  // FC forward
        RunFloatCase(kind, rng, true, false, 300, 64, 128, 1f, 1f, threads: 2);   // weight gradient, accumulate
        RunFloatCase(kind, rng, false, true, 128, 300, 64, 1f, 0f, threads: 2);   // input gradient
        RunFloatCase(kind, rng, false, true, 700, 32, 9, 1f, 0f, threads: 2);     // conv im2col, tiny K
    }

    [Theory]
    [MemberData(nameof(FloatKernels))]
    public void BetaZeroIgnoresNaNInC(string kernel)
    {
        var kind = Enum.Parse<SgemmKernelKind>(kernel);
        int m = 37, n = 45, k = 300, ldc = n + 3;
        var rng = new Random(5);
        float[] a = Fill(rng, m * k), b = Fill(rng, k * n);
        var c = new float[m * ldc];
        Array.Fill(c, float.NaN);
        Gemm.Dispatch(false, false, m, n, k, 1f, a, k, b, n, 0f, c, ldc, kind, 2);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                Assert.False(float.IsNaN(c[i * ldc + j]), $"C[{i},{j}] is NaN: beta = 0 must not read C.");
    }

    [Fact]
    public void AlphaZeroOrEmptyKScalesCWithoutReadingAOrB()
    {
        float[] c = [1f, 2f, 3f, 4f];
        float[] a = [float.NaN, float.NaN], b = [float.NaN, float.NaN];
        Gemm.Multiply(false, false, 2, 2, 1, 0f, a, 1, b, 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
        Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 0, [], 2, 0f, c, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void FloatResultsAreBitIdenticalForOneAndSeveralThreads()
    {
        var rng = new Random(99);
        foreach (var kind in new[] { Sgemm.BestKernel, SgemmKernelKind.Portable })
        {
            for (int combo = 0; combo < 4; combo++)
            {
                bool transA = (combo & 1) != 0, transB = (combo & 2) != 0;
                int m = 203, n = 150, k = 517;
                var (parts2Rows, parts2Cols) = kind == SgemmKernelKind.Portable ? (2, 1) : Sgemm.PartitionFor(m, n, k, kind, 2);
                Assert.True(parts2Rows * parts2Cols == 2, "The test shape must actually be split across two threads.");
                float[] a = Fill(rng, m * k), b = Fill(rng, k * n), c0 = Fill(rng, m * n);
                float[] c1 = (float[])c0.Clone(), c2 = (float[])c0.Clone(), c3 = (float[])c0.Clone();
                int lda = transA ? m : k, ldb = transB ? k : n;
                Gemm.Dispatch(transA, transB, m, n, k, 0.9f, a, lda, b, ldb, 0.4f, c1, n, kind, 1);
                Gemm.Dispatch(transA, transB, m, n, k, 0.9f, a, lda, b, ldb, 0.4f, c2, n, kind, 2);
                Gemm.Dispatch(transA, transB, m, n, k, 0.9f, a, lda, b, ldb, 0.4f, c3, n, kind, 3);
                Assert.Equal(c1, c2);
                Assert.Equal(c1, c3);
            }
        }
    }

    [Fact]
    public void SingleThreadedFloatCallsDoNotAllocateInSteadyState()
    {
        if (Sgemm.BestKernel == SgemmKernelKind.Portable) return; // no SIMD float kernel on this CPU (xunit 2 has no dynamic skip)
        int m = 50, n = 70, k = 300;
        var rng = new Random(4);
        float[] a = Fill(rng, m * k), b = Fill(rng, k * n), c = new float[m * n];
        for (int i = 0; i < 3; i++) Gemm.Dispatch(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n, Sgemm.BestKernel, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Gemm.Dispatch(false, true, m, n, k, 1f, a, k, b, k, 0.5f, c, n, Sgemm.BestKernel, 1);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void PartitionSplitsTrainingShapesAcrossThreads()
    {
        var kind = Sgemm.BestKernel == SgemmKernelKind.Portable ? SgemmKernelKind.Avx2 : Sgemm.BestKernel;
        var (r, c) = Sgemm.PartitionFor(128, 256, 784, kind, 2);
        Assert.Equal(2, r * c);
        Assert.Equal((1, 1), Sgemm.PartitionFor(8, 8, 8, kind, 2)); // tiny problems stay single-threaded
    }

    [Fact]
    public void DoubleMatchesReferenceTightly()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 40; trial++)
        {
            int m = rng.Next(1, 50), n = rng.Next(1, 50), k = rng.Next(1, 300);
            bool transA = (trial & 1) != 0, transB = (trial & 2) != 0;
            double alpha = trial % 3 == 0 ? 1.0 : -0.37, beta = trial % 4 == 0 ? 0.0 : 0.6;
            int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
            double[] a = FillD(rng, (transA ? k : m) * lda), b = FillD(rng, (transB ? n : k) * ldb), c = FillD(rng, m * ldc);
            double[] expected = (double[])c.Clone();
            Gemm.Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
            Gemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            for (int i = 0; i < c.Length; i++)
                Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])),
                    $"double GEMM differs at {i}: {c[i]} vs {expected[i]} (m={m} n={n} k={k} tA={transA} tB={transB})");
        }
    }

    [Fact]
    public void RejectsTooShortBuffersWithClearMessage()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
        Assert.Contains("A has 15 elements", ex.Message);
    }

    private static void RunFloatCase(SgemmKernelKind kind, Random rng, bool transA, bool transB, int m, int n, int k,
        float alpha, float beta, int threads)
    {
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + rng.Next(0, 5), ldb = bCols + rng.Next(0, 5), ldc = n + 1 + rng.Next(0, 4);
        float[] a = Fill(rng, aRows * lda), b = Fill(rng, bRows * ldb), c = Fill(rng, m * ldc);
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) c[i * ldc + j] = Sentinel;
        if (beta == 0f) for (int i = 0; i < m; i++) Array.Fill(c, float.NaN, i * ldc, n);

        double[] ad = ToDouble(a), bd = ToDouble(b), cd = ToDouble(c);
        if (beta == 0f) Array.Clear(cd); // Reference multiplies beta·C; NaN·0 would poison it
        Gemm.Reference(transA, transB, m, n, k, alpha, ad, lda, bd, ldb, beta, cd, ldc);
        // Error bound scale: |alpha|·Σ|a||b| + |beta·c|, computed with absolute values.
        double[] absA = Abs(ad), absB = Abs(bd), scale = beta == 0f ? new double[cd.Length] : Abs(ToDouble(c));
        Gemm.Reference(transA, transB, m, n, k, Math.Abs(alpha), absA, lda, absB, ldb, Math.Abs(beta), scale, ldc);

        Gemm.Dispatch(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, kind, threads);

        double tol = 4e-7 * (Math.Sqrt(k) + 4);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int idx = i * ldc + j;
                if (j >= n)
                {
                    Assert.True(c[idx] == Sentinel, $"{kind}: padding C[{i},{j}] was overwritten (m={m} n={n} k={k} ldc={ldc}).");
                    continue;
                }
                double err = Math.Abs(c[idx] - cd[idx]);
                Assert.True(err <= tol * scale[idx] + 1e-30,
                    $"{kind}: C[{i},{j}] = {c[idx]} but reference {cd[idx]} (m={m} n={n} k={k} tA={transA} tB={transB} alpha={alpha} beta={beta} threads={threads})");
            }
        }
    }

    private static float[] Fill(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static double[] FillD(Random rng, int count)
    {
        var x = new double[count];
        for (int i = 0; i < count; i++) x[i] = rng.NextDouble() * 2 - 1;
        return x;
    }

    private static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    private static double[] Abs(double[] x) => Array.ConvertAll(x, Math.Abs);
}
