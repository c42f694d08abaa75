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
/// Writes the coordinator's changes to SQLite in batches (every 200 ms at most, coalesced), and once more at shutdown,
/// so that persistence never sits on the dispatch path.
/// </summary>
public sealed partial class StatePersister(SearchCoordinator coordinator, SqliteStateStore store, ILogger<StatePersister> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long seen = -1;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await coordinator.WaitForChangeAsync(seen, stoppingToken).ConfigureAwait(false);
                seen = coordinator.Version;
                await FlushAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(200, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
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

/// <summary>Top-k checkpoint retention: deletes checkpoints that are neither among their trial's nor the experiment's best.</summary>
public sealed partial class RetentionService(SearchCoordinator coordinator, ICheckpointStore store, ILogger<RetentionService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long seen = -1;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var input = coordinator.RetentionCandidates(seen);
            if (input is null) continue;
            seen = input.Version;
            var plan = RetentionPlanner.Plan(input.Checkpoints, input.Config, input.Protected);
            var deleted = new List<(string, string)>();
            foreach (var d in plan.Delete)
            {
                try
                {
                    await store.DeleteAsync(d.Checkpoint.Key, stoppingToken).ConfigureAwait(false);
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
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retention deleted {Key}: {Reason}")]
    private partial void LogDeleted(string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not delete {Key}; it will try again when checkpoints change")]
    private partial void LogDeleteFailed(Exception e, string key);
}
