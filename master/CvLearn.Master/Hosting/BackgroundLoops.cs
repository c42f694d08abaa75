using CvLearn.Core.Checkpoints;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Trials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Hosting;

/// <summary>Requeues trials whose lease ran out (dead or partitioned workers), several times per lease.</summary>
public sealed partial class LeaseSweeper(SearchCoordinator coordinator, ILogger<LeaseSweeper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(coordinator.Options.Lease.TotalMilliseconds / 10, 100, 2000));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var expired = coordinator.ExpireLeases();
            if (expired.Count > 0) LogExpired(expired.Count, string.Join(", ", expired));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lease sweep: {Count} expired ({Ids})")]
    private partial void LogExpired(int count, string ids);
}

/// <summary>
/// Writes the coordinator's changes to SQLite as they happen, in batches: while one batch is written, the next one
/// gathers (group commit). Calls that change the search wait for <see cref="WhenPersistedAsync"/> before they answer,
/// so whatever a worker was told (its lease, an accepted epoch, a completion) survives a master crash — a restarted
/// master never forgets an epoch it acknowledged. WAL with synchronous=NORMAL makes a commit durable against a process
/// crash without an fsync per batch.
/// </summary>
public sealed partial class StatePersister(SearchCoordinator coordinator, SqliteStateStore store, ILogger<StatePersister> log) : BackgroundService
{
    private readonly object _gate = new();
    private readonly List<(long Version, TaskCompletionSource Done)> _waiters = [];
    private long _persisted = -1;

    /// <summary>Completes once every change up to <paramref name="version"/> is in the state file (or writing it failed and was logged).</summary>
    public Task WhenPersistedAsync(long version, CancellationToken ct)
    {
        lock (_gate)
        {
            if (version <= _persisted) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((version, done));
            return done.Task.WaitAsync(ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long seen = -1;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await coordinator.WaitForChangeAsync(seen, stoppingToken).ConfigureAwait(false);
                seen = coordinator.Version; // read before taking the changes: they include everything up to it
                await FlushAsync(stoppingToken).ConfigureAwait(false);
                Release(seen);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        long version = coordinator.Version;
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        Release(version);
    }

    private void Release(long version)
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            _persisted = Math.Max(_persisted, version);
            _waiters.RemoveAll(w =>
            {
                if (w.Version > _persisted) return false;
                done.Add(w.Done);
                return true;
            });
        }

        foreach (var d in done) d.TrySetResult();
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        var changes = coordinator.TakeChanges();
        if (changes.IsEmpty) return;
        try
        {
            await store.WriteAsync(changes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Keep serving: the next flush writes the rows again only if they change again, so say it loudly.
            LogWriteFailed(e, store.Path, changes.Trials.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not save the search state to {Path} ({Trials} trial rows): a restart would lose them")]
    private partial void LogWriteFailed(Exception e, string path, int trials);
}

/// <summary>
/// Top-k checkpoint retention: deletes checkpoints that are neither among their trial's nor the experiment's best, and
/// those of re-planned trials. One last pass runs as the master stops, so a search that just ended leaves none behind.
/// </summary>
public sealed partial class RetentionService(SearchCoordinator coordinator, ICheckpointStore store, ILogger<RetentionService> log) : BackgroundService
{
    private long _seen = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) await PassAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await PassAsync(last.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogLastPassCut();
        }
    }

    private async Task PassAsync(CancellationToken ct)
    {
        var input = coordinator.RetentionCandidates(_seen);
        if (input is null) return;
        _seen = input.Version;
        var plan = RetentionPlanner.Plan(input.Checkpoints, input.Config, input.Protected);
        var deleted = new List<(string, string)>();
        var deletions = input.Discarded.Select(c => new RetentionDeletion(c, $"trial {c.TrialId} was re-planned")).Concat(plan.Delete);
        foreach (var d in deletions)
        {
            try
            {
                await store.DeleteAsync(d.Checkpoint.Key, ct).ConfigureAwait(false);
                deleted.Add((d.Checkpoint.TrialId, d.Checkpoint.Key));
                LogDeleted(d.Checkpoint.Key, d.Reason);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDeleteFailed(e, d.Checkpoint.Key);
            }
        }

        if (deleted.Count > 0) coordinator.ForgetCheckpoints(deleted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention's last pass did not finish within 5 s of stopping; checkpoints it would delete are kept")]
    private partial void LogLastPassCut();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retention deleted {Key}: {Reason}")]
    private partial void LogDeleted(string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not delete {Key}; it will try again when checkpoints change")]
    private partial void LogDeleteFailed(Exception e, string key);
}
