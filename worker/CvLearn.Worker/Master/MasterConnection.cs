using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace CvLearn.Worker.Master;

/// <summary>Timeouts and retry budget of a <see cref="MasterConnection"/>.</summary>
public sealed record MasterConnectionOptions
{
    /// <summary>Deadline of each call (sent as grpc-timeout).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one call keeps retrying an unreachable master before giving up.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First retry delay; later ones grow exponentially (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Consecutive failures (within 30 s) that open the circuit; while open, calls are not sent.</summary>
    public int BreakAfterFailures { get; init; } = 5;

    /// <summary>How long the circuit stays open before one trial call is let through.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The master could not be reached within the retry budget.</summary>
public sealed class MasterUnavailableException : Exception
{
    public MasterUnavailableException() { }

    public MasterUnavailableException(string message) : base(message) { }

    public MasterUnavailableException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// The worker's side of the conversation with the master, over <see cref="SearchServiceClient"/>: every call has a
/// deadline; UNAVAILABLE and DEADLINE_EXCEEDED are retried with exponential backoff and jitter behind a circuit
/// breaker (Polly), each retry logged, until <see cref="MasterConnectionOptions.GiveUpAfter"/>; then a
/// <see cref="MasterUnavailableException"/>. When the master answers NOT_FOUND for our worker id (it restarted and
/// forgot us), the connection joins again and repeats the call with the new id. Thread-safe (the heartbeat loop and
/// the trial loop share it).
/// </summary>
public sealed class MasterConnection : IDisposable
{
    private static readonly ResiliencePropertyKey<string> MethodKey = new("cvlearn.method");

    private readonly RpcChannel _channel;
    private readonly SearchServiceClient _client;
    private readonly JoinRequest _joinRequest;
    private readonly MasterConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _joinLock = new(1, 1);
    private volatile JoinResponse? _session;
    private int _joins;

    public MasterConnection(Uri address, JoinRequest joinRequest, MasterConnectionOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(joinRequest);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _channel = new RpcChannel(address, new RpcChannelOptions
        {
            ConnectTimeout = options.CallTimeout,
            UserAgentSuffix = "cvlearn-worker",
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        _client = new SearchServiceClient(_channel);
        _joinRequest = joinRequest;
        _options = options;
        _logger = logger;
        _pipeline = BuildPipeline();
    }

    /// <summary>The master's address.</summary>
    public Uri Address => _channel.Address;

    /// <summary>The current registration (null before the first join).</summary>
    public JoinResponse? Session => _session;

    /// <summary>How many times this worker joined (1 + re-joins after NOT_FOUND).</summary>
    public int Joins => Volatile.Read(ref _joins);

    /// <summary>Joins (again), replacing the current registration.</summary>
    public async Task<JoinResponse> JoinAsync(CancellationToken ct)
    {
        await _joinLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await JoinLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _joinLock.Release();
        }
    }

    public Task<AcquireTrialResponse> AcquireTrialAsync(CancellationToken ct) =>
        WorkerCallAsync("AcquireTrial", (id, o) => _client.AcquireTrialAsync(new AcquireTrialRequest { WorkerId = id }, o), ct);

    public Task<EpochReply> ReportEpochAsync(EpochReport report, CancellationToken ct) =>
        WorkerCallAsync("ReportEpoch", (id, o) => _client.ReportEpochAsync(With(report, r => r.WorkerId = id), o), ct);

    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CancellationToken ct) =>
        WorkerCallAsync("Heartbeat", (id, o) => _client.HeartbeatAsync(With(request, r => r.WorkerId = id), o), ct);

    public Task<CompleteReply> CompleteTrialAsync(TrialResult result, CancellationToken ct) =>
        WorkerCallAsync("CompleteTrial", (id, o) => _client.CompleteTrialAsync(With(result, r => r.WorkerId = id), o), ct);

    /// <summary>
    /// Says goodbye: one quick call (no retries, no re-join; the caller is shutting down and bounds the time with
    /// <paramref name="timeout"/>). Returns null when the master could not be told.
    /// </summary>
    public async Task<LeaveReply?> LeaveAsync(string trialId, int attempt, string reason, TimeSpan timeout)
    {
        var session = _session;
        if (session is null) return null;
        var request = new LeaveRequest { WorkerId = session.WorkerId, TrialId = trialId, Attempt = attempt, Reason = reason };
        try
        {
            var reply = await _client.LeaveAsync(request, CallOptions.WithTimeout(timeout)).ConfigureAwait(false);
            _logger.LogInformation("Left the master ({Reason}); trial {TrialId} requeued: {Requeued}.", reason, string.IsNullOrEmpty(trialId) ? "(none)" : trialId, reply.Requeued);
            return reply;
        }
        catch (RpcException ex)
        {
            _logger.LogWarning("Could not tell the master that this worker leaves ({Reason}): {Status} {Detail}. Its lease will expire instead.", reason, ex.StatusCode, ex.Status.Detail);
            return null;
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _joinLock.Dispose();
    }

    private async Task<JoinResponse> JoinLockedAsync(CancellationToken ct)
    {
        var response = await CallAsync("Join", o => _client.JoinAsync(_joinRequest, o), ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(response.WorkerId))
            throw new MasterUnavailableException($"The master at {Address} answered Join without a worker id.");
        _session = response;
        int n = Interlocked.Increment(ref _joins);
        _logger.LogInformation("{Verb} master {Address} as {WorkerName}: worker id {WorkerId}, experiment {Experiment}, storage {Storage}, heartbeat every {HeartbeatMs} ms, lease {LeaseMs} ms.",
            n == 1 ? "Joined" : "Re-joined", Address, _joinRequest.WorkerName, response.WorkerId, response.Experiment, response.StorageHint, response.HeartbeatIntervalMs, response.LeaseMs);
        return response;
    }

    /// <summary>A call on behalf of our worker id; on NOT_FOUND (unknown worker) joins again once and repeats it.</summary>
    private async Task<T> WorkerCallAsync<T>(string method, Func<string, CallOptions, Task<T>> call, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            var session = _session ?? await JoinAsync(ct).ConfigureAwait(false);
            string id = session.WorkerId;
            try
            {
                return await CallAsync(method, o => call(id, o), ct).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && attempt == 0)
            {
                _logger.LogWarning("The master answered {Method} with NOT_FOUND ({Detail}): it no longer knows worker {WorkerId}; joining again.", method, ex.Status.Detail, id);
                await RejoinAsync(id, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task RejoinAsync(string staleId, CancellationToken ct)
    {
        await _joinLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Another caller (the heartbeat loop) may have re-joined already.
            if (_session is null || _session.WorkerId == staleId) await JoinLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _joinLock.Release();
        }
    }

    /// <summary>One call through the retry pipeline, bounded by the give-up budget.</summary>
    private async Task<T> CallAsync<T>(string method, Func<CallOptions, Task<T>> call, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.GiveUpAfter);
        var context = ResilienceContextPool.Shared.Get(budget.Token);
        context.Properties.Set(MethodKey, method);
        Exception? last = null;
        try
        {
            return await _pipeline.ExecuteAsync(async ctx =>
            {
                var token = ctx.CancellationToken;
                try
                {
                    return await call(CallOptions.WithTimeout(_options.CallTimeout, cancellationToken: token)).ConfigureAwait(false);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
                {
                    throw new OperationCanceledException(token);
                }
                catch (Exception ex)
                {
                    last = ex;
                    throw;
                }
            }, context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            string why = last switch
            {
                RpcException r => $"{r.StatusCode}: {r.Status.Detail}",
                BrokenCircuitException => "circuit open after repeated failures",
                null => "no answer",
                var e => e.Message,
            };
            throw new MasterUnavailableException(
                $"The master at {Address} did not answer {method} for {_options.GiveUpAfter.TotalSeconds:0} s (last error: {why}). Is it running and reachable? Giving up.", last);
        }
        catch (BrokenCircuitException ex)
        {
            throw new MasterUnavailableException($"The master at {Address} is unreachable ({method}): {ex.Message}", last ?? ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static bool IsTransient(Exception ex) =>
        ex is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } or BrokenCircuitException;

    private ResiliencePipeline BuildPipeline() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.InitialBackoff,
            MaxDelay = _options.MaxBackoff,
            OnRetry = args =>
            {
                string method = args.Context.Properties.GetValue(MethodKey, "call");
                string error = args.Outcome.Exception switch
                {
                    RpcException r => $"{r.StatusCode} ({r.Status.Detail})",
                    BrokenCircuitException => "circuit open",
                    var e => e?.Message ?? "?",
                };
                _logger.LogWarning("{Method} to {Address} failed: {Error}; retry {Attempt} in {DelayMs:F0} ms.",
                    method, Address, error, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded }),
            FailureRatio = 1.0,
            MinimumThroughput = Math.Max(2, _options.BreakAfterFailures),
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = _options.BreakDuration,
            OnOpened = args =>
            {
                _logger.LogWarning("Master {Address} keeps failing: pausing calls for {BreakMs:F0} ms (circuit open).", Address, args.BreakDuration.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                _logger.LogInformation("Master {Address} answers again (circuit closed).", Address);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    private static T With<T>(T message, Action<T> set) where T : Google.Protobuf.IMessage<T>
    {
        var copy = message.Clone();
        set(copy);
        return copy;
    }
}
