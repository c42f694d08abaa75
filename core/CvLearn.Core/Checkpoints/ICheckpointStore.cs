namespace CvLearn.Core.Checkpoints;

/// <summary>One object in a checkpoint store.</summary>
/// <param name="Key">'/'-separated key relative to the store root.</param>
/// <param name="Size">Content length in bytes.</param>
/// <param name="LastModified">Last write time (UTC).</param>
/// <param name="Metadata">User metadata given to PutAsync, when the store keeps it.</param>
public sealed record StoredObject(string Key, long Size, DateTimeOffset LastModified, IReadOnlyDictionary<string, string>? Metadata);

/// <summary>
/// Shared storage for checkpoints: a local or network file system (<see cref="FileSystemCheckpointStore"/>) or Azure
/// Blob Storage (CvLearn.Storage.Azure, registered through <see cref="StorageLocation.RegisterScheme"/>). Keys are validated by
/// <see cref="CheckpointKey.TryGetStorageKeyError"/>. Implementations must be safe for concurrent use from several
/// threads and processes, and every Put must be atomic: a reader sees the complete old content, the complete new
/// content, or nothing — never a partial object.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Human-readable location for logs, without secrets ("file:///srv/ckpt/", "azblob://account/container/prefix/ at https://…").</summary>
    string Describe { get; }

    /// <summary>Stores (or replaces) <paramref name="key"/> with the rest of <paramref name="content"/>, atomically.</summary>
    Task PutAsync(string key, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct);

    /// <summary>Opens the content for reading; the caller disposes the stream.</summary>
    /// <exception cref="CheckpointNotFoundException">No object has this key.</exception>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>All objects whose key starts with <paramref name="prefix"/> (plain string prefix; "" lists everything), in ordinal key order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Deletes the object; deleting a missing key is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct);

    Task<bool> ExistsAsync(string key, CancellationToken ct);
}

/// <summary>A key was read that the store does not hold.</summary>
public sealed class CheckpointNotFoundException : FileNotFoundException
{
    public CheckpointNotFoundException() { }

    public CheckpointNotFoundException(string message) : base(message) { }

    public CheckpointNotFoundException(string message, Exception inner) : base(message, inner) { }

    public CheckpointNotFoundException(string key, string storeDescription, Exception? inner = null)
        : base($"Checkpoint '{key}' does not exist in {storeDescription}.", inner)
    {
        Key = key;
    }

    public string? Key { get; }
}
