namespace CvLearn.Protos.Rpc;

/// <summary>Settings of an <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelOptions
{
    /// <summary>Largest response message accepted; larger ones fail the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest request message sent; larger ones fail with RESOURCE_EXHAUSTED before sending. Default unlimited.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>TCP connect timeout; a server that does not answer in time gives UNAVAILABLE. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP/2 PING interval on an otherwise idle connection (detects dead peers behind NAT). Default 30 s.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a PING ack before the connection is considered dead. Default 20 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Appended to the user-agent header ("grpc-dotnet-cvlearn/1.0 {suffix}").</summary>
    public string? UserAgentSuffix { get; set; }

    /// <summary>
    /// Replaces the default <see cref="System.Net.Http.SocketsHttpHandler"/> (tests, TLS settings).
    /// The channel disposes it.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}

/// <summary>Per-call settings.</summary>
/// <param name="Deadline">UTC time the call must finish by (sent as grpc-timeout); null = no deadline.</param>
/// <param name="Headers">Custom metadata sent as request headers.</param>
/// <param name="CancellationToken">Cancels the call (the stream is reset with RST_STREAM CANCEL); gives CANCELLED.</param>
public readonly record struct CallOptions(
    DateTime? Deadline = null,
    Metadata? Headers = null,
    CancellationToken CancellationToken = default)
{
    /// <summary>Options with a deadline <paramref name="timeout"/> from now.</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, Metadata? headers = null, CancellationToken cancellationToken = default)
        => new(DateTime.UtcNow + timeout, headers, cancellationToken);
}
