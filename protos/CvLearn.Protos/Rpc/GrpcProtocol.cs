using System.Globalization;
using System.Text;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// Pieces of "gRPC over HTTP2" (grpc/doc/PROTOCOL-HTTP2.md) shared by our server and client:
/// header names, the grpc-timeout syntax, percent-encoding of grpc-message, and the mappings of
/// HTTP status codes and HTTP/2 RST_STREAM error codes to gRPC status codes.
/// </summary>
public static class GrpcProtocol
{
    /// <summary>Content-Type → "content-type" "application/grpc" [("+proto" / "+json" / {custom})].</summary>
    public const string ContentType = "application/grpc";

    /// <summary>Length of the Length-Prefixed-Message header: Compressed-Flag (1 byte) + Message-Length (4 bytes, big-endian).</summary>
    public const int MessageHeaderSize = 5;

    /// <summary>Default maximum size of one received message (4 MiB, as in other gRPC implementations).</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    internal const string StatusHeader = "grpc-status";
    internal const string MessageHeader = "grpc-message";
    internal const string TimeoutHeader = "grpc-timeout";
    internal const string EncodingHeader = "grpc-encoding";
    internal const string AcceptEncodingHeader = "grpc-accept-encoding";

    // TimeoutValue → {positive integer as ASCII string of at most 8 digits}
    private const long MaxTimeoutValue = 99_999_999;

    /// <summary>True when <paramref name="contentType"/> is application/grpc or application/grpc+{subtype} (or ;params).</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>
    /// Parses a "grpc-timeout" value (Requests: Timeout → TimeoutValue TimeoutUnit; units H M S m u n).
    /// Returns false for anything malformed (more than 8 digits, unknown unit, empty).
    /// </summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9)
        {
            return false;
        }

        ReadOnlySpan<char> digits = value.AsSpan(0, value.Length - 1);
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        long amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        // Ticks are 100 ns; nanoseconds round up so a tiny timeout never becomes "no time at all".
        long ticks;
        switch (value[^1])
        {
            case 'H': ticks = amount * TimeSpan.TicksPerHour; break;
            case 'M': ticks = amount * TimeSpan.TicksPerMinute; break;
            case 'S': ticks = amount * TimeSpan.TicksPerSecond; break;
            case 'm': ticks = amount * TimeSpan.TicksPerMillisecond; break;
            case 'u': ticks = amount * 10; break;
            case 'n': ticks = (amount + 99) / 100; break;
            default: return false;
        }

        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>
    /// Formats a timeout for "grpc-timeout" in the finest unit whose value fits in 8 digits,
    /// rounding up (a deadline is never shortened by the encoding). Non-positive → "1n".
    /// </summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        long ticks = timeout.Ticks;
        if (ticks <= 0)
        {
            return "1n";
        }

        if (ticks <= MaxTimeoutValue / 100)
        {
            return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "n";
        }

        ReadOnlySpan<(long Ticks, char Unit)> units =
        [
            (10, 'u'),
            (TimeSpan.TicksPerMillisecond, 'm'),
            (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'),
            (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach ((long unitTicks, char unit) in units)
        {
            long value = (ticks + unitTicks - 1) / unitTicks;
            if (value <= MaxTimeoutValue)
            {
                return value.ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return MaxTimeoutValue.ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>
    /// Percent-encodes a status message (Responses: Status-Message → Percent-Encoded): the UTF-8
    /// bytes 0x20-0x7E except '%' pass through; every other byte becomes %XX.
    /// </summary>
    public static string EncodeStatusMessage(string message)
    {
        bool plain = true;
        foreach (char c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return message;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(message);
        var sb = new StringBuilder(utf8.Length * 2);
        foreach (byte b in utf8)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Decodes a percent-encoded status message. Per the spec, a receiver must not fail on a bad
    /// encoding: malformed %-sequences are kept literally, and invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public static string DecodeStatusMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return "";
        }

        if (!encoded.Contains('%', StringComparison.Ordinal))
        {
            return encoded;
        }

        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                bytes.Add((byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2])));
                i += 2;
            }
            else if (c <= 0x7F)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// Maps an HTTP status to a gRPC status for responses that carry no grpc-status
    /// (grpc/doc/http-grpc-status-mapping.md).
    /// </summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>
    /// Maps an HTTP/2 RST_STREAM error code to a gRPC status (HTTP2 Transport Mapping: Errors).
    /// </summary>
    public static StatusCode FromHttp2ErrorCode(long errorCode) => errorCode switch
    {
        0x0 => StatusCode.Internal,          // NO_ERROR before a status arrived
        0x7 => StatusCode.Unavailable,       // REFUSED_STREAM: not processed, safe to retry
        0x8 => StatusCode.Cancelled,         // CANCEL
        0xB => StatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
        0xC => StatusCode.PermissionDenied,  // INADEQUATE_SECURITY
        _ => StatusCode.Internal,            // PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, ...
    };

    /// <summary>
    /// Headers that belong to the protocol or to HTTP and are therefore not custom metadata.
    /// </summary>
    internal static bool IsReservedHeader(string name) =>
        name.StartsWith(':')
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("date", StringComparison.OrdinalIgnoreCase)
        || name.Equals("server", StringComparison.OrdinalIgnoreCase)
        || name.Equals("user-agent", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase);

    private static bool IsHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
