using System.Collections.Concurrent;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// Turns a command-line storage location into a store: a plain directory path or file:///abs/dir gives a
/// <see cref="FileSystemCheckpointStore"/>; other schemes come from <see cref="RegisterScheme"/> (the extension point
/// through which the Azure Blob store of CvLearn.Storage.Azure plugs in — azblob://container/prefix and https SAS URLs —
/// without this assembly referencing Azure; hosts call <c>AzureStorage.Register()</c> at start-up).
/// </summary>
public static class StorageLocation
{
    private static readonly ConcurrentDictionary<string, Func<Uri, ICheckpointStore>> Schemes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers a factory for <paramref name="scheme"/> (e.g. "azblob"); replaces an earlier registration.</summary>
    public static void RegisterScheme(string scheme, Func<Uri, ICheckpointStore> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        if (scheme.Equals("file", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException("The file scheme is built in.");
        Schemes[scheme] = factory;
    }

    /// <summary>Schemes accepted by <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> SupportedSchemes => ["file", .. Schemes.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Parses "DIR", "./relative/dir", "/abs/dir", "file:///abs/dir" or a registered "scheme://…".</summary>
    /// <exception cref="ArgumentException">Empty location, malformed URI, or unknown scheme (the message lists supported ones).</exception>
    public static ICheckpointStore Parse(string location)
    {
        if (string.IsNullOrWhiteSpace(location)) throw new ArgumentException("Storage location is empty; give a directory or file:///abs/dir.", nameof(location));
        int sep = location.IndexOf("://", StringComparison.Ordinal);
        if (sep < 0) return new FileSystemCheckpointStore(location);

        string scheme = location[..sep];
        if (!Uri.TryCreate(location, UriKind.Absolute, out Uri? uri))
            throw new ArgumentException($"Storage location '{location}' is not a valid URI.", nameof(location));
        if (scheme.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            if (!string.IsNullOrEmpty(uri.Host) && !uri.IsLoopback)
                throw new ArgumentException($"file:// locations must be local (file:///abs/dir); '{location}' names host '{uri.Host}'. Mount the share and use its path.", nameof(location));
            return new FileSystemCheckpointStore(uri.LocalPath);
        }
        if (Schemes.TryGetValue(scheme, out var factory)) return factory(uri);
        bool azure = scheme.ToLowerInvariant() is "azblob" or "https" or "http";
        string coming = azure && !Schemes.ContainsKey("azblob")
            ? " Azure Blob Storage (azblob://CONTAINER/PREFIX or an https SAS URL) is provided by CvLearn.Storage.Azure: this host did not call AzureStorage.Register() at start-up."
            : Schemes.ContainsKey("azblob") ? "" : " (Azure Blob Storage, azblob://, needs a host that calls AzureStorage.Register().)";
        throw new ArgumentException(
            $"Unsupported storage scheme '{scheme}' in '{location}'. Supported: a directory path, {string.Join(", ", SupportedSchemes.Select(s => s + "://"))}.{coming}",
            nameof(location));
    }
}
