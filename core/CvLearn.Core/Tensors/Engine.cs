namespace CvLearn.Core.Tensors;

/// <summary>
/// Process-wide compute settings. A worker runs one trial at a time, so one setting per process is enough;
/// the thread count is explicit so that several workers on one machine do not oversubscribe its cores.
/// </summary>
public static class Engine
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Maximum threads a kernel may use (default: all cores). Results do not depend on it.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Thread count must be at least 1.");
            _threads = value;
        }
    }

    /// <summary>Default thread count for one of <paramref name="localWorkers"/> workers sharing this machine.</summary>
    public static int DefaultThreadsFor(int localWorkers) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, localWorkers));
}
