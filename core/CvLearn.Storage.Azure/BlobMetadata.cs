using System.Text;

namespace CvLearn.Storage.Azure;

/// <summary>
/// User metadata as x-ms-meta-NAME headers. Names must be C# identifiers (the service's rule) and are unique ignoring
/// case. Values that are not plain printable ASCII (non-ASCII, control characters, leading/trailing spaces) travel as
/// "=?utf-8?B?BASE64?=" (RFC 2047 style) and are decoded on the way back, so any string round trips.
/// </summary>
internal static class BlobMetadata
{
    private const string EncodedStart = "=?utf-8?B?";
    private const string EncodedEnd = "?=";

    public static void Validate(IReadOnlyDictionary<string, string> metadata)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in metadata)
        {
            if (!IsIdentifier(name))
                throw new ArgumentException($"Metadata name '{name}' is not allowed in Azure Blob Storage: names must be C# identifiers (letters, digits, '_', not starting with a digit), e.g. 'val_acc'.", nameof(metadata));
            if (!seen.Add(name))
                throw new ArgumentException($"Metadata names '{name}' differ only in case; Azure Blob Storage treats them as one.", nameof(metadata));
        }
    }

    public static string Encode(string value)
    {
        bool plain = value.Length == 0 || (value.All(c => c is >= ' ' and <= '~') && value[0] != ' ' && value[^1] != ' ' && !value.StartsWith(EncodedStart, StringComparison.Ordinal));
        return plain ? value : EncodedStart + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + EncodedEnd;
    }

    public static string Decode(string value)
    {
        if (value.StartsWith(EncodedStart, StringComparison.Ordinal) && value.EndsWith(EncodedEnd, StringComparison.Ordinal))
        {
            try { return Encoding.UTF8.GetString(Convert.FromBase64String(value[EncodedStart.Length..^EncodedEnd.Length])); }
            catch (FormatException) { return value; }
        }
        return value;
    }

    private static bool IsIdentifier(string name)
        => name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
