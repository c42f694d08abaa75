using System.Text.RegularExpressions;

namespace CvLearn.Storage.Azure;

/// <summary>Removes secrets (SAS signatures, account keys) from text before it reaches a log or an exception message.</summary>
public static partial class Redaction
{
    /// <summary>"…&amp;sig=abc%2B…" → "…&amp;sig=REDACTED…"; "AccountKey=…;" → "AccountKey=REDACTED;".</summary>
    public static string RedactQuery(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        text = SigPattern().Replace(text, "${1}sig=REDACTED");
        return KeyPattern().Replace(text, "${1}=REDACTED");
    }

    /// <summary>A URL with its SAS signature redacted.</summary>
    public static string RedactUrl(string url) => RedactQuery(url);

    [GeneratedRegex(@"(^|[?&;\s])sig=[^&;\s]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SigPattern();

    [GeneratedRegex(@"(AccountKey|SharedAccessSignature)=[^;\s]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
