using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Tensors;

public class ForkJoinPoolTests
{
    [Fact]
    public void RunsEveryPartExactlyOnceAndRefusesNestedUse()
    {
        for (int round = 0; round < 200; round++)
        {
            int count = 2 + round % 4;
            var hits = new int[count];
            bool nestedRefused = false;
            bool ran = false;
            // Another caller may hold the pool (tests run in parallel): then nothing runs and we try again.
            for (int attempt = 0; attempt < 1000 && !ran; attempt++)
            {
                ran = ForkJoinPool.TryRun(part =>
                {
                    Interlocked.Increment(ref hits[part]);
                    if (part == 0) nestedRefused = !ForkJoinPool.TryRun(_ => { }, 2);
                }, count);
                if (!ran) Thread.Yield();
            }
            Assert.True(ran, "the pool stayed busy");
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.True(nestedRefused);
        }
    }

    [Fact]
    public void ExceptionsReachTheCallerAndThePoolStaysUsable()
    {
        bool ran = false;
        for (int attempt = 0; attempt < 1000 && !ran; attempt++)
        {
            try
            {
                ran = ForkJoinPool.TryRun(part => { if (part == 1) throw new InvalidOperationException("boom"); }, 2);
                if (!ran) Thread.Yield();
            }
            catch (AggregateException e)
            {
                Assert.IsType<InvalidOperationException>(e.InnerException);
                ran = true;
            }
        }
        Assert.True(ran);
        int sum = 0;
        for (int attempt = 0; attempt < 1000 && !ForkJoinPool.TryRun(part => Interlocked.Add(ref sum, part + 1), 3); attempt++) Thread.Yield();
        Assert.Equal(6, sum);
    }

    [Fact]
    public void ConcurrentThreadedGemmsFromManyThreadsAreExact()
    {
        // Several threads issuing threaded GEMMs at once: one gets the pool, the others fall back; all must be exact.
        const int m = 160, n = 96, k = 300;
        var rng = new Random(5);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
        var expected = new float[m * n];
        Gemm.Dispatch(false, false, m, n, k, 1f, a, k, b, n, 0f, expected, n, Sgemm.BestKernel, 1);
        if (Sgemm.BestKernel == SgemmKernelKind.Portable) return; // the pool serves the SIMD path only
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            var c = new float[m * n];
            for (int rep = 0; rep < 20; rep++)
            {
                Gemm.Dispatch(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, Sgemm.BestKernel, 2);
                Assert.Equal(expected, c);
            }
        });
    }

    [Fact]
    public void ThreadedGemmDoesNotAllocateInSteadyState()
    {
        if (Sgemm.BestKernel == SgemmKernelKind.Portable) return;
        const int m = 128, n = 256, k = 784; // the fc:256 forward GEMM: split across two threads
        Assert.Equal(2, Sgemm.PartitionFor(m, n, k, Sgemm.BestKernel, 2) is var (r, c) ? r * c : 0);
        float[] a = new float[m * k], b = new float[k * n], cc = new float[m * n];
        for (int i = 0; i < 3; i++) Gemm.Dispatch(false, false, m, n, k, 1f, a, k, b, n, 0f, cc, n, Sgemm.BestKernel, 2);
        // Other tests may hold the pool for a moment (then Parallel.For, which allocates, takes over): best of several.
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 50 && least > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Gemm.Dispatch(false, false, m, n, k, 1f, a, k, b, n, 0f, cc, n, Sgemm.BestKernel, 2);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
    }
}
