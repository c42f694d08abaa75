using System.Diagnostics;
using System.Globalization;
using CvLearn.Benchmarks;
using CvLearn.Core.Tensors;

// Usage: CvLearn.Benchmarks gemm [threads] [seconds-per-shape]
//        CvLearn.Benchmarks gemm-small [threads] [seconds-per-shape]
// Prints "name GFLOP/s" per shape (best of several timed batches; the machine may be shared, so best-of is the
// least noisy estimate of what the code can do). gemm-small runs cubes around the single-thread threshold, to
// tune Sgemm.ParallelThreshold by comparing a 1-thread and an N-thread run.
//        CvLearn.Benchmarks crc
// crc: CRC-32 of an 8.5 MB checkpoint-sized buffer, folding (PCLMULQDQ) against the table path, best of several runs.
//        CvLearn.Benchmarks fused-step [RULE...]
// fused-step: each update rule's step (default: all of them) with the L2 penalty gradient and the weight average,
// three passes against the fused one.
if (args.Length > 0 && args[0] == "crc") return CrcBench.Run();
if (args.Length > 0 && args[0] == "fused-step") return FusedStepBench.Run(args[1..]);
if (args.Length == 0 || (args[0] != "gemm" && args[0] != "gemm-small"))
{
    Console.Error.WriteLine("usage: CvLearn.Benchmarks gemm|gemm-small [threads] [seconds-per-shape] | crc | fused-step [RULE...]");
    return 2;
}
int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 1.0;
Engine.Threads = threads;

foreach (var (name, transA, transB, m, n, k) in args[0] == "gemm" ? GemmShapes.All : GemmShapes.Small)
{
    var rng = new Random(42);
    var a = new float[m * k];
    var b = new float[k * n];
    var c = new float[m * n];
    for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
    for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
    int lda = transA ? m : k, ldb = transB ? k : n;
    double flops = 2.0 * m * n * k;

    void Run() => Gemm.Multiply(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);

    // Warm up (tiered JIT reaches the optimised kernel) and size a batch to ~50 ms.
    var sw = Stopwatch.StartNew();
    int calls = 0;
    while (sw.Elapsed.TotalSeconds < 0.3 || calls < 3) { Run(); calls++; }
    int batch = Math.Max(1, (int)(calls * 0.05 / sw.Elapsed.TotalSeconds));

    double best = double.MaxValue;
    var total = Stopwatch.StartNew();
    while (total.Elapsed.TotalSeconds < seconds)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++) Run();
        double perCall = Stopwatch.GetElapsedTime(t0).TotalSeconds / batch;
        best = Math.Min(best, perCall);
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {flops / best / 1e9:F1}"));
}
return 0;
