using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// The client side of one call on one HTTP/2 stream: sends Request-Headers and the single request
/// message with EOS, then reads Response-Headers (or a Trailers-Only response), the response
/// Length-Prefixed-Messages, and finally the Trailers with the status (PROTOCOL-HTTP2.md, Outline:
/// Response → (Response-Headers *Length-Prefixed-Message Trailers) / Trailers-Only).
/// </summary>
internal sealed class ClientCall<TResponse> : IDisposable
    where TResponse : IMessage<TResponse>
{
    private readonly RpcChannel _channel;
    private readonly string _path;
    private readonly MessageParser<TResponse> _parser;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource? _deadlineCts;
    private readonly CancellationTokenSource _callCts;
    private readonly byte[] _header = new byte[GrpcProtocol.MessageHeaderSize];
    private HttpResponseMessage? _response;
    private Stream? _body;
    private Status? _status;
    private RpcException? _failure;
    private volatile bool _cancelledByCaller;
    private bool _disposed;

    public ClientCall(RpcChannel channel, string path, MessageParser<TResponse> parser, CallOptions options)
    {
        _channel = channel;
        _path = path;
        _parser = parser;
        _options = options;
        _callCts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        if (options.Deadline is { } deadline)
        {
            TimeSpan remaining = ToUtc(deadline) - DateTime.UtcNow;
            if (remaining < TimeSpan.FromDays(30))
            {
                _deadlineCts = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
                _deadlineCts.Token.Register(static s => ((CancellationTokenSource)s!).Cancel(), _callCts);
            }
        }

        // A cancelled token only fails the *next* read; resetting the stream is what tells the server
        // (RST_STREAM CANCEL → its RequestAborted), so abort the response as soon as the call is cancelled.
        _callCts.Token.Register(static s => ((ClientCall<TResponse>)s!).AbortStream(), this);
    }

    public Metadata ResponseHeaders { get; } = new();

    public Metadata Trailers { get; } = new();

    /// <summary>The final status, once known.</summary>
    public Status? FinalStatus => _status;

    /// <summary>Sends the request; reads the response headers.</summary>
    public async Task StartAsync(IMessage request)
    {
        try
        {
            _callCts.Token.ThrowIfCancellationRequested();
            using HttpRequestMessage http = BuildRequest(request);
            _response = await _channel.HttpClient.SendAsync(http, HttpCompletionOption.ResponseHeadersRead, _callCts.Token).ConfigureAwait(false);
            await ReadResponseHeadersAsync(_response).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw MapException(ex);
        }
    }

    /// <summary>Next response message, or null at the end of a successful response (non-OK → RpcException).</summary>
    public async Task<TResponse?> ReadNextAsync(CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            // A failed call stays failed: the stream position is unknown after an error.
            throw _failure;
        }

        try
        {
            return await ReadNextCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (_status is null)
        {
            // Failed locally (size limit, bad frame, cancel, transport): reset the stream so the
            // server stops sending, and remember the outcome.
            _failure = ex;
            _callCts.Cancel();
            throw;
        }
    }

    private async Task<TResponse?> ReadNextCoreAsync(CancellationToken cancellationToken)
    {
        if (_body is null)
        {
            return Finish();
        }

        using CancellationTokenRegistration reg = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static s => ((ClientCall<TResponse>)s!).CancelByCaller(), this)
            : default;
        try
        {
            int read = await _body.ReadAtLeastAsync(_header, GrpcProtocol.MessageHeaderSize, throwOnEndOfStream: false, _callCts.Token).ConfigureAwait(false);
            if (read == 0)
            {
                ReadTrailers();
                return Finish();
            }

            if (read < GrpcProtocol.MessageHeaderSize)
            {
                throw new RpcException(StatusCode.Internal, "The response ended in the middle of a message header.");
            }

            byte flag = _header[0];
            uint length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1));
            if (flag != 0)
            {
                throw new RpcException(StatusCode.Internal,
                    $"Response message has Compressed-Flag {flag}, but no compression was negotiated (this client accepts identity only).");
            }

            if (length > (uint)_channel.Options.MaxReceiveMessageSize)
            {
                // Refuse without reading the payload; Dispose resets the stream.
                throw new RpcException(StatusCode.ResourceExhausted,
                    $"Received message larger than max ({length.ToString(CultureInfo.InvariantCulture)} vs. {_channel.Options.MaxReceiveMessageSize.ToString(CultureInfo.InvariantCulture)})");
            }

            byte[] payload = new byte[length];
            int got = await _body.ReadAtLeastAsync(payload, (int)length, throwOnEndOfStream: false, _callCts.Token).ConfigureAwait(false);
            if (got < length)
            {
                throw new RpcException(StatusCode.Internal, "The response ended in the middle of a message (truncated Length-Prefixed-Message).");
            }

            try
            {
                return _parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize response message: " + ex.Message), ex);
            }
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw MapException(ex);
        }
    }

    private void AbortStream()
    {
        if (_status is null)
        {
            Volatile.Read(ref _response)?.Dispose();
        }
    }

    private void CancelByCaller()
    {
        _cancelledByCaller = true;
        _callCts.Cancel();
    }

    private HttpRequestMessage BuildRequest(IMessage request)
    {
        int size = request.CalculateSize();
        if (size > _channel.Options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({size.ToString(CultureInfo.InvariantCulture)} vs. {_channel.Options.MaxSendMessageSize.ToString(CultureInfo.InvariantCulture)})");
        }

        // Length-Prefixed-Message → Compressed-Flag(0) Message-Length(uint32 big-endian) Message
        byte[] framed = new byte[GrpcProtocol.MessageHeaderSize + size];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)size);
        request.WriteTo(framed.AsSpan(GrpcProtocol.MessageHeaderSize));

        var http = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _path))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(framed),
        };
        http.Content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        // TE → "te" "trailers": lets proxies that would drop trailers be detected.
        http.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        http.Headers.TryAddWithoutValidation("user-agent", _channel.UserAgent);
        http.Headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, "identity");
        if (_options.Deadline is { } deadline)
        {
            TimeSpan remaining = ToUtc(deadline) - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded (the deadline had passed before the call started)");
            }

            if (remaining < TimeSpan.FromDays(30))
            {
                http.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(remaining));
            }
        }

        if (_options.Headers is { } metadata)
        {
            foreach (Metadata.Entry entry in metadata)
            {
                http.Headers.TryAddWithoutValidation(entry.Key, entry.WireValue);
            }
        }

        return http;
    }

    private async Task ReadResponseHeadersAsync(HttpResponseMessage response)
    {
        CopyMetadata(response.Headers, ResponseHeaders);
        string? statusHeader = FirstValue(response.Headers, GrpcProtocol.StatusHeader);
        if (statusHeader is not null)
        {
            // Trailers-Only: the status is in the only HEADERS frame.
            CopyMetadata(response.Headers, Trailers);
            _status = ParseStatus(statusHeader, FirstValue(response.Headers, GrpcProtocol.MessageHeader));
            return;
        }

        if (response.StatusCode != System.Net.HttpStatusCode.OK)
        {
            int code = (int)response.StatusCode;
            _status = new Status(GrpcProtocol.FromHttpStatus(code), $"Bad gRPC response. HTTP status code: {code.ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        string? contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            _status = new Status(StatusCode.Unknown, $"Bad gRPC response. Invalid content-type value: {contentType ?? "(none)"}");
            return;
        }

        _body = await response.Content.ReadAsStreamAsync(_callCts.Token).ConfigureAwait(false);
    }

    private void ReadTrailers()
    {
        HttpResponseHeaders trailers = _response!.TrailingHeaders;
        CopyMetadata(trailers, Trailers);
        string? statusHeader = FirstValue(trailers, GrpcProtocol.StatusHeader);
        _status = statusHeader is null
            ? new Status(StatusCode.Internal, "The response ended without a grpc-status trailer.")
            : ParseStatus(statusHeader, FirstValue(trailers, GrpcProtocol.MessageHeader));
        _body = null;
    }

    private TResponse? Finish()
    {
        Status status = _status ?? new Status(StatusCode.Internal, "The call has no status.");
        if (status.StatusCode != StatusCode.OK)
        {
            throw new RpcException(status, Trailers);
        }

        return default;
    }

    private static Status ParseStatus(string code, string? message)
    {
        string detail = GrpcProtocol.DecodeStatusMessage(message);
        if (int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value is >= 0 and <= 16)
        {
            return new Status((StatusCode)value, detail);
        }

        return new Status(StatusCode.Unknown, $"Unexpected grpc-status value '{code}'. {detail}");
    }

    private RpcException MapException(Exception ex)
    {
        if (_cancelledByCaller || _options.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "Call cancelled by the client."), ex);
        }

        if (_deadlineCts?.IsCancellationRequested == true)
        {
            return new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), ex);
        }

        if (_disposed || ex is OperationCanceledException)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "Call cancelled (disposed)."), ex);
        }

        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException { ErrorCode: 0 })
            {
                // NO_ERROR before the call's status: the server sent a graceful GOAWAY and closed the connection (it is
                // stopping or restarting). .NET reports that with the same exception as a RST_STREAM, whose NO_ERROR the
                // spec maps to INTERNAL; but a working server never resets a stream with NO_ERROR before its trailers,
                // and callers retry UNAVAILABLE, as they do when the connection is refused a moment later.
                return new RpcException(new Status(StatusCode.Unavailable,
                    $"{_channel.Address} closed the connection (HTTP/2 NO_ERROR): the server is shutting down or restarting."), ex);
            }
            if (e is HttpProtocolException protocol)
            {
                // HTTP2 Transport Mapping: Errors — RST_STREAM codes map to gRPC statuses.
                return new RpcException(new Status(GrpcProtocol.FromHttp2ErrorCode(protocol.ErrorCode),
                    $"HTTP/2 stream error {protocol.ErrorCode.ToString(CultureInfo.InvariantCulture)}: {protocol.Message}"), ex);
            }
        }

        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return new RpcException(new Status(StatusCode.Unavailable,
                    $"Error connecting to {_channel.Address}: {socket.Message} ({socket.SocketErrorCode})"), ex);
            }
        }

        if (ex is HttpRequestException or IOException)
        {
            return new RpcException(new Status(StatusCode.Unavailable, $"Connection to {_channel.Address} failed: {ex.Message}"), ex);
        }

        return new RpcException(new Status(StatusCode.Internal, $"Client-side failure: {ex.GetType().Name}: {ex.Message}"), ex);
    }

    private static void CopyMetadata(HttpHeaders headers, Metadata target)
    {
        foreach (KeyValuePair<string, IEnumerable<string>> header in headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }

            foreach (string value in header.Value)
            {
                target.AddFromWire(header.Key, value);
            }
        }
    }

    private static string? FirstValue(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault() : null;

    private static DateTime ToUtc(DateTime t) => t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_status is null)
        {
            // Unfinished: cancelling resets the HTTP/2 stream (RST_STREAM CANCEL) so the server stops.
            _callCts.Cancel();
        }

        _body?.Dispose();
        _response?.Dispose();
        _callCts.Dispose();
        _deadlineCts?.Dispose();
    }
}
