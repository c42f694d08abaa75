namespace CvLearn.Core.Tensors;

/// <summary>
/// A tiny fork/join pool for the float GEMM: runs parts 0..count-1 of one body on the calling thread plus up to
/// count-1 dedicated background threads, allocating nothing per call (Parallel.For allocates its options, tasks
/// and closures on every call — hundreds of KB per minibatch for a ConvNet that issues a GEMM per image).
/// One caller at a time: while the pool is busy (another thread's GEMM, a nested call) <see cref="TryRun"/>
/// returns false and the caller uses another path. Which thread runs which part never affects the results
/// (each part writes its own rectangle of C), so falling back changes nothing but speed.
/// </summary>
internal static class ForkJoinPool
{
    private static readonly Lock Gate = new();
    private static readonly ManualResetEventSlim Done = new(false, spinCount: 200);
    private static Worker[] _workers = [];
    private static int _busy;          // 1 while a caller owns the pool
    private static Action<int>? _body;
    private static int _count;         // parts of the current call
    private static int _next;          // next part to claim
    private static int _pending;       // parts not yet finished + workers not yet out of Work()
    private static Exception? _error;

    /// <summary>
    /// Runs <paramref name="body"/>(0..count-1) in parallel and returns true, or returns false without running
    /// anything when the pool is in use. Exceptions of the body are rethrown on the calling thread.
    /// </summary>
    public static bool TryRun(Action<int> body, int count)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "Use the pool for two parts or more.");
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            int helpers = count - 1;
            EnsureWorkers(helpers);
            _body = body;
            _count = count;
            _error = null;
            Done.Reset();
            // Every part, plus every helper's exit from Work(): the call ends only when no helper still looks at
            // this call's state, so the next call can reuse the fields safely.
            Volatile.Write(ref _pending, count + helpers);
            Volatile.Write(ref _next, 0);
            for (int i = 0; i < helpers; i++) _workers[i].Wake();
            Work(isHelper: false);
            Done.Wait();
            _body = null;
            if (_error is { } e) throw new AggregateException("A GEMM part failed.", e);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void Work(bool isHelper)
    {
        var body = _body!;
        int count = _count;
        int part;
        while ((part = Interlocked.Increment(ref _next) - 1) < count)
        {
            try { body(part); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            Finish();
        }
        if (isHelper) Finish();
    }

    private static void Finish()
    {
        if (Interlocked.Decrement(ref _pending) == 0) Done.Set();
    }

    private static void EnsureWorkers(int helpers)
    {
        if (_workers.Length >= helpers) return;
        lock (Gate)
        {
            if (_workers.Length >= helpers) return;
            var grown = new Worker[helpers];
            Array.Copy(_workers, grown, _workers.Length);
            for (int i = _workers.Length; i < helpers; i++) grown[i] = new Worker(i);
            _workers = grown;
        }
    }

#pragma warning disable CA1001 // the workers and their semaphores live as long as the process
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"cvlearn-gemm-{index + 1}" };
            thread.Start();
        }

        public void Wake() => _wake.Release();

        private void Loop()
        {
            while (true)
            {
                _wake.Wait();
                Work(isHelper: true);
            }
        }
    }
#pragma warning restore CA1001
}
