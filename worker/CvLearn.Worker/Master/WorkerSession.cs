using CvLearn.Storage.Azure;
using CvLearn.Core.Checkpoints;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;
using CvLearn.Worker.Running;
using Microsoft.Extensions.Logging;

namespace CvLearn.Worker.Master;

/// <summary>Settings of a <see cref="WorkerSession"/> (the `join` command's flags).</summary>
public sealed record WorkerSessionOptions
{
    /// <summary>--storage: overrides the master's storage_hint.</summary>
    public string? Storage { get; init; }

    /// <summary>--data-dir: overrides the trials' data_dir.</summary>
    public string? DataDir { get; init; }

    /// <summary>Heartbeat interval when the master announces none.</summary>
    public TimeSpan DefaultHeartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the goodbye (Leave) may take when shutting down.</summary>
    public TimeSpan LeaveTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>One line per epoch (stdout), or null.</summary>
    public TextWriter? EpochLines { get; init; }
}

/// <summary>
/// The join loop: Join → AcquireTrial → (run the trial with heartbeats, reporting each epoch) → CompleteTrial → …
/// until the master says the search is finished (returns normally) or <c>shutdown</c> fires (cancels the running
/// trial, calls Leave so the master requeues it at once, returns normally). A master unreachable beyond the retry
/// budget throws <see cref="MasterUnavailableException"/>.
/// </summary>
public sealed class WorkerSession
{
    private readonly MasterConnection _master;
    private readonly WorkerSessionOptions _options;
    private readonly ILogger _logger;
    private ICheckpointStore? _store;
    private readonly TrialBuffers _trialBuffers = new(); // every trial's checkpoints, one at a time
    private (string TrialId, int Attempt)? _current;

    public WorkerSession(MasterConnection master, WorkerSessionOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _master = master;
        _options = options;
        _logger = logger;
    }

    /// <summary>Trials run to an end reported with CompleteTrial.</summary>
    public int TrialsCompleted { get; private set; }

    /// <summary>
    /// Runs until the search finishes (true) or <paramref name="shutdown"/> fires (false, after Leave with
    /// <paramref name="shutdownReason"/>()).
    /// </summary>
    public async Task<bool> RunAsync(Func<string> shutdownReason, CancellationToken shutdown)
    {
        ArgumentNullException.ThrowIfNull(shutdownReason);
        try
        {
            await _master.JoinAsync(shutdown).ConfigureAwait(false);
            await OpenStoreAsync(shutdown).ConfigureAwait(false); // a bad storage location fails before a trial is taken
            AcquireTrialResponse? next = null; // handed out with the previous trial's CompleteTrial (acquire_next)
            while (true)
            {
                shutdown.ThrowIfCancellationRequested();
                var response = next ?? await _master.AcquireTrialAsync(shutdown).ConfigureAwait(false);
                next = null;
                switch (response.ResultCase)
                {
                    case AcquireTrialResponse.ResultOneofCase.Finished:
                        _logger.LogInformation("The search is finished ({Reason}); {Trials} trials ran on this worker.", response.Finished.Reason, TrialsCompleted);
                        return true;
                    case AcquireTrialResponse.ResultOneofCase.Trial:
                        next = await RunTrialAsync(response.Trial, shutdown).ConfigureAwait(false);
                        break;
                    default:
                        var wait = response.Wait ?? new WaitHint();
                        int ms = wait.RetryAfterMs > 0 ? wait.RetryAfterMs : 1000;
                        _logger.LogDebug("No trial yet ({Reason}); asking again in {Ms} ms.", string.IsNullOrEmpty(wait.Reason) ? "wait" : wait.Reason, ms);
                        await Task.Delay(ms, shutdown).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            var current = _current;
            string reason = shutdownReason();
            _logger.LogInformation("Shutting down ({Reason}){Trial}.", reason, current is { } c ? $": handing trial {c.TrialId} back" : "");
            await _master.LeaveAsync(current?.TrialId ?? "", current?.Attempt ?? 0, reason, _options.LeaveTimeout).ConfigureAwait(false);
            return false;
        }
    }

    private ICheckpointStore Store() => _store ?? throw new InvalidOperationException("the store is opened right after Join");

    private async Task OpenStoreAsync(CancellationToken ct)
    {
        if (_store is not null) return;
        string? location = !string.IsNullOrWhiteSpace(_options.Storage) ? _options.Storage : _master.Session?.StorageHint;
        if (string.IsNullOrWhiteSpace(location))
            throw new ArgumentException("--storage: the master announced no storage location; give --storage DIR (the shared checkpoint directory).");
        _store = await AzureStorage.OpenAsync(location, ct).ConfigureAwait(false);
        _logger.LogInformation("Checkpoints go to {Store}.", _store.Describe);
    }

    private async Task<AcquireTrialResponse?> RunTrialAsync(TrialAssignment assignment, CancellationToken shutdown)
    {
        _current = (assignment.TrialId, assignment.Attempt);
        using var progress = new TrialProgress();
        TrialOutcome outcome;
        var heartbeatStop = new CancellationTokenSource();
        Task heartbeat = Task.CompletedTask;
        try
        {
            TrialSpec? spec = null;
            try
            {
                spec = TrialMapping.ToSpec(assignment);
            }
            catch (ArgumentException ex)
            {
                outcome = new TrialOutcome(TrialEndStatus.Failed, "invalid trial: " + ex.Message, 0, null, 0);
                return await CompleteAsync(assignment, outcome, shutdown).ConfigureAwait(false);
            }
            var runner = new TrialRunner(Store(), _logger, _options.DataDir, _options.EpochLines, _trialBuffers);
            heartbeat = HeartbeatLoopAsync(spec, progress, heartbeatStop.Token);
            try
            {
                outcome = await runner.RunAsync(spec, new Reporter(this, assignment, progress), progress, shutdown).ConfigureAwait(false);
            }
            catch (Exception ex) when (TrialRunner.IsMachineProblem(ex))
            {
                var left = await HandBackAsync(assignment, ex).ConfigureAwait(false);
                string trial = left is { Requeued: true }
                    ? $"Trial {assignment.TrialId} went back to the master's queue for another worker"
                    : $"The master could not be told (trial {assignment.TrialId} returns to its queue when its lease runs out)";
                throw new MachineCannotRunException($"this machine cannot run the trials of experiment '{assignment.Experiment}': {OneLine(ex.Message)} "
                    + $"{trial}; fix this machine, then join again.", ex);
            }
        }
        finally
        {
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            heartbeatStop.Dispose();
        }
        if (outcome.Status == TrialEndStatus.Cancelled)
        {
            shutdown.ThrowIfCancellationRequested();
            outcome = outcome with { Status = TrialEndStatus.Failed, Message = outcome.Message ?? "cancelled" };
        }
        var next = await CompleteAsync(assignment, outcome, shutdown).ConfigureAwait(false);
        _current = null;
        return next;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Gives the trial back unharmed (Leave: the master requeues it without counting a failure) and leaves the
    /// search. Null when the master could not be told.</summary>
    private async Task<LeaveReply?> HandBackAsync(TrialAssignment assignment, Exception problem)
    {
        _logger.LogError("Trial {TrialId}: this machine cannot load the dataset ({Error}); handing the trial back and leaving the search.",
            assignment.TrialId, problem.GetType().Name);
        _current = null;
        return await _master.LeaveAsync(assignment.TrialId, assignment.Attempt, "cannot load the dataset on this machine: " + problem.Message, _options.LeaveTimeout)
            .ConfigureAwait(false);
    }

    /// <summary>Reports the end of a trial and, in the same call, asks for the next one (null when the master refused the result).</summary>
    private async Task<AcquireTrialResponse?> CompleteAsync(TrialAssignment assignment, TrialOutcome outcome, CancellationToken ct)
    {
        var result = new TrialResult
        {
            TrialId = assignment.TrialId,
            Attempt = assignment.Attempt,
            Status = TrialMapping.ToWire(outcome.Status),
            Message = outcome.Message ?? "",
            BestValAcc = Math.Clamp(outcome.BestValidationAccuracy, 0, 1),
            BestCheckpointKey = outcome.BestCheckpointKey ?? "",
            EpochsDone = outcome.EpochsDone,
            AcquireNext = true,
            FinalEpoch = outcome.LastEpoch is { } last ? TrialMapping.ToReport(assignment, last) : null,
        };
        AcquireTrialResponse? next = null;
        try
        {
            var reply = await _master.CompleteTrialAsync(result, ct).ConfigureAwait(false);
            TrialsCompleted++;
            next = reply.Next; // null from a master that predates acquire_next: the loop then calls AcquireTrial
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
        {
            // The master no longer wants this result (trial requeued elsewhere, master restarted): nothing to retry.
            _logger.LogWarning("The master refused the result of trial {TrialId}: {Status} {Detail}.", assignment.TrialId, ex.StatusCode, ex.Status.Detail);
        }
        _current = null;
        return next;
    }

    private async Task HeartbeatLoopAsync(TrialSpec trial, TrialProgress progress, CancellationToken ct)
    {
        int ms = _master.Session?.HeartbeatIntervalMs ?? 0;
        var interval = ms > 0 ? TimeSpan.FromMilliseconds(ms) : _options.DefaultHeartbeat;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var (epoch, fraction, loss) = progress.Snapshot();
                try
                {
                    var reply = await _master.HeartbeatAsync(new HeartbeatRequest
                    {
                        TrialId = trial.TrialId,
                        Attempt = trial.Attempt,
                        Epoch = epoch,
                        EpochFraction = fraction,
                        RunningLoss = loss,
                    }, ct).ConfigureAwait(false);
                    if (reply.Decision == Decision.Stop)
                    {
                        _logger.LogInformation("Trial {TrialId}: the master said stop in epoch {Epoch} ({Reason}).", trial.TrialId, epoch, reply.Reason);
                        progress.RequestStop(string.IsNullOrEmpty(reply.Reason) ? "master said stop" : reply.Reason);
                        return;
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
                {
                    _logger.LogWarning("Trial {TrialId}: the master does not know this trial any more ({Detail}); stopping it.", trial.TrialId, ex.Status.Detail);
                    progress.RequestStop("unknown to the master");
                    return;
                }
                catch (Exception ex) when (ex is RpcException or MasterUnavailableException)
                {
                    // Training goes on; the next heartbeat or epoch report tries again.
                    _logger.LogWarning("Trial {TrialId}: heartbeat failed: {Error}", trial.TrialId, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private sealed class Reporter(WorkerSession session, TrialAssignment assignment, TrialProgress progress) : ITrialReporter
    {
        public bool TakesLastEpochWithResult => session._master.Session?.AcceptsFinalEpoch == true;

        public async ValueTask<bool> ReportEpochAsync(TrialSpec trial, TrialEpoch epoch, CancellationToken ct)
        {
            var r = epoch.Record;
            EpochReply reply;
            try
            {
                reply = await session._master.ReportEpochAsync(TrialMapping.ToReport(assignment, epoch), ct).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                session._logger.LogWarning("Trial {TrialId}: the master does not know this trial any more ({Detail}); stopping it.", trial.TrialId, ex.Status.Detail);
                progress.RequestStop("unknown to the master");
                return false;
            }
            catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled))
            {
                session._logger.LogError("Trial {TrialId}: the master rejected the report of epoch {Epoch}: {Status} {Detail}; stopping the trial.", trial.TrialId, r.Epoch, ex.StatusCode, ex.Status.Detail);
                progress.RequestStop($"master rejected the epoch report: {ex.StatusCode} {ex.Status.Detail}");
                return false;
            }
            if (reply.Decision == Decision.Stop)
            {
                session._logger.LogInformation("Trial {TrialId}: the master said stop after epoch {Epoch} ({Reason}).", trial.TrialId, r.Epoch, reply.Reason);
                progress.RequestStop(string.IsNullOrEmpty(reply.Reason) ? $"master said stop after epoch {r.Epoch}" : reply.Reason);
                return false;
            }
            return true;
        }
    }
}
