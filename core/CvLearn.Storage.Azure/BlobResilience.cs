using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CvLearn.Storage.Azure;

/// <summary>
/// The resilience pipeline around every Blob request attempt: retry (exponential backoff with jitter, honouring
/// Retry-After) → circuit breaker → per-attempt timeout. Transient: 408, 429, 500, 502, 503, 504, attempt timeouts,
/// connection failures and resets (<see cref="HttpRequestException"/>, <see cref="IOException"/>, SocketException). Each request
/// attempt is built afresh (new date, new signature, same body), so retrying an upload is safe: Put Blob, Put Block
/// and Put Block List are idempotent.
/// </summary>
public static class BlobResilience
{
    /// <summary>What an attempt does ("Put Block PUT /acct/container/blob"), for the retry log.</summary>
    internal static readonly ResiliencePropertyKey<string> Operation = new("cvlearn.blob.operation");

    /// <summary>Status codes worth retrying.</summary>
    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    internal static ResiliencePipeline<HttpResponseMessage> Build(AzureBlobStoreOptions options, ILogger log, string store)
    {
        PredicateBuilder<HttpResponseMessage> Transient() => new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<IOException>()
            .Handle<System.Net.Sockets.SocketException>()   // can escape HttpClient when a connection is reset right after connect
            .Handle<TimeoutRejectedException>()
            .Handle<OperationCanceledException>(ex => ex.InnerException is TimeoutException)   // HttpClient's connect timeout
            .HandleResult(r => IsTransient(r.StatusCode));

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = Transient(),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.MaxRetryDelay)),
                OnRetry = args =>
                {
                    HttpResponseMessage? r = args.Outcome.Result;
                    string what = args.Context.Properties.TryGetValue(Operation, out string? op) ? op
                        : r?.RequestMessage is { } req ? $"{req.Method} {req.RequestUri?.AbsolutePath}" : "request";
                    string reason = r is not null
                        ? $"{(int)r.StatusCode} {(r.Headers.TryGetValues("x-ms-error-code", out var c) ? c.FirstOrDefault() : r.ReasonPhrase)}"
                        : $"{args.Outcome.Exception?.GetType().Name}: {Redaction.RedactQuery(args.Outcome.Exception?.Message ?? "")}";
                    log.LogWarning("Azure Blob {What} on {Store} failed ({Reason}); retry {Attempt}/{Max} in {Delay:0.00} s.",
                        what, store, reason, args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay.TotalSeconds);
                    r?.Dispose();
                    return default;
                },
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            ShouldHandle = Transient(),
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = Math.Max(2, options.CircuitMinimumThroughput),
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = options.CircuitBreakDuration < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : options.CircuitBreakDuration,
            OnOpened = args =>
            {
                log.LogError("Azure Blob Storage {Store} keeps failing; circuit open for {Seconds:0.#} s.", store, args.BreakDuration.TotalSeconds);
                return default;
            },
            OnClosed = _ =>
            {
                log.LogInformation("Azure Blob Storage {Store} answers again; circuit closed.", store);
                return default;
            },
        });
        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max)
    {
        if (response?.Headers.RetryAfter is not { } ra) return null;
        TimeSpan? delay = ra.Delta ?? (ra.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is not { } d) return null;
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        return d > max ? max : d;
    }
}
