using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace CvLearn.Core.Tensors;

/// <summary>Which float micro-kernel the GEMM uses.</summary>
internal enum SgemmKernelKind
{
    /// <summary>No x86 SIMD kernel: use the portable <see cref="GemmGeneric"/> path.</summary>
    Portable,
    /// <summary>6×16 AVX2+FMA kernel.</summary>
    Avx2,
    /// <summary>12×32 AVX-512F kernel.</summary>
    Avx512,
}

/// <summary>
/// BLAS-style float GEMM driver (Goto/BLIS structure): loops over NC-wide column blocks of C, KC-deep slices of
/// K (B slice packed once, kept in L3/L2), MC-high row blocks (A block packed, kept in L2), then MR×NR register
/// tiles computed by one micro-kernel from the packed panels.
/// Threads split C into disjoint rectangles of whole tiles and never split K; K slices have fixed boundaries that
/// depend only on k, and edge tiles use the same kernel arithmetic as full tiles. So every element of C sees the
/// same sequence of floating-point operations for any thread count: results are bit-identical for 1..N threads.
/// </summary>
internal static unsafe class Sgemm
{
    /// <summary>Depth of one K slice; kc·NR floats of packed B (32 KB for AVX-512) fit in L1.</summary>
    private const int KC = 256;
    /// <summary>Width of one column block; its packed B slice (kc × NC) stays in L2/L3.</summary>
    private const int NC = 3072;
    /// <summary>
    /// Each thread gets at least this much m·n·k (≈ 2 MFLOP, ~10-20 µs of work); below it the fork/join cost of
    /// another thread (worse on a loaded machine) outweighs the gain. Measured with `CvLearn.Benchmarks gemm-small`:
    /// 2 threads lost up to 96³ and won from 128³ on a shared 2-core Zen 5.
    /// </summary>
    internal const long MinWorkPerThread = 1L << 20;

    /// <summary>
    /// The kernel <see cref="Gemm.Multiply"/> uses for float: the best this CPU supports, or a slower one named by
    /// the environment variable CVLEARN_SGEMM_KERNEL (avx512 | avx2 | portable) to benchmark or rule out a path.
    /// </summary>
    public static SgemmKernelKind BestKernel { get; } = ChooseKernel(Environment.GetEnvironmentVariable("CVLEARN_SGEMM_KERNEL"));

    private static SgemmKernelKind ChooseKernel(string? requested)
    {
        var best = Avx512F.IsSupported ? SgemmKernelKind.Avx512
            : Avx2.IsSupported && Fma.IsSupported ? SgemmKernelKind.Avx2
            : SgemmKernelKind.Portable;
        if (string.IsNullOrEmpty(requested)) return best;
        if (!Enum.TryParse(requested, ignoreCase: true, out SgemmKernelKind kind) || !Enum.IsDefined(kind))
            throw new InvalidOperationException($"CVLEARN_SGEMM_KERNEL='{requested}' is not one of avx512, avx2, portable; unset it to use the best kernel.");
        // Only allow stepping down: a kernel the CPU lacks would fault.
        return kind <= best ? kind : best;
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with the given SIMD kernel (not Portable) and at most
    /// <paramref name="threads"/> threads. Arguments must already be validated; m, n, k ≥ 1.
    /// beta = 0 never reads C.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        SgemmKernelKind kind, int threads)
    {
        if (kind == SgemmKernelKind.Portable) throw new ArgumentException("Sgemm needs a SIMD kernel; use GemmGeneric for the portable path.", nameof(kind));
        if (kind == SgemmKernelKind.Avx512 && !Avx512F.IsSupported) throw new PlatformNotSupportedException("AVX-512F kernel requested on a CPU without AVX-512F.");
        if (kind == SgemmKernelKind.Avx2 && !(Avx2.IsSupported && Fma.IsSupported)) throw new PlatformNotSupportedException("AVX2 kernel requested on a CPU without AVX2+FMA.");

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            // Reuse this thread's job object so steady-state single-threaded calls allocate nothing. A nested call
            // on the same thread (a task inlined while waiting) finds it in use and takes a fresh one.
            var job = _cachedJob is { InUse: false } cached ? cached : new Job();
            _cachedJob ??= job;
            job.InUse = true;
            try
            {
                job.Set(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, kind);
                job.Partition(ThreadsFor(m, n, k, threads));
                if (job.Count == 1) job.Run(0);
                // The allocation-free pool when free; Parallel.For when another GEMM (other thread, nested call) has it.
                else if (!(UsePool && ForkJoinPool.TryRun(job.RunDelegate, job.Count)))
                    Parallel.For(0, job.Count, new ParallelOptions { MaxDegreeOfParallelism = job.Count }, job.RunDelegate);
            }
            finally
            {
                job.InUse = false;
            }
        }
    }

    [ThreadStatic] private static Job? _cachedJob;

    /// <summary>CVLEARN_GEMM_POOL=0 falls back to Parallel.For for every threaded call (to benchmark the pool).</summary>
    private static readonly bool UsePool = Environment.GetEnvironmentVariable("CVLEARN_GEMM_POOL") != "0";

    private static int ThreadsFor(int m, int n, int k, int threads) =>
        (int)Math.Clamp((long)m * n * k / MinWorkPerThread, 1, Math.Max(1, threads));

    /// <summary>The rowParts × colParts split of C that <see cref="Multiply"/> would use (for tests).</summary>
    internal static (int RowParts, int ColParts) PartitionFor(int m, int n, int k, SgemmKernelKind kind, int threads)
    {
        var job = new Job();
        job.Set(false, false, m, n, k, 1f, null, 0, null, 0, 0f, null, 0, kind);
        job.Partition(ThreadsFor(m, n, k, threads));
        return (job.RowParts, job.ColParts);
    }

    /// <summary>One GEMM call: arguments, tile geometry and the split of C into per-thread rectangles.</summary>
    private sealed class Job
    {
        private bool transA, transB;
        private int m, n, k;
        private float alpha, beta;
        private float* a, b, c;
        private nint lda, ldb, ldc;
        private SgemmKernelKind kind;
        private int _mr, _nr, _mc;
        private int _rowParts = 1, _colParts = 1;

        public Job() => RunDelegate = Run;

        /// <summary>Cached delegate to <see cref="Run"/> for Parallel.For.</summary>
        public Action<int> RunDelegate { get; }

        public bool InUse { get; set; }

        public void Set(bool transA, bool transB, int m, int n, int k, float alpha,
            float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, SgemmKernelKind kind)
        {
            (this.transA, this.transB, this.m, this.n, this.k, this.alpha, this.beta) = (transA, transB, m, n, k, alpha, beta);
            this.a = a;
            this.b = b;
            this.c = c;
            (this.lda, this.ldb, this.ldc, this.kind) = (lda, ldb, ldc, kind);
            bool avx512 = kind == SgemmKernelKind.Avx512;
            _mr = avx512 ? SgemmKernels.Avx512Mr : SgemmKernels.Avx2Mr;
            _nr = avx512 ? SgemmKernels.Avx512Nr : SgemmKernels.Avx2Nr;
            // MC: rows of A packed at once; mc·KC floats (≈ 192 KB / 120 KB) stay in L2 while B panels stream by.
            _mc = avx512 ? 16 * SgemmKernels.Avx512Mr : 20 * SgemmKernels.Avx2Mr;
            _rowParts = _colParts = 1;
        }

        public int Count => _rowParts * _colParts;
        public int RowParts => _rowParts;
        public int ColParts => _colParts;

        /// <summary>
        /// Chooses a rowParts × colParts grid (product ≤ threads) minimising a per-thread cost model:
        /// tiles computed (mr·nr/16 "units" per tile and k step, roughly cycles at FMA throughput) plus elements
        /// packed (1 unit each).
        /// Splitting rows makes every thread pack all of B; splitting columns makes every thread pack all of A.
        /// </summary>
        public void Partition(int threads)
        {
            long mt = (m + _mr - 1) / _mr, nt = (n + _nr - 1) / _nr;
            double best = double.MaxValue;
            for (int rp = 1; rp <= threads && rp <= mt; rp++)
            {
                for (int cp = 1; rp * cp <= threads && cp <= nt; cp++)
                {
                    long tilesM = (mt + rp - 1) / rp, tilesN = (nt + cp - 1) / cp;
                    double compute = (double)tilesM * tilesN * _mr * _nr / 16.0;
                    double pack = tilesM * _mr + tilesN * _nr;
                    double cost = (compute + pack) * k;
                    if (cost < best * 0.999)
                    {
                        best = cost;
                        _rowParts = rp;
                        _colParts = cp;
                    }
                }
            }
        }

        /// <summary>Computes rectangle <paramref name="part"/> of C (whole tiles, full K).</summary>
        public void Run(int part)
        {
            int rp = part / _colParts, cp = part % _colParts;
            int mt = (m + _mr - 1) / _mr, nt = (n + _nr - 1) / _nr;
            int r0 = Split(mt, _rowParts, rp) * _mr, r1 = Math.Min(m, Split(mt, _rowParts, rp + 1) * _mr);
            int c0 = Split(nt, _colParts, cp) * _nr, c1 = Math.Min(n, Split(nt, _colParts, cp + 1) * _nr);
            if (r0 < r1 && c0 < c1) RunBlock(r0, r1, c0, c1);
        }

        private static int Split(int tiles, int parts, int index) => (int)((long)tiles * index / parts);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunBlock(int r0, int r1, int c0, int c1)
        {
            int mr = _mr, nr = _nr;
            // K slices depend on k only (never on the thread split), keeping the reduction order fixed.
            int kSlices = (k + KC - 1) / KC;
            int kcMax = (k + kSlices - 1) / kSlices;
            int ncMax = Math.Min(NC, RoundUp(c1 - c0, nr));
            // Equal-sized row blocks (e.g. 128 rows → 2×64, not 120 + 8) so no block is a sliver of edge tiles.
            int mBlocks = (r1 - r0 + _mc - 1) / _mc;
            int mcMax = RoundUp((r1 - r0 + mBlocks - 1) / mBlocks, mr);
            var scratch = SgemmScratch.Current;
            float* packedB = scratch.B((nuint)kcMax * (nuint)ncMax);
            float* packedA = scratch.A((nuint)kcMax * (nuint)mcMax);
            float* edge = stackalloc float[SgemmKernels.Avx512Mr * SgemmKernels.Avx512Nr];
            bool avx512 = kind == SgemmKernelKind.Avx512;

            for (int jc = c0; jc < c1; jc += NC)
            {
                int nc = Math.Min(NC, c1 - jc);
                for (int p0 = 0; p0 < k; p0 += kcMax)
                {
                    int kc = Math.Min(kcMax, k - p0);
                    SgemmPacking.PackB(transB, b, ldb, p0, kc, jc, nc, nr, packedB);
                    // The first K slice applies the caller's beta; later slices accumulate onto it.
                    bool first = p0 == 0;
                    float sliceBeta = first ? beta : 1f;
                    bool betaZero = first && beta == 0f;
                    for (int ic = r0; ic < r1; ic += mcMax)
                    {
                        int mc = Math.Min(mcMax, r1 - ic);
                        SgemmPacking.PackA(transA, a, lda, ic, mc, p0, kc, mr, packedA);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            float* bp = packedB + (nint)jr * kc;
                            for (int ir = 0; ir < mc; ir += mr)
                            {
                                int rows = Math.Min(mr, mc - ir);
                                float* ap = packedA + (nint)ir * kc;
                                float* cp = c + (ic + ir) * ldc + jc + jr;
                                if (rows == mr && cols == nr)
                                {
                                    Kernel(avx512, kc, ap, bp, cp, ldc, alpha, sliceBeta, betaZero);
                                }
                                else
                                {
                                    // Partial tile: compute the full padded tile into scratch (alpha = 1 is exact),
                                    // then merge with the same rounding steps the kernel's own store would use.
                                    Kernel(avx512, kc, ap, bp, edge, nr, 1f, 0f, true);
                                    MergeEdge(edge, nr, rows, cols, cp, ldc, alpha, sliceBeta, betaZero);
                                }
                            }
                        }
                    }
                }
            }
        }

        private static void Kernel(bool avx512, int kc, float* ap, float* bp, float* cp, nint ldc, float alpha, float beta, bool betaZero)
        {
            if (avx512) SgemmKernels.Avx512Kernel(kc, ap, bp, cp, ldc, alpha, beta, betaZero);
            else SgemmKernels.Avx2Kernel(kc, ap, bp, cp, ldc, alpha, beta, betaZero);
        }

        private static void MergeEdge(float* tile, int nr, int rows, int cols, float* cp, nint ldc, float alpha, float beta, bool betaZero)
        {
            for (int r = 0; r < rows; r++)
            {
                float* t = tile + r * nr;
                float* d = cp + r * ldc;
                if (betaZero)
                {
                    for (int j = 0; j < cols; j++) d[j] = t[j] * alpha;
                }
                else
                {
                    // Same as the kernel: fma(acc, alpha, c·beta) with a single rounding.
                    for (int j = 0; j < cols; j++) d[j] = MathF.FusedMultiplyAdd(t[j], alpha, d[j] * beta);
                }
            }
        }

        private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
    }
}
