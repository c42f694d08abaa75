using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// The server side of one call on one HTTP/2 stream: reads Length-Prefixed-Messages from the request
/// body, writes Response-Headers, messages and Trailers (or a Trailers-Only response), and makes sure
/// exactly one status is sent even when the deadline races the handler.
/// </summary>
internal sealed class ServerCall : IDisposable
{
    private readonly HttpContext _http;
    private readonly GrpcServerOptions _options;
    private readonly CancellationTokenSource _callCts;
    // Serializes message writes against completion: the deadline timer may complete the call while a
    // streaming handler is in the middle of WriteAsync.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _headersSent;
    private bool _completed;

    public ServerCall(HttpContext http, GrpcServerOptions options, ServerCallContext context, CancellationTokenSource callCts)
    {
        _http = http;
        _options = options;
        _callCts = callCts;
        Context = context;
    }

    public ServerCallContext Context { get; }

    /// <summary>True once a status was sent.</summary>
    public bool IsCompleted => Volatile.Read(ref _completed);

    /// <summary>
    /// Reads the single request message of a unary or server-streaming call, then requires EOS
    /// (Request → Request-Headers *Length-Prefixed-Message EOS).
    /// </summary>
    public async Task<T> ReadSingleRequestAsync<T>(MessageParser<T> parser, CancellationToken ct)
        where T : IMessage<T>
    {
        PipeReader reader = _http.Request.BodyReader;
        T? message = await ReadMessageAsync(reader, parser, ct).ConfigureAwait(false);
        if (message is null)
        {
            throw new RpcException(StatusCode.Internal, "The request ended without a message; this method needs exactly one request message.");
        }

        T? extra = await ReadMessageAsync(reader, parser, ct).ConfigureAwait(false);
        if (extra is not null)
        {
            throw new RpcException(StatusCode.Internal, "The request carried more than one message; this method accepts exactly one.");
        }

        return message;
    }

    // Length-Prefixed-Message → Compressed-Flag Message-Length Message. Returns null at EOS.
    private async Task<T?> ReadMessageAsync<T>(PipeReader reader, MessageParser<T> parser, CancellationToken ct)
        where T : IMessage<T>
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(ct).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= GrpcProtocol.MessageHeaderSize)
            {
                (byte flag, uint length) = ReadHeader(buffer);
                if (flag != 0)
                {
                    reader.AdvanceTo(buffer.Start);
                    // Compressed-Flag 1 with no (or identity) grpc-encoding is a protocol error; we accept
                    // no other encoding (checked earlier), so any set flag is one.
                    throw new RpcException(StatusCode.Internal,
                        flag == 1
                            ? "Request message has the Compressed-Flag set, but the call uses identity encoding."
                            : $"Request message has an invalid Compressed-Flag {flag} (must be 0 or 1).");
                }

                if (length > (uint)_options.MaxReceiveMessageSize)
                {
                    // Refuse before buffering the body: the length prefix is enough to decide.
                    reader.AdvanceTo(buffer.Start);
                    throw new RpcException(StatusCode.ResourceExhausted,
                        $"Received message larger than max ({length.ToString(CultureInfo.InvariantCulture)} vs. {_options.MaxReceiveMessageSize.ToString(CultureInfo.InvariantCulture)})");
                }

                long total = GrpcProtocol.MessageHeaderSize + (long)length;
                if (buffer.Length >= total)
                {
                    ReadOnlySequence<byte> payload = buffer.Slice(GrpcProtocol.MessageHeaderSize, length);
                    T message;
                    try
                    {
                        message = parser.ParseFrom(payload);
                    }
                    catch (InvalidProtocolBufferException ex)
                    {
                        // Appendix A (gRPC for Protobuf): a message that fails to parse is INTERNAL.
                        throw new RpcException(StatusCode.Internal, "Failed to deserialize request message: " + ex.Message);
                    }
                    finally
                    {
                        reader.AdvanceTo(buffer.GetPosition(total));
                    }

                    return message;
                }
            }

            if (result.IsCompleted)
            {
                long remaining = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (remaining == 0)
                {
                    return default;
                }

                throw new RpcException(StatusCode.Internal, "The request ended in the middle of a message (truncated Length-Prefixed-Message).");
            }

            // Not enough yet: mark everything examined so ReadAsync waits for more bytes.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // Kestrel signals RequestAborted asynchronously; the flush can notice the reset stream first. Cancel
    // the call token now so the handler sees one consistent picture: call failed <=> token cancelled.
    private RpcException ClientGone(Exception? inner)
    {
        try
        {
            _callCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Call already over.
        }

        return new RpcException(new Status(StatusCode.Cancelled, "The client went away while the response was being written."), inner);
    }

    private static (byte Flag, uint Length) ReadHeader(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[GrpcProtocol.MessageHeaderSize];
        buffer.Slice(0, GrpcProtocol.MessageHeaderSize).CopyTo(header);
        return (header[0], BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
    }

    /// <summary>Sends Response-Headers (if not yet sent) and one Length-Prefixed-Message, then flushes.</summary>
    public async Task WriteMessageAsync(IMessage message, CancellationToken ct)
    {
        int size = message.CalculateSize();
        if (size > _options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({size.ToString(CultureInfo.InvariantCulture)} vs. {_options.MaxSendMessageSize.ToString(CultureInfo.InvariantCulture)})");
        }

        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                throw new RpcException(StatusCode.Cancelled, "The call is already finished (deadline passed or client cancelled); the message was not sent.");
            }

            SendHeadersIfNeeded();
            PipeWriter writer = _http.Response.BodyWriter;
            Span<byte> span = writer.GetSpan(GrpcProtocol.MessageHeaderSize + size);
            span[0] = 0; // Compressed-Flag: identity.
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
            message.WriteTo(span.Slice(GrpcProtocol.MessageHeaderSize, size));
            writer.Advance(GrpcProtocol.MessageHeaderSize + size);
            FlushResult flush;
            try
            {
                flush = await writer.FlushAsync(ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw ClientGone(ex);
            }

            if (flush.IsCanceled || flush.IsCompleted)
            {
                throw ClientGone(null);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Ends the call with <paramref name="status"/>: in trailers after a response that has started,
    /// otherwise as a Trailers-Only response (grpc-status in the only HEADERS frame). Idempotent:
    /// returns false when a status was already sent.
    /// </summary>
    public async Task<bool> CompleteAsync(Status status)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                return false;
            }

            _completed = true;
            HttpResponse response = _http.Response;
            if (!_headersSent && !response.HasStarted)
            {
                // Trailers-Only → HTTP-Status Content-Type Trailers
                _headersSent = true;
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = GrpcProtocol.ContentType;
                response.Headers[GrpcProtocol.StatusHeader] = ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture);
                if (!string.IsNullOrEmpty(status.Detail))
                {
                    response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeStatusMessage(status.Detail);
                }

                foreach (Metadata.Entry entry in Context.ResponseTrailers)
                {
                    response.Headers.Append(entry.Key, entry.WireValue);
                }
            }
            else
            {
                // Trailers → Status [Status-Message] *Custom-Metadata
                response.AppendTrailer(GrpcProtocol.StatusHeader, ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture));
                if (!string.IsNullOrEmpty(status.Detail))
                {
                    response.AppendTrailer(GrpcProtocol.MessageHeader, GrpcProtocol.EncodeStatusMessage(status.Detail));
                }

                foreach (Metadata.Entry entry in Context.ResponseTrailers)
                {
                    response.AppendTrailer(entry.Key, entry.WireValue);
                }
            }

            // Sends END_STREAM now (with the trailers, or on the headers of a Trailers-Only response)
            // even if a handler that ignored cancellation is still running.
            await response.CompleteAsync().ConfigureAwait(false);
            return true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void SendHeadersIfNeeded()
    {
        if (_headersSent)
        {
            return;
        }

        _headersSent = true;
        // Response-Headers → HTTP-Status [Message-Encoding] [Message-Accept-Encoding] Content-Type *Custom-Metadata
        HttpResponse response = _http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = "identity";
    }

    /// <inheritdoc />
    public void Dispose() => _writeLock.Dispose();

    /// <summary>Lifts Kestrel's whole-body limit: we enforce a per-message limit instead, and streams may be long.</summary>
    public static void DisableBodySizeLimit(HttpContext http)
    {
        IHttpMaxRequestBodySizeFeature? feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = null;
        }
    }
}
