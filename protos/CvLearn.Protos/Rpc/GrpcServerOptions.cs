namespace CvLearn.Protos.Rpc;

/// <summary>Limits of the server side of the wire layer.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED before the body is buffered. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; a handler returning a larger one fails with RESOURCE_EXHAUSTED. Default unlimited.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>
    /// When true, the message of an unexpected handler exception is sent to the client; keep false in
    /// production (exception text can leak internals) — the exception is always logged.
    /// </summary>
    public bool IncludeExceptionDetails { get; set; }
}
