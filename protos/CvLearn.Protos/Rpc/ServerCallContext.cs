using Microsoft.AspNetCore.Http;

namespace CvLearn.Protos.Rpc;

/// <summary>What a server handler knows about the call it serves.</summary>
public sealed class ServerCallContext
{
    internal ServerCallContext(
        HttpContext httpContext,
        string method,
        DateTime deadline,
        Metadata requestHeaders,
        CancellationToken cancellationToken)
    {
        HttpContext = httpContext;
        Method = method;
        Deadline = deadline;
        RequestHeaders = requestHeaders;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, e.g. <c>/cvlearn.v1.SearchService/Join</c>.</summary>
    public string Method { get; }

    /// <summary>The :authority the client addressed.</summary>
    public string Host => HttpContext.Request.Host.Value ?? "";

    /// <summary>The client address, as <c>ipv4:1.2.3.4:5678</c> / <c>ipv6:[::1]:5678</c>.</summary>
    public string Peer
    {
        get
        {
            var ip = HttpContext.Connection.RemoteIpAddress;
            if (ip is null)
            {
                return "unknown";
            }

            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"ipv6:[{ip}]:{HttpContext.Connection.RemotePort}"
                : $"ipv4:{ip}:{HttpContext.Connection.RemotePort}";
        }
    }

    /// <summary>UTC deadline from grpc-timeout, or <see cref="DateTime.MaxValue"/> when the client set none.</summary>
    public DateTime Deadline { get; }

    /// <summary>Custom metadata the client sent (reserved and pseudo headers excluded).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Custom metadata sent back with the status (in trailers, or in the headers of a Trailers-Only response).</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>Cancelled when the deadline passes or the client cancels the call (RST_STREAM / disconnect).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The underlying ASP.NET Core context (for connection info; do not write to the response).</summary>
    public HttpContext HttpContext { get; }
}
