using System.Net;

namespace CvLearn.Storage.Azure;

/// <summary>How requests are authorized: Shared Key (account key) or a SAS token appended to every URL.</summary>
public abstract record BlobCredentials
{
    private BlobCredentials() { }

    /// <summary>Shared Key: every request is signed with HMAC-SHA256 of the account key.</summary>
    public sealed record SharedKey(string AccountName, byte[] Key) : BlobCredentials
    {
        public override string ToString() => $"SharedKey({AccountName}, key redacted)";
    }

    /// <summary>Shared access signature: the token (query string without '?') is appended to every request.</summary>
    public sealed record Sas(string Token) : BlobCredentials
    {
        public override string ToString() => "Sas(" + Redaction.RedactQuery(Token) + ")";
    }
}

/// <summary>
/// A blob container and a key prefix inside it, with its credentials: everything a store needs to address blobs.
/// <see cref="ServiceUri"/> is the account's blob endpoint ("https://acct.blob.core.windows.net/" or, path-style as
/// used by Azurite, "http://127.0.0.1:10000/devstoreaccount1/").
/// </summary>
public sealed record BlobLocation(Uri ServiceUri, string AccountName, string Container, string Prefix, BlobCredentials Credentials)
{
    /// <summary>The well-known Azurite development account (documented for the emulator; not a secret).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The name of the environment variable holding the connection string for azblob:// locations.</summary>
    public const string ConnectionStringVariable = "CVLEARN_AZURE_CONNECTION_STRING";

    /// <summary>Container URI without query ("…/container").</summary>
    public Uri ContainerUri => new(ServiceUri, BlobPath.EscapeSegment(Container));

    /// <summary>Readable, secret-free description for logs (not a location to parse): "azblob://container/prefix/ (account acct at https://host, SAS)".</summary>
    public string Describe => $"azblob://{Container}/{Prefix} (account {AccountName} at {ServiceUri.GetLeftPart(UriPartial.Authority)}{(Credentials is BlobCredentials.Sas ? ", SAS" : "")})";

    /// <summary>
    /// Parses "azblob://CONTAINER/PREFIX" with a connection string (normally from CVLEARN_AZURE_CONNECTION_STRING).
    /// </summary>
    public static BlobLocation FromAzblob(string location, string? connectionString)
    {
        const string scheme = "azblob://";
        if (!location.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{location}' is not an azblob://CONTAINER/PREFIX location.", nameof(location));
        string rest = location[scheme.Length..];
        int q = rest.IndexOfAny(['?', '#']);
        if (q >= 0)
            throw new ArgumentException($"azblob:// locations take no query string ('{Redaction.RedactUrl(location)}'); the credentials come from {ConnectionStringVariable}. For a SAS use the https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS form.", nameof(location));
        int slash = rest.IndexOf('/');
        string container = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException(
                $"Storage '{location}' needs the Azure connection string in the environment variable {ConnectionStringVariable} " +
                "(e.g. 'DefaultEndpointsProtocol=https;AccountName=NAME;AccountKey=KEY;EndpointSuffix=core.windows.net', or 'UseDevelopmentStorage=true' for a local Azurite); " +
                "it is never taken from the command line. Set it, or use an https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS location.", nameof(connectionString));
        var (service, account, credentials) = ParseConnectionString(connectionString);
        return new BlobLocation(service, account, ValidateContainer(container, location), NormalizePrefix(prefix, location), credentials);
    }

    /// <summary>Parses "https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS" or path-style "http://127.0.0.1:10000/ACCOUNT/CONTAINER/PREFIX?SAS".</summary>
    public static BlobLocation FromSasUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException($"'{Redaction.RedactUrl(url)}' is not an http(s) URL.", nameof(url));
        string query = uri.Query.TrimStart('?');
        if (!query.Split('&').Any(p => p.StartsWith("sig=", StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException(
                $"Storage URL '{Redaction.RedactUrl(url)}' has no SAS token (no 'sig=' in its query). Append a container SAS with read, add, create, write, delete and list permissions " +
                $"(https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?sv=…&sig=…), or use azblob://CONTAINER/PREFIX with {ConnectionStringVariable}.", nameof(url));
        // The raw path keeps its escapes; segments are unescaped one by one.
        string[] segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        bool pathStyle = IsPathStyleHost(uri);
        int first = pathStyle ? 1 : 0;
        if (segments.Length <= first)
            throw new ArgumentException($"Storage URL '{Redaction.RedactUrl(url)}' names no container; expected {(pathStyle ? "http://HOST:PORT/ACCOUNT/CONTAINER/PREFIX?SAS" : "https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS")}.", nameof(url));
        string account = pathStyle ? Uri.UnescapeDataString(segments[0]) : uri.Host.Split('.')[0];
        string authority = uri.GetLeftPart(UriPartial.Authority);
        var service = new Uri(pathStyle ? $"{authority}/{segments[0]}/" : authority + "/");
        string container = Uri.UnescapeDataString(segments[first]);
        string prefix = string.Join('/', segments.Skip(first + 1).Select(Uri.UnescapeDataString));
        if (uri.AbsolutePath.EndsWith('/') && prefix.Length > 0) prefix += "/";
        return new BlobLocation(service, account, ValidateContainer(container, url), NormalizePrefix(prefix, url), new BlobCredentials.Sas(query));
    }

    /// <summary>
    /// Parses a standard connection string: "DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…",
    /// optionally "BlobEndpoint=…" and/or "SharedAccessSignature=…", or "UseDevelopmentStorage=true".
    /// Error messages never contain the key.
    /// </summary>
    public static (Uri Service, string Account, BlobCredentials Credentials) ParseConnectionString(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string piece in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = piece.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"{ConnectionStringVariable}: malformed part '{(piece.Length > 12 ? piece[..12] + "…" : piece)}' (expected Name=Value pairs separated by ';').");
            parts[piece[..eq].Trim()] = piece[(eq + 1)..].Trim();
        }
        if (parts.TryGetValue("UseDevelopmentStorage", out string? dev) && dev.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            string proxy = parts.TryGetValue("DevelopmentStorageProxyUri", out string? p) ? p.TrimEnd('/') : "http://127.0.0.1:10000";
            return (new Uri(proxy + "/" + DevelopmentAccountName + "/"), DevelopmentAccountName,
                new BlobCredentials.SharedKey(DevelopmentAccountName, Convert.FromBase64String(DevelopmentAccountKey)));
        }
        parts.TryGetValue("AccountName", out string? accountName);
        Uri service;
        if (parts.TryGetValue("BlobEndpoint", out string? endpoint))
        {
            if (!Uri.TryCreate(endpoint.TrimEnd('/') + "/", UriKind.Absolute, out Uri? e) || (e.Scheme != Uri.UriSchemeHttp && e.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"{ConnectionStringVariable}: BlobEndpoint '{endpoint}' is not an http(s) URL.");
            service = e;
            accountName ??= IsPathStyleHost(e) ? Uri.UnescapeDataString(e.AbsolutePath.Trim('/').Split('/')[0]) : e.Host.Split('.')[0];
        }
        else
        {
            if (string.IsNullOrEmpty(accountName))
                throw new ArgumentException($"{ConnectionStringVariable}: AccountName is missing (or give BlobEndpoint=…, or UseDevelopmentStorage=true).");
            string protocol = parts.TryGetValue("DefaultEndpointsProtocol", out string? proto) ? proto : "https";
            string suffix = parts.TryGetValue("EndpointSuffix", out string? s) ? s : "core.windows.net";
            service = new Uri($"{protocol}://{accountName}.blob.{suffix}/");
        }
        if (string.IsNullOrEmpty(accountName))
            throw new ArgumentException($"{ConnectionStringVariable}: AccountName is missing and cannot be derived from BlobEndpoint.");
        if (parts.TryGetValue("SharedAccessSignature", out string? sas) && sas.Length > 0)
            return (service, accountName, new BlobCredentials.Sas(sas.TrimStart('?')));
        if (!parts.TryGetValue("AccountKey", out string? key) || key.Length == 0)
            throw new ArgumentException($"{ConnectionStringVariable}: AccountKey (or SharedAccessSignature) is missing.");
        byte[] keyBytes;
        try { keyBytes = Convert.FromBase64String(key); }
        catch (FormatException) { throw new ArgumentException($"{ConnectionStringVariable}: AccountKey is not valid base64 (copy it again from the storage account's access keys)."); }
        return (service, accountName, new BlobCredentials.SharedKey(accountName, keyBytes));
    }

    /// <summary>Hosts addressed path-style (account in the first path segment): IP addresses and single-label names (localhost, a compose service "azurite").</summary>
    internal static bool IsPathStyleHost(Uri uri)
        => uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || !uri.Host.Contains('.') || IPAddress.TryParse(uri.Host, out _);

    private static string ValidateContainer(string container, string location)
    {
        bool ok = container.Length is >= 3 and <= 63
                  && container.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
                  && container[0] != '-' && container[^1] != '-' && !container.Contains("--", StringComparison.Ordinal);
        if (!ok)
            throw new ArgumentException(
                $"Storage location '{Redaction.RedactUrl(location)}': '{container}' is not a valid blob container name (3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit).");
        return container;
    }

    private static string NormalizePrefix(string prefix, string location)
    {
        if (prefix.Length == 0) return "";
        string trimmed = prefix.Trim('/');
        if (trimmed.Length == 0) return "";
        if (Core.Checkpoints.CheckpointKey.TryGetStorageKeyError(trimmed) is { } error)
            throw new ArgumentException($"Storage location '{Redaction.RedactUrl(location)}': invalid prefix: {error}");
        return trimmed + "/";
    }
}
