using System.Runtime.CompilerServices;
using System.Text.Json;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// <see cref="ICheckpointStore"/> on a directory (local disk or a shared network file system such as NFS).
/// Key "a/b/c.ckpt" is the file ROOT/a/b/c.ckpt. Put writes ".tmp-&lt;guid&gt;" in the target directory, fsyncs it and
/// renames it over the target, so other processes see whole files only; dot-files are never listed, so temp files of
/// writes in progress (or of crashed writers) stay invisible.
/// Metadata is kept in a sidecar file ".&lt;name&gt;.meta.json" next to the object, written (atomically) before the
/// content; metadata and content are therefore each atomic but not atomic together (during an overwrite a lister can
/// briefly see the new metadata with the old content).
/// A delete also removes the directories it leaves empty (up to the root, never the root): the store holds objects,
/// not directories, and a long search would otherwise leave an empty trial-NNNN/ behind for every trial whose
/// checkpoints retention deleted.
/// </summary>
public sealed class FileSystemCheckpointStore : ICheckpointStore
{
    private readonly string _root;

    public FileSystemCheckpointStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
    }

    /// <summary>Absolute root directory.</summary>
    public string RootDirectory => _root;

    public string Describe => new Uri(_root + Path.DirectorySeparatorChar).AbsoluteUri;

    /// <summary>The file path of <paramref name="key"/> (validated, guaranteed inside the root).</summary>
    public string PathOf(string key)
    {
        CheckpointKey.ValidateStorageKey(key);
        string path = Path.GetFullPath(Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar)));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Storage key '{key}' resolves outside the store root {_root}.", nameof(key));
        return path;
    }

    private static string SidecarOf(string path) => Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".meta.json");

    public async Task PutAsync(string key, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        string path = PathOf(key);
        string sidecar = SidecarOf(path);
        if (metadata is not null)
            await AtomicFile.WriteAllBytesAsync(sidecar, JsonSerializer.SerializeToUtf8Bytes(metadata), ct).ConfigureAwait(false);
        await AtomicFile.WriteAsync(path, (s, c) => content.CopyToAsync(s, c), ct).ConfigureAwait(false);
        if (metadata is null) DeleteIfExists(sidecar);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        string path = PathOf(key);
        ct.ThrowIfCancellationRequested();
        try
        {
            // FileShare.Delete: an open reader must not block retention deleting (or a writer renaming over) the file.
            Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult(s);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointNotFoundException(key, Describe, ex);
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Contains('\\') || prefix.StartsWith('/') || prefix.Split('/').Contains(".."))
            throw new ArgumentException($"List prefix '{prefix}' must be relative, '/'-separated and without '..'.", nameof(prefix));
        // Only the directory named by the prefix up to its last '/' can hold matches.
        int slash = prefix.LastIndexOf('/');
        string baseDir = slash < 0 ? _root : Path.Combine(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(baseDir)) yield break;

        var found = new List<(string Key, FileInfo Info)>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        try
        {
            foreach (string file in Directory.EnumerateFiles(baseDir, "*", options))
            {
                ct.ThrowIfCancellationRequested();
                string key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (!key.StartsWith(prefix, StringComparison.Ordinal) || HasDotSegment(key)) continue;
                found.Add((key, new FileInfo(file)));
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The last object under it was deleted (and its directory with it) since Directory.Exists: nothing to list.
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (key, info) in found)
        {
            long size;
            DateTimeOffset modified;
            try
            {
                info.Refresh();
                if (!info.Exists) continue;   // deleted since enumeration
                size = info.Length;
                modified = info.LastWriteTimeUtc;
            }
            catch (IOException) { continue; }
            yield return new StoredObject(key, size, modified, await ReadMetadataAsync(info.FullName, ct).ConfigureAwait(false));
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        string path = PathOf(key);
        ct.ThrowIfCancellationRequested();
        DeleteIfExists(path);
        DeleteIfExists(SidecarOf(path));
        PruneEmptyDirectories(Path.GetDirectoryName(path));
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        string path = PathOf(key);
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(path));
    }

    public override string ToString() => Describe;

    private static bool HasDotSegment(string key)
    {
        foreach (string segment in key.Split('/'))
            if (segment.Length > 0 && segment[0] == '.') return true;
        return false;
    }

    private static async Task<IReadOnlyDictionary<string, string>?> ReadMetadataAsync(string path, CancellationToken ct)
    {
        string sidecar = SidecarOf(path);
        try
        {
            await using var s = new FileStream(sidecar, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, FileOptions.Asynchronous);
            return await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(s, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;   // a damaged sidecar must not hide the checkpoint itself
        }
    }

    /// <summary>
    /// Removes <paramref name="dir"/> and then each parent below the root while it is empty. rmdir(2) refuses a directory
    /// that is not empty, so one another process is writing into (its temp file is already there) always stays; a
    /// writer that loses the race between creating the directory and creating its temp file creates it again
    /// (<see cref="AtomicFile"/>).
    /// </summary>
    private void PruneEmptyDirectories(string? dir)
    {
        while (dir is not null && dir.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            try
            {
                Directory.Delete(dir, recursive: false);
            }
            catch (DirectoryNotFoundException)
            {
                // already gone: its parent may still be empty
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // not empty (or not ours to remove): it and its parents stay
            }

            dir = Path.GetDirectoryName(dir);
        }
    }

    private static void DeleteIfExists(string path)
    {
        try { File.Delete(path); }   // File.Delete is already a no-op for a missing file
        catch (DirectoryNotFoundException) { }
    }
}
