using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// Serves the bound methods of one or more services over HTTP/2 (Kestrel, h2c or TLS). Use it as
/// middleware (<see cref="GrpcApplicationBuilderExtensions.UseGrpcEndpoint"/>) on an endpoint whose
/// protocol is HTTP/2 only, or through <see cref="GrpcServer"/>.
/// </summary>
/// <remarks>
/// Per call (PROTOCOL-HTTP2.md): checks ":method POST" and Content-Type (Requests), resolves Path to a
/// bound method (unknown → UNIMPLEMENTED, Trailers-Only), refuses a non-identity grpc-encoding with
/// UNIMPLEMENTED, turns grpc-timeout into a deadline that cancels <see cref="ServerCallContext.CancellationToken"/>
/// and ends the call with DEADLINE_EXCEEDED, and maps handler outcomes to a Status (Responses: Status).
/// </remarks>
public sealed class GrpcEndpoint
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the endpoint for the given bound services.</summary>
    public GrpcEndpoint(GrpcServerOptions? options, ILogger<GrpcEndpoint>? logger, params GrpcServiceBinder[] services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _options = options ?? new GrpcServerOptions();
        if (_options.MaxReceiveMessageSize < 0 || _options.MaxSendMessageSize < 0)
        {
            throw new ArgumentException("GrpcServerOptions: message size limits must be >= 0.", nameof(options));
        }

        _logger = (ILogger?)logger ?? NullLogger.Instance;
        foreach (GrpcServiceBinder service in services)
        {
            if (!_services.Add(service.Service.FullName))
            {
                throw new ArgumentException($"Service {service.Service.FullName} is registered twice.", nameof(services));
            }

            foreach ((string path, ServerMethod method) in service.Methods)
            {
                _methods.Add(path, method);
            }
        }
    }

    /// <summary>True when the request looks like a gRPC call (so middleware should hand it to us).</summary>
    public bool IsGrpcRequest(HttpContext http) =>
        GrpcProtocol.IsGrpcContentType(http.Request.ContentType) || _methods.ContainsKey(http.Request.Path.Value ?? "");

    /// <summary>Handles one call. Never throws for call-level errors: they become a gRPC status.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        HttpRequest request = http.Request;
        string path = request.Path.Value ?? "";

        // Requests: Method → ":method POST". Not a gRPC error yet: plain HTTP answer.
        if (!HttpMethods.IsPost(request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            http.Response.Headers.Allow = "POST";
            return;
        }

        // Requests: "If Content-Type does not begin with application/grpc, gRPC servers SHOULD respond with HTTP status 415".
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        if (http.Request.Protocol != "HTTP/2" && http.Request.Protocol != "HTTP/3")
        {
            // gRPC needs trailers, which HTTP/1.1 responses cannot carry here.
            http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            http.Response.Headers.Upgrade = "h2c";
            return;
        }

        Metadata requestHeaders = ReadMetadata(request.Headers);
        DateTime deadline = DateTime.MaxValue;
        TimeSpan? timeout = null;
        string? timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader];
        Status? early = null;
        if (timeoutHeader is not null)
        {
            if (GrpcProtocol.TryParseTimeout(timeoutHeader, out TimeSpan parsed))
            {
                timeout = parsed;
                // Timeouts beyond what a timer can hold (~49 days) are effectively "no deadline".
                if (parsed < TimeSpan.FromDays(30))
                {
                    deadline = DateTime.UtcNow + parsed;
                }
                else
                {
                    timeout = null;
                }
            }
            else
            {
                early = new Status(StatusCode.Internal, $"Malformed grpc-timeout header '{timeoutHeader}': expected 1-8 digits followed by one of H M S m u n.");
            }
        }

        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (early is null && !string.IsNullOrEmpty(encoding) && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = "identity";
            early = new Status(StatusCode.Unimplemented, $"Message encoding '{encoding}' is not supported; this server accepts identity only.");
        }

        ServerMethod? method = null;
        if (early is null && !_methods.TryGetValue(path, out method))
        {
            early = new Status(StatusCode.Unimplemented, UnimplementedMessage(path));
        }

        // The deadline has its own source so that "deadline passed" and "client went away" stay distinguishable.
        using var deadlineCts = timeout is { } t && early is null ? new CancellationTokenSource(t) : null;
        using var callCts = deadlineCts is null
            ? CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted)
            : CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, deadlineCts.Token);
        var context = new ServerCallContext(http, path, deadline, requestHeaders, callCts.Token);
        using var call = new ServerCall(http, _options, context, callCts);
        if (early is not null || method is null)
        {
            _logger.LogDebug("gRPC call {Path} refused: {Status}", path, early);
            await TryCompleteAsync(call, early ?? new Status(StatusCode.Unimplemented, UnimplementedMessage(path))).ConfigureAwait(false);
            return;
        }

        ServerCall.DisableBodySizeLimit(http);
        var callEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = callCts.Token.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), callEnded);
        bool DeadlineFired() => deadlineCts?.IsCancellationRequested == true;

        Task handlerTask = InvokeSafelyAsync(method, call);
        Task first = await Task.WhenAny(handlerTask, callEnded.Task).ConfigureAwait(false);
        if (first != handlerTask)
        {
            // The deadline (or the client's cancel) came first: answer now, then wait for the handler
            // so the HttpContext is not recycled under it. Its late writes fail (call completed).
            Status status = DeadlineFired()
                ? new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")
                : new Status(StatusCode.Cancelled, "Call cancelled by the client");
            await TryCompleteAsync(call, status).ConfigureAwait(false);
            try
            {
                await handlerTask.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Expected (the handler saw its cancellation); the status is already sent.
                _logger.LogDebug(ex, "Handler of {Method} ended after the call finished with {Status}", path, status);
            }

            return;
        }

        Status result = await handlerTask.ContinueWith(
            static (t, state) => ((GrpcEndpoint)state!).MapOutcome(t), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        if (result.StatusCode != StatusCode.OK && DeadlineFired())
        {
            result = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        await TryCompleteAsync(call, result).ConfigureAwait(false);
    }

    private static async Task InvokeSafelyAsync(ServerMethod method, ServerCall call)
    {
        // Yield first so a handler that blocks synchronously cannot delay the deadline race.
        await Task.Yield();
        await method.InvokeAsync(call).ConfigureAwait(false);
    }

    private Status MapOutcome(Task handlerTask)
    {
        if (handlerTask.IsCompletedSuccessfully)
        {
            return Status.DefaultSuccess;
        }

        Exception? ex = handlerTask.Exception?.GetBaseException();
        switch (ex)
        {
            case RpcException rpc:
                return rpc.Status;
            case OperationCanceledException or null:
                return new Status(StatusCode.Cancelled, "The call was cancelled");
            default:
                _logger.LogError(ex, "gRPC handler failed with an unexpected exception");
                return new Status(StatusCode.Unknown,
                    _options.IncludeExceptionDetails
                        ? $"Exception was thrown by handler. {ex.GetType().Name}: {ex.Message}"
                        : "Exception was thrown by handler (details are in the server log).");
        }
    }

    private async Task TryCompleteAsync(ServerCall call, Status status)
    {
        try
        {
            await call.CompleteAsync(status).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone (RST_STREAM / connection closed): nobody to send the status to.
            _logger.LogDebug(ex, "Could not send status {Status} of {Method}", status, call.Context.Method);
        }
    }

    private string UnimplementedMessage(string path)
    {
        // Path → "/" Service-Name "/" {method name}
        int slash = path.LastIndexOf('/');
        string service = slash > 0 ? path[1..slash] : "";
        return _services.Contains(service)
            ? $"Method is unimplemented: {path}"
            : $"Service is unimplemented: {path}";
    }

    private static Metadata ReadMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }

            foreach (string? value in header.Value)
            {
                metadata.AddFromWire(header.Key, value ?? "");
            }
        }

        return metadata;
    }
}
