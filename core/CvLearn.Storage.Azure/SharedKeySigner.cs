using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CvLearn.Storage.Azure;

/// <summary>
/// Shared Key authorization for the Blob service (version 2009-09-19 and later), as documented in "Authorize with
/// Shared Key": Authorization: SharedKey ACCOUNT:base64(HMAC-SHA256(key, UTF-8(StringToSign))) with
/// <code>
/// StringToSign = VERB \n Content-Encoding \n Content-Language \n Content-Length \n Content-MD5 \n Content-Type \n
///                Date \n If-Modified-Since \n If-Match \n If-None-Match \n If-Unmodified-Since \n Range \n
///                CanonicalizedHeaders CanonicalizedResource
/// </code>
/// Content-Length is empty when it is zero; Date is empty because x-ms-date is sent; CanonicalizedHeaders are the
/// x-ms-* headers, lowercased, sorted, "name:value\n" each; CanonicalizedResource is "/ACCOUNT" + the encoded URI path
/// (path-style emulator URLs therefore give "/ACCOUNT/ACCOUNT/container/blob") followed, per query parameter sorted by
/// lowercased name, by "\nname:value[,value…]" with decoded names and values.
/// </summary>
public static partial class SharedKeySigner
{
    private static readonly string[] StandardHeaders =
        ["Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
         "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"];

    /// <summary>The documented string-to-sign of a request (<paramref name="headers"/>: all request and content headers).</summary>
    public static string StringToSign(string method, Uri uri, IEnumerable<KeyValuePair<string, string>> headers, string accountName)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
            byName[name] = byName.TryGetValue(name, out string? earlier) ? earlier + "," + value : value;

        var sb = new StringBuilder();
        sb.Append(method.ToUpperInvariant()).Append('\n');
        foreach (string h in StandardHeaders)
        {
            string value = byName.TryGetValue(h, out string? v) ? v : "";
            if (h == "Content-Length" && value == "0") value = "";
            sb.Append(value).Append('\n');
        }
        foreach (var (name, value) in byName
                     .Where(p => p.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                     .Select(p => (Name: p.Key.ToLowerInvariant(), p.Value))
                     .OrderBy(p => p.Name, StringComparer.Ordinal))
            sb.Append(name).Append(':').Append(Whitespace().Replace(value.Trim(), " ")).Append('\n');
        sb.Append(CanonicalizedResource(uri, accountName));
        return sb.ToString();
    }

    /// <summary>"/ACCOUNT/encoded/path" + "\nname:v1,v2" per query parameter (lowercased names, sorted).</summary>
    public static string CanonicalizedResource(Uri uri, string accountName)
    {
        var sb = new StringBuilder("/").Append(accountName);
        string path = uri.AbsolutePath;
        sb.Append(path.Length == 0 ? "/" : path);
        string query = uri.Query.TrimStart('?');
        if (query.Length == 0) return sb.ToString();
        var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!parameters.TryGetValue(name, out var values)) parameters[name] = values = [];
            values.Add(value);
        }
        foreach (var (name, values) in parameters)
        {
            values.Sort(StringComparer.Ordinal);
            sb.Append('\n').Append(name).Append(':').Append(string.Join(',', values));
        }
        return sb.ToString();
    }

    /// <summary>base64(HMAC-SHA256(key, UTF-8(stringToSign))).</summary>
    public static string Sign(string stringToSign, byte[] key)
        => Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>Adds the Authorization header to a request that already carries its x-ms-date and x-ms-version.</summary>
    internal static void Authorize(HttpRequestMessage request, BlobCredentials.SharedKey credentials)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var h in request.Headers.NonValidated)
            headers.Add(new(h.Key, string.Join(",", h.Value)));
        if (request.Content is { } content)
        {
            foreach (var h in content.Headers.NonValidated)
                if (!h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) headers.Add(new(h.Key, string.Join(",", h.Value)));
            if (content.Headers.ContentLength is long length) headers.Add(new("Content-Length", length.ToString(CultureInfo.InvariantCulture)));
        }
        string stringToSign = StringToSign(request.Method.Method, request.RequestUri!, headers, credentials.AccountName);
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {credentials.AccountName}:{Sign(stringToSign, credentials.Key)}");
    }

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
