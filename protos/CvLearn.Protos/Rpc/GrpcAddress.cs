namespace CvLearn.Protos.Rpc;

/// <summary>
/// Parses the address of a gRPC server as users type it (`--master`): `http://HOST:PORT`, `https://HOST:PORT`, or
/// a bare `HOST:PORT` as gRPC targets are usually written (plain HTTP/2 then). The port must be given: gRPC has no
/// default port, and a URL without one would silently go to 80 or 443 instead of the server's port. A path is refused
/// too, since calls go to /package.Service/Method at the root and a path would be dropped without a word.
/// </summary>
public static class GrpcAddress
{
    /// <summary>The address as a base URI (scheme, host and port only).</summary>
    /// <param name="text">What the user gave.</param>
    /// <param name="option">The option's name, for the message (e.g. "--master").</param>
    /// <param name="what">What the address is of, for the message (e.g. "master").</param>
    /// <param name="example">An address to show in the message.</param>
    /// <exception cref="ArgumentException">The text is no such address; the message says why and what to give.</exception>
    public static Uri Parse(string? text, string option = "--master", string what = "master", string example = "http://127.0.0.1:50051")
    {
        string hint = $"give http://HOST:PORT (or HOST:PORT), e.g. {option} {example}";
        string value = text?.Trim() ?? "";
        if (value.Length == 0) throw new ArgumentException($"{option}: required; {hint}.");
        string withScheme = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        ArgumentException Bad(string why) => new($"{option}: '{value}' is not a {what} address ({why}); {hint}.");

        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host)) throw Bad("it does not parse as HOST:PORT");
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) throw Bad($"the scheme is {uri.Scheme}, not http or https");
        if (!HasExplicitPort(withScheme)) throw Bad("it has no port");
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0) throw Bad("it has a path; gRPC calls go to the server's root");
        if (uri.UserInfo.Length > 0) throw Bad("it has a user name");
        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>True when the authority ends in ":digits" (after the closing bracket of an IPv6 literal).</summary>
    private static bool HasExplicitPort(string absolute)
    {
        int start = absolute.IndexOf("://", StringComparison.Ordinal) + 3;
        int end = absolute.IndexOfAny(['/', '?', '#'], start);
        string authority = end < 0 ? absolute[start..] : absolute[start..end];
        int at = authority.LastIndexOf('@');
        if (at >= 0) authority = authority[(at + 1)..];
        int colon = authority.LastIndexOf(':');
        if (colon < 0 || colon < authority.LastIndexOf(']')) return false;
        string port = authority[(colon + 1)..];
        return port.Length > 0 && port.All(char.IsAsciiDigit);
    }
}
