using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using CvLearn.Core.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace CvLearn.Storage.Azure;

/// <summary>
/// <see cref="ICheckpointStore"/> in an Azure Blob Storage container (or Azurite), over the Blob REST API with our own
/// client. Key "a/b.ckpt" is the block blob PREFIX + "a/b.ckpt". Puts are atomic by construction: a single Put Blob,
/// or Put Block for each block and one Put Block List that commits them — nothing is visible before the commit.
/// Uploads carry Content-MD5 per request (and x-ms-blob-content-md5 for the committed blob); downloads are verified
/// against the stored MD5 while streaming. Transient failures are retried (see <see cref="BlobResilience"/>).
/// </summary>
public sealed class AzureBlobCheckpointStore : ICheckpointStore, IDisposable
{
    private readonly BlobLocation _location;
    private readonly AzureBlobStoreOptions _options;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger _log;
    private readonly object _containerGate = new();
    private Task? _containerReady;

    public AzureBlobCheckpointStore(BlobLocation location, AzureBlobStoreOptions? options = null)
    {
        _location = location ?? throw new ArgumentNullException(nameof(location));
        _options = options ?? new AzureBlobStoreOptions();
        if (_options.SingleUploadThreshold < 1 || _options.BlockSize < 1) throw new ArgumentException("Upload threshold and block size must be positive.", nameof(options));
        _log = _options.Logger ?? NullLogger.Instance;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4),   // below Azurite's 5 s keep-alive: never reuse a connection the server is closing
            AutomaticDecompression = DecompressionMethods.None,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _pipeline = BlobResilience.Build(_options, _log, Describe);
    }

    /// <summary>The container, prefix and credentials this store uses.</summary>
    public BlobLocation Location => _location;

    public string Describe => _location.Describe;

    public override string ToString() => Describe;

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Start-up check: creates the container when missing (when the credentials may) and lists one blob, so that wrong
    /// credentials, a missing container or an unreachable endpoint fail now with a clear message instead of at the
    /// first checkpoint.
    /// </summary>
    /// <exception cref="AzureStorageException">The store cannot be used; the message says why and what to check.</exception>
    public async Task ValidateAsync(CancellationToken ct)
    {
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        using var response = await SendAsync(() => Request(HttpMethod.Get, ContainerUrl(("restype", "container"), ("comp", "list"), ("prefix", _location.Prefix), ("maxresults", "1"))), "List Blobs", ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "list blobs in", null, ct).ConfigureAwait(false);
        _log.LogInformation("Checkpoint store {Store} is reachable and usable.", Describe);
    }

    public async Task PutAsync(string key, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        string blob = BlobName(key);
        if (metadata is not null) BlobMetadata.Validate(metadata);
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        long start = content.CanSeek ? content.Position : -1;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await PutOnceAsync(blob, key, content, metadata, ct).ConfigureAwait(false);
                return;
            }
            catch (AzureStorageException ex) when (ex.ErrorCode == "ContainerNotFound" && attempt == 1)
            {
                // The container vanished since it was checked (deleted, or an emulator restarted without its data).
                _log.LogWarning("Container {Container} of {Store} is gone; creating it again.", _location.Container, Describe);
                lock (_containerGate) _containerReady = null;
                await EnsureContainerAsync(ct).ConfigureAwait(false);
                if (start < 0) throw;
                content.Position = start;
            }
            catch (AzureStorageException ex) when (ex.ErrorCode == "InvalidBlockList" && attempt < 12)
            {
                // Committing a block list discards the blob's other uncommitted blocks, so a concurrent writer of the
                // same key can invalidate ours. Nothing of ours became visible: upload again when the source allows.
                if (start < 0)
                    throw new AzureStorageException($"Upload of '{key}' to {Describe} lost a race with another writer of the same key (InvalidBlockList) and the source stream cannot be rewound; write it again.", ex.Status, ex.ErrorCode, ex);
                _log.LogWarning("Block list of {Key} on {Store} was invalidated by a concurrent writer; uploading again (attempt {Attempt}).", key, Describe, attempt + 1);
                content.Position = start;
                await Task.Delay(Random.Shared.Next(20, 100) * attempt, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task PutOnceAsync(string blob, string key, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        // Read up to threshold+1 bytes: if the content ends within the threshold it is one Put Blob.
        byte[] first = await ReadUpToAsync(content, _options.SingleUploadThreshold + 1, ct).ConfigureAwait(false);
        if (first.Length <= _options.SingleUploadThreshold)
        {
            byte[] md5 = Md5(first);
            using var response = await SendAsync(() =>
            {
                var r = Request(HttpMethod.Put, BlobUrl(blob), first);
                r.Content!.Headers.ContentMD5 = md5;
                r.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
                AddMetadata(r, metadata);
                return r;
            }, "Put Blob", ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, "upload", key, ct).ConfigureAwait(false);
            return;
        }

        // Block upload: ids are base64 of fixed-length strings unique to this upload, so concurrent writers of the
        // same blob never commit each other's uncommitted blocks.
        string upload = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
#pragma warning disable CA5351 // MD5 is the Blob service's Content-MD5 integrity check.
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
        int firstOffset = 0;
        while (true)
        {
            // The first blocks come from what was already read, then from the rest of the content.
            byte[] block;
            if (firstOffset < first.Length)
            {
                int len = Math.Min(_options.BlockSize, first.Length - firstOffset);
                byte[] head = first.AsSpan(firstOffset, len).ToArray();
                firstOffset += len;
                block = len == _options.BlockSize ? head : [.. head, .. await ReadUpToAsync(content, _options.BlockSize - len, ct).ConfigureAwait(false)];
            }
            else
            {
                block = await ReadUpToAsync(content, _options.BlockSize, ct).ConfigureAwait(false);
            }
            if (block.Length == 0) break;
            whole.AppendData(block);
            string id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{upload}-{ids.Count:D6}"));
            ids.Add(id);
            await PutBlockAsync(blob, key, id, block, ct).ConfigureAwait(false);
        }

        byte[] blobMd5 = whole.GetHashAndReset();
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        foreach (string id in ids) xml.Append("<Latest>").Append(id).Append("</Latest>");
        xml.Append("</BlockList>");
        byte[] body = Encoding.UTF8.GetBytes(xml.ToString());
        byte[] bodyMd5 = Md5(body);
        using (var response = await SendAsync(() =>
               {
                   var r = Request(HttpMethod.Put, BlobUrl(blob, ("comp", "blocklist")), body);
                   r.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
                   r.Content.Headers.ContentMD5 = bodyMd5;
                   r.Headers.TryAddWithoutValidation("x-ms-blob-content-md5", Convert.ToBase64String(blobMd5));
                   AddMetadata(r, metadata);
                   return r;
               }, "Put Block List", ct).ConfigureAwait(false))
            await EnsureSuccessAsync(response, "commit the blocks of", key, ct).ConfigureAwait(false);
    }

    private async Task PutBlockAsync(string blob, string key, string id, byte[] block, CancellationToken ct)
    {
        byte[] md5 = Md5(block);
        using var response = await SendAsync(() =>
        {
            var r = Request(HttpMethod.Put, BlobUrl(blob, ("comp", "block"), ("blockid", id)), block);
            r.Content!.Headers.ContentMD5 = md5;
            return r;
        }, "Put Block", ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "upload a block of", key, ct).ConfigureAwait(false);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        string blob = BlobName(key);
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        HttpResponseMessage response = await SendAsync(() => Request(HttpMethod.Get, BlobUrl(blob)), "Get Blob", ct).ConfigureAwait(false);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new CheckpointNotFoundException(key, Describe);
            await EnsureSuccessAsync(response, "download", key, ct).ConfigureAwait(false);
            byte[]? md5 = response.Content.Headers.ContentMD5;
            if (md5 is null && response.Headers.TryGetValues("x-ms-blob-content-md5", out var values))
                md5 = Convert.FromBase64String(values.First());
            Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new Md5VerifyingStream(body, response, md5, response.Content.Headers.ContentLength, $"'{key}' from {Describe}");
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Contains('\\') || prefix.StartsWith('/') || prefix.Split('/').Contains(".."))
            throw new ArgumentException($"List prefix '{prefix}' must be relative, '/'-separated and without '..'.", nameof(prefix));
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        // All pages are gathered and sorted so that the order is ordinal whatever order the service uses.
        var all = new List<StoredObject>();
        string? marker = null;
        do
        {
            var query = new List<(string, string)> { ("restype", "container"), ("comp", "list"), ("prefix", _location.Prefix + prefix), ("include", "metadata"), ("maxresults", _options.ListPageSize.ToString(CultureInfo.InvariantCulture)) };
            if (marker is not null) query.Add(("marker", marker));
            using var response = await SendAsync(() => Request(HttpMethod.Get, ContainerUrl([.. query])), "List Blobs", ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, "list", prefix, ct).ConfigureAwait(false);
            await using Stream s = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            marker = await ParseListPageAsync(s, all, ct).ConfigureAwait(false);
        }
        while (!string.IsNullOrEmpty(marker));
        all.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (StoredObject o in all) yield return o;
    }

    private async Task<string?> ParseListPageAsync(Stream xml, List<StoredObject> into, CancellationToken ct)
    {
        // One page holds at most ListPageSize entries: a DOM is small and keeps the parsing plain.
        XDocument doc = await XDocument.LoadAsync(xml, LoadOptions.None, ct).ConfigureAwait(false);
        XElement root = doc.Root ?? throw new AzureStorageException($"List Blobs on {Describe} returned an empty document.");
        foreach (XElement blob in root.Element("Blobs")?.Elements("Blob") ?? [])
        {
            XElement? nameElement = blob.Element("Name");
            if (nameElement is null) continue;
            string name = (string?)nameElement.Attribute("Encoded") == "true" ? Uri.UnescapeDataString(nameElement.Value) : nameElement.Value;
            if (!name.StartsWith(_location.Prefix, StringComparison.Ordinal)) continue;
            XElement? props = blob.Element("Properties");
            long size = long.Parse(props?.Element("Content-Length")?.Value ?? "0", CultureInfo.InvariantCulture);
            DateTimeOffset modified = props?.Element("Last-Modified")?.Value is { } lm
                ? DateTimeOffset.Parse(lm, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                : default;
            Dictionary<string, string>? meta = null;
            foreach (XElement m in blob.Element("Metadata")?.Elements() ?? [])
                (meta ??= new Dictionary<string, string>(StringComparer.Ordinal))[m.Name.LocalName] = BlobMetadata.Decode(m.Value);
            into.Add(new StoredObject(name[_location.Prefix.Length..], size, modified, meta));
        }
        string? next = root.Element("NextMarker")?.Value;
        return string.IsNullOrEmpty(next) ? null : next;
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        string blob = BlobName(key);
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        using var response = await SendAsync(() => Request(HttpMethod.Delete, BlobUrl(blob)), "Delete Blob", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return;
        await EnsureSuccessAsync(response, "delete", key, ct).ConfigureAwait(false);
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        string blob = BlobName(key);
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        using var response = await SendAsync(() => Request(HttpMethod.Head, BlobUrl(blob)), "Get Blob Properties", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, "check", key, ct).ConfigureAwait(false);
        return true;
    }

    // ---- container -------------------------------------------------------------------------------------------------

    private Task EnsureContainerAsync(CancellationToken ct)
    {
        lock (_containerGate)
        {
            if (_containerReady is { IsCompletedSuccessfully: true }) return Task.CompletedTask;
            if (_containerReady is null || _containerReady.IsFaulted || _containerReady.IsCanceled)
                _containerReady = CreateContainerAsync(ct);
            return _containerReady;
        }
    }

    private async Task CreateContainerAsync(CancellationToken ct)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Put, ContainerUrl(("restype", "container")), []), "Create Container", ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            _log.LogInformation("Created blob container {Container} for {Store}.", _location.Container, Describe);
            return;
        }
        if (response.StatusCode == HttpStatusCode.Conflict) return;   // ContainerAlreadyExists (or being deleted: later calls say so)
        string? code = ErrorCode(response);
        if (response.StatusCode == HttpStatusCode.Forbidden && !IsCredentialFailure(code))
        {
            // A container SAS cannot create containers: accept the container if it exists.
            using var probe = await SendAsync(() => Request(HttpMethod.Get, ContainerUrl(("restype", "container"), ("comp", "list"), ("maxresults", "1"))), "List Blobs", ct).ConfigureAwait(false);
            if (probe.IsSuccessStatusCode) return;
            if (probe.StatusCode == HttpStatusCode.NotFound)
                throw new AzureStorageException(
                    $"Blob container '{_location.Container}' does not exist in {Describe}, and these credentials may not create it ({code}). Create the container, or use credentials with create rights.",
                    probe.StatusCode, ErrorCode(probe));
            await EnsureSuccessAsync(probe, "use the container of", null, ct).ConfigureAwait(false);
            return;
        }
        await EnsureSuccessAsync(response, "create the container of", null, ct).ConfigureAwait(false);
    }

    // ---- requests --------------------------------------------------------------------------------------------------

    private string BlobName(string key)
    {
        CheckpointKey.ValidateStorageKey(key);
        return _location.Prefix + key;
    }

    private Uri ContainerUrl(params (string Name, string Value)[] query)
    {
        string q = BlobPath.Query(query, (_location.Credentials as BlobCredentials.Sas)?.Token);
        return new Uri(_location.ContainerUri.AbsoluteUri + (q.Length > 0 ? "?" + q : ""));
    }

    private Uri BlobUrl(string blob, params (string Name, string Value)[] query)
    {
        string q = BlobPath.Query(query, (_location.Credentials as BlobCredentials.Sas)?.Token);
        return new Uri(_location.ContainerUri.AbsoluteUri + "/" + BlobPath.EscapeName(blob) + (q.Length > 0 ? "?" + q : ""));
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, byte[]? body = null)
    {
        var r = new HttpRequestMessage(method, uri);
        if (body is not null) r.Content = new ByteArrayContent(body);
        return r;
    }

    private static void AddMetadata(HttpRequestMessage r, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null) return;
        foreach (var (name, value) in metadata)
            r.Headers.TryAddWithoutValidation("x-ms-meta-" + name, BlobMetadata.Encode(value));
    }

    /// <summary>Sends a fresh request per attempt (dated and signed) through the resilience pipeline.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string operation, CancellationToken ct)
    {
        ResilienceContext context = ResilienceContextPool.Shared.Get(ct);
        try
        {
            context.Properties.Set(BlobResilience.Operation, operation + " on " + Describe);
            return await _pipeline.ExecuteAsync(async (ctx, _) =>
            {
                CancellationToken token = ctx.CancellationToken;
                using var request = create();
                request.Headers.TryAddWithoutValidation("x-ms-date", DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation("x-ms-version", _options.ApiVersion);
                request.Headers.TryAddWithoutValidation("x-ms-client-request-id", Guid.NewGuid().ToString());
                if (_location.Credentials is BlobCredentials.SharedKey key) SharedKeySigner.Authorize(request, key);
                return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            }, context, 0).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            throw new AzureStorageException($"{operation} on {Describe} refused: too many recent failures opened the circuit breaker; it retries after {_options.CircuitBreakDuration.TotalSeconds:0} s. Last problem: {ex.Message}", null, null, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or System.Net.Sockets.SocketException or Polly.Timeout.TimeoutRejectedException or OperationCanceledException { InnerException: TimeoutException }
                                   && ex is not AzureStorageException && !ct.IsCancellationRequested)
        {
            string what = ex is Polly.Timeout.TimeoutRejectedException ? $"no answer within {_options.AttemptTimeout.TotalSeconds:0.#} s" : Redaction.RedactQuery(ex.Message);
            throw new AzureStorageException(
                $"Cannot reach Azure Blob Storage at {_location.ServiceUri.GetLeftPart(UriPartial.Authority)} for {operation} ({what}) after {_options.MaxRetries + 1} attempts. " +
                "Check the endpoint (BlobEndpoint in CVLEARN_AZURE_CONNECTION_STRING, or the storage URL), that the service is running and the network.", null, null, ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>AuthenticationFailed (Azure: bad signature, expired SAS) or AuthorizationFailure (Azurite's code for a bad signature; Azure's for network rules).</summary>
    private static bool IsCredentialFailure(string? code) => code is "AuthenticationFailed" or "AuthorizationFailure";

    private static string? ErrorCode(HttpResponseMessage r) => r.Headers.TryGetValues("x-ms-error-code", out var v) ? v.FirstOrDefault() : null;

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string action, string? key, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        string? code = ErrorCode(response);
        string detail = "";
        try
        {
            string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            int i = body.IndexOf("<Message>", StringComparison.Ordinal), j = body.IndexOf("</Message>", StringComparison.Ordinal);
            if (i >= 0 && j > i) detail = body[(i + 9)..j].Split('\n')[0].Trim();
        }
        catch (HttpRequestException) { }
        catch (IOException) { }
        string target = key is null ? Describe : $"'{key}' in {Describe}";
        int status = (int)response.StatusCode;
        string message = (response.StatusCode, code) switch
        {
            (HttpStatusCode.Forbidden, _) when IsCredentialFailure(code) =>
                $"Azure Blob Storage rejected the credentials ({status} {code}) trying to {action} {target}. Check {BlobLocation.ConnectionStringVariable} (account name and key) or the SAS token (signature, expiry) in the storage URL.",
            (HttpStatusCode.Forbidden, _) =>
                $"Azure Blob Storage refused to {action} {target} ({status} {code}). The credentials lack a permission: a SAS needs read, add, create, write, delete and list rights on the container.",
            (HttpStatusCode.NotFound, "ContainerNotFound") =>
                $"Blob container '{_location.Container}' does not exist in {Describe} ({status} ContainerNotFound); create it or use credentials that may.",
            _ => $"Azure Blob Storage failed to {action} {target}: {status} {code ?? response.ReasonPhrase}.",
        };
        if (detail.Length > 0) message += " Service says: " + Redaction.RedactQuery(detail);
        throw new AzureStorageException(message, response.StatusCode, code);
    }

    private static async Task<byte[]> ReadUpToAsync(Stream s, int max, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(max, 1 << 16)];
        int n = 0;
        while (n < max)
        {
            if (n == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(max, (long)buffer.Length * 2));
            int r = await s.ReadAsync(buffer.AsMemory(n, buffer.Length - n), ct).ConfigureAwait(false);
            if (r == 0) break;
            n += r;
        }
        return n == buffer.Length ? buffer : buffer[..n];
    }

#pragma warning disable CA5351 // MD5 is the Blob service's Content-MD5 integrity check, not a security primitive.
    private static byte[] Md5(byte[] data) => MD5.HashData(data);
#pragma warning restore CA5351
}
