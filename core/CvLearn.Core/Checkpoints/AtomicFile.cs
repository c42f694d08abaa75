namespace CvLearn.Core.Checkpoints;

/// <summary>
/// All-or-nothing file replacement: content goes to a temp file in the SAME directory (so the rename cannot cross
/// file systems), is flushed and fsync'ed, then renamed over the target. rename(2) is atomic on POSIX file systems
/// (and on NFS as seen by other clients), so readers see the old file or the new one, never a mix. A failed or
/// cancelled write deletes its temp file and leaves the old file untouched.
/// Temp files are named ".tmp-&lt;guid&gt;": stores never list dot-files, so they are invisible to other processes.
/// Not done: fsync of the directory after the rename (.NET cannot open a directory handle), so after a power loss the
/// rename itself may be lost — the old file then remains, which is still consistent.
/// </summary>
public static class AtomicFile
{
    /// <summary>Prefix of temp files; names starting with a dot are reserved and never visible as checkpoints.</summary>
    public const string TempPrefix = ".tmp-";

    /// <summary>Atomically replaces <paramref name="path"/> with what <paramref name="write"/> writes to the given stream.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory.");
        string temp = Path.Combine(dir, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var fs = CreateTemp(dir, temp))
            {
                await write(fs, ct).ConfigureAwait(false);
                await fs.FlushAsync(ct).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);   // fsync: the data must be durable before the rename makes it visible
            }
            ct.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates the directory and the temp file in it. A store removes directories its deletes leave empty, so another
    /// process may remove this one between the two steps: then it is created again (the temp file, once there, keeps it).
    /// </summary>
    private static FileStream CreateTemp(string dir, string temp)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(dir);
                return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            }
            catch (IOException) when (attempt < 10)
            {
                // ENOENT, or .NET's "already exists" when mkdir met the directory and it was gone by the time it looked:
                // a real error (no space, read-only file system) comes back on every attempt and is thrown by the last.
            }
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
        => WriteAsync(path, (s, c) => s.WriteAsync(bytes, c).AsTask(), ct);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
