using System.Text;

namespace CvLearn.Storage.Azure;

/// <summary>URL encoding of blob names and query values.</summary>
internal static class BlobPath
{
    /// <summary>Percent-encodes one path segment (UTF-8; space → %20, '+' → %2B, '&amp;' → %26, '%' → %25).</summary>
    public static string EscapeSegment(string segment) => Uri.EscapeDataString(segment);

    /// <summary>Percent-encodes a blob name segment by segment, keeping its '/' separators.</summary>
    public static string EscapeName(string name) => string.Join('/', name.Split('/').Select(EscapeSegment));

    /// <summary>Builds "a=1&amp;b=2" with encoded values; <paramref name="sas"/> (already encoded) is appended as is.</summary>
    public static string Query(IEnumerable<(string Name, string Value)> parameters, string? sas)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }
        if (!string.IsNullOrEmpty(sas))
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(sas);
        }
        return sb.ToString();
    }
}
