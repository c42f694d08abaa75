namespace CvLearn.Core.Training;

/// <summary>
/// Arrays that <see cref="TrainingCheckpoint.Capture"/> copies a run into, reused from epoch to epoch (and from run
/// to run of the same model) instead of allocated. A checkpoint of fc:512-256 holds ~10 MB of parameters, weight
/// average and Adam moments; in a VM, fresh memory costs ~3 ms per MB on first touch, spent in the kernel, and with
/// several workers on a machine that time is taken from the others' training.
/// Two sets alternate, so one checkpoint can still be serialized while the next is captured: a checkpoint captured
/// with these buffers stays valid until the capture after the next one. Not thread-safe: one run captures at a time.
/// </summary>
public sealed class CaptureBuffers
{
    private readonly Dictionary<string, Entry>[] _sets = [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly List<string> _stale = new();
    private int _current;
    private long _captures;

    /// <summary>Starts a capture in the set the previous capture did not use, dropping arrays that set's last capture did not ask for (another model's).</summary>
    internal void BeginCapture()
    {
        long capture = _captures++;
        _current = (int)(capture & 1);
        var set = _sets[_current];
        _stale.Clear();
        foreach (var (key, entry) in set)
            if (entry.LastUse < capture - 2) _stale.Add(key);
        foreach (var key in _stale) set.Remove(key);
    }

    /// <summary>An array of exactly <paramref name="length"/> floats for <paramref name="key"/> in the current set; its contents are stale (the caller overwrites them).</summary>
    internal float[] Get(string key, int length)
    {
        var set = _sets[_current];
        if (set.TryGetValue(key, out var entry) && entry.LastUse == _captures - 1)
            throw new InvalidOperationException($"Capture buffer '{key}' was asked for twice in one capture; each array of a checkpoint needs its own key.");
        if (entry.Array is null || entry.Array.Length != length)
            entry = new Entry(GC.AllocateUninitializedArray<float>(length), 0);
        set[key] = entry with { LastUse = _captures - 1 };
        return entry.Array;
    }

    private readonly record struct Entry(float[] Array, long LastUse);
}
