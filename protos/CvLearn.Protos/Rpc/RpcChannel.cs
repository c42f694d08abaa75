using System.Net;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// A client connection to one gRPC server over HTTP/2 (h2c "prior knowledge" for http://, ALPN for
/// https://), shared by all calls: one <see cref="HttpClient"/> over a <see cref="SocketsHttpHandler"/>
/// that multiplexes calls as HTTP/2 streams, opens more connections when the server's
/// SETTINGS_MAX_CONCURRENT_STREAMS is reached, and pings idle connections. Thread-safe; create one per
/// server and reuse it.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    /// <summary>Creates a channel to <paramref name="address"/> (e.g. <c>http://master:50051</c>).</summary>
    /// <exception cref="ArgumentException">The address is not an absolute http/https URI.</exception>
    public RpcChannel(Uri address, RpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"gRPC address '{address}' must be an absolute http:// or https:// URI, e.g. http://localhost:50051.", nameof(address));
        }

        Options = options ?? new RpcChannelOptions();
        if (Options.MaxReceiveMessageSize < 0 || Options.MaxSendMessageSize < 0)
        {
            throw new ArgumentException("RpcChannelOptions: message size limits must be >= 0.", nameof(options));
        }

        Address = new Uri(address.GetLeftPart(UriPartial.Authority) + "/");
        UserAgent = string.IsNullOrEmpty(Options.UserAgentSuffix)
            ? "grpc-dotnet-cvlearn/1.0"
            : "grpc-dotnet-cvlearn/1.0 " + Options.UserAgentSuffix;
        HttpMessageHandler handler = Options.HttpHandler ?? new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = Options.ConnectTimeout,
            KeepAlivePingDelay = Options.KeepAlivePingDelay,
            KeepAlivePingTimeout = Options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
        };
        HttpClient = new HttpClient(handler, disposeHandler: true)
        {
            // Deadlines are per call (grpc-timeout + local timer), never a client-wide timeout.
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>The server address (scheme, host and port).</summary>
    public Uri Address { get; }

    /// <summary>The channel settings.</summary>
    public RpcChannelOptions Options { get; }

    internal HttpClient HttpClient { get; }

    internal string UserAgent { get; }

    /// <summary>Calls a unary method and returns its response; failures throw <see cref="RpcException"/>.</summary>
    public async Task<TResponse> CallUnaryAsync<TRequest, TResponse>(MethodDescriptor method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        Check<TRequest, TResponse>(method, serverStreaming: false);
        using var call = new ClientCall<TResponse>(this, GrpcServiceBinder.PathOf(method), GrpcServiceBinder.ParserOf<TResponse>(method.OutputType), options);
        await call.StartAsync(request).ConfigureAwait(false);
        TResponse response = await call.ReadNextAsync(CancellationToken.None).ConfigureAwait(false)
            ?? throw new RpcException(StatusCode.Internal, $"The server ended the unary call {method.FullName} with OK but sent no response message.");
        TResponse? extra = await call.ReadNextAsync(CancellationToken.None).ConfigureAwait(false);
        if (extra is not null)
        {
            throw new RpcException(StatusCode.Internal, $"The server sent more than one response message for the unary call {method.FullName}.");
        }

        return response;
    }

    /// <summary>
    /// Starts a server-streaming call. The request is sent on the first read; dispose the returned call
    /// to cancel it early (the server sees the cancellation).
    /// </summary>
    public ServerStreamingCall<TResponse> CallServerStreaming<TRequest, TResponse>(MethodDescriptor method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        Check<TRequest, TResponse>(method, serverStreaming: true);
        var call = new ClientCall<TResponse>(this, GrpcServiceBinder.PathOf(method), GrpcServiceBinder.ParserOf<TResponse>(method.OutputType), options);
        return new ServerStreamingCall<TResponse>(call, request);
    }

    /// <inheritdoc />
    public void Dispose() => HttpClient.Dispose();

    private static void Check<TRequest, TResponse>(MethodDescriptor method, bool serverStreaming)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.IsClientStreaming || method.IsServerStreaming != serverStreaming)
        {
            throw new ArgumentException($"{method.FullName} is {(method.IsClientStreaming ? "client-streaming" : method.IsServerStreaming ? "server-streaming" : "unary")}; use {(method.IsServerStreaming ? nameof(CallServerStreaming) : nameof(CallUnaryAsync))}.", nameof(method));
        }

        if (method.InputType.ClrType != typeof(TRequest) || method.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"{method.FullName} maps {method.InputType.FullName} -> {method.OutputType.FullName}, but was called with {typeof(TRequest).Name} -> {typeof(TResponse).Name}.",
                nameof(method));
        }
    }
}

/// <summary>A running server-streaming call: read it with <see cref="MoveNext"/> or <c>ReadAllAsync()</c>; dispose to cancel.</summary>
public sealed class ServerStreamingCall<TResponse> : IAsyncStreamReader<TResponse>, IDisposable
    where TResponse : IMessage<TResponse>
{
    private readonly ClientCall<TResponse> _call;
    private readonly IMessage _request;
    private Task? _start;
    private TResponse? _current;

    internal ServerStreamingCall(ClientCall<TResponse> call, IMessage request)
    {
        _call = call;
        _request = request;
    }

    /// <summary>This call as a reader (mirrors the shape of Grpc.Core's AsyncServerStreamingCall).</summary>
    public IAsyncStreamReader<TResponse> ResponseStream => this;

    /// <inheritdoc />
    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    /// <summary>Response headers (custom metadata); complete after the first MoveNext.</summary>
    public Metadata ResponseHeaders => _call.ResponseHeaders;

    /// <summary>Response trailers; complete once MoveNext returned false or threw.</summary>
    public Metadata Trailers => _call.Trailers;

    /// <summary>The final status once the stream ended.</summary>
    /// <exception cref="InvalidOperationException">The stream has not ended yet.</exception>
    public Status GetStatus() => _call.FinalStatus ?? throw new InvalidOperationException("The call has not finished yet: read the stream to its end first.");

    /// <inheritdoc />
    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        _start ??= _call.StartAsync(_request);
        await _start.ConfigureAwait(false);
        TResponse? next = await _call.ReadNextAsync(cancellationToken).ConfigureAwait(false);
        _current = next;
        return next is not null;
    }

    /// <inheritdoc />
    public void Dispose() => _call.Dispose();
}
