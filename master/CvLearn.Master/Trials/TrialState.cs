using CvLearn.Core.Training;
using CvLearn.Master.Scheduling;

namespace CvLearn.Master.Trials;

/// <summary>A checkpoint a worker reported for one epoch of a trial.</summary>
public sealed record ReportedCheckpoint(string Key, int Epoch, double ValidationAccuracy);

/// <summary>
/// The master's mutable record of one trial. Lifecycle: <c>pending → running (leased) → completed | stopped |
/// diverged | failed</c>; a lost lease (dead worker, Leave, cancelled) returns it to pending with
/// <see cref="Attempt"/> + 1 and a resume point (its latest checkpoint). Only <see cref="SearchCoordinator"/> touches
/// instances, always under its lock.
/// </summary>
internal sealed class TrialState
{
    public TrialState(TrialSpec spec, int number, string checkpointPrefix)
    {
        Spec = spec;
        Number = number;
        CheckpointPrefix = checkpointPrefix;
    }

    /// <summary>What the trial runs; replaced only when a trial planned early is re-planned (see <see cref="Replan"/>).</summary>
    public TrialSpec Spec { get; private set; }
    public TrialKey Key => Spec.Key;
    public string Id => Spec.Key.ToString();

    /// <summary>Sequential number over the whole search (stage offsets + index): "trial-0042" in storage keys. A
    /// re-planned trial gets a number past the planned ones, so its checkpoints never share a key with the old plan's.</summary>
    public int Number { get; private set; }
    public string CheckpointPrefix { get; private set; }

    /// <summary>Planned before the previous stage finished (from its results so far): kept or re-planned when it finishes.</summary>
    public bool Early { get; set; }

    /// <summary>Checkpoints of an earlier plan of this trial, to be deleted from storage (persisted until they are).</summary>
    public List<string> DiscardedCheckpoints { get; } = [];

    /// <summary>Attempts below this one ran an earlier plan (in memory only: for the stop reason their workers get).</summary>
    public int ReplannedAtAttempt { get; private set; }

    /// <summary>Prefixes of earlier plans (in memory only): a late report under one names a checkpoint to delete.</summary>
    public List<string> RetiredPrefixes { get; } = [];

    public TrialStatus Status { get; set; } = TrialStatus.Pending;

    /// <summary>0 until first leased; the lease token every worker call must echo.</summary>
    public int Attempt { get; set; }
    public string? WorkerId { get; set; }
    public string? WorkerName { get; set; }
    public DateTimeOffset LeaseDeadline { get; set; }

    /// <summary>Finished epochs of the current attempt's lineage (truncated to the resume point on requeue).</summary>
    public List<EpochRecord> Epochs { get; } = [];

    /// <summary>Checkpoints reported and not deleted by retention, in report order.</summary>
    public List<ReportedCheckpoint> Checkpoints { get; } = [];

    /// <summary>Latest minibatch loss from heartbeats (for divergence checks mid-epoch).</summary>
    public double? LatestLoss { get; set; }

    /// <summary>Set when the scheduler told the worker to stop; decides the final status whatever the worker says.</summary>
    public StopKind PendingStop { get; set; }
    public string? Message { get; set; }

    /// <summary>Failed attempts so far (a failed trial is retried a few times: the worker may have been the problem).</summary>
    public int Failures { get; set; }

    /// <summary>The worker its last attempt failed on: the retry goes to another worker while one is alive (not persisted:
    /// after a restart of the master any worker may retry it).</summary>
    public string? FailedOnWorkerId { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public double? BestValidationAccuracy => BestOver(Epochs.Count);

    /// <summary>The best validation accuracy over the first <paramref name="epochs"/> epochs (NaN skipped), or null.</summary>
    public double? BestOver(int epochs)
    {
        double? best = null;
        for (int i = 0; i < Math.Min(epochs, Epochs.Count); i++)
        {
            double a = Epochs[i].ValidationAccuracy;
            if (!double.IsNaN(a) && (best is null || a > best)) best = a;
        }

        return best;
    }

    /// <summary>The stored checkpoint with the best validation accuracy (earliest epoch on ties), or null.</summary>
    public ReportedCheckpoint? BestCheckpoint
    {
        get
        {
            ReportedCheckpoint? best = null;
            foreach (var c in Checkpoints)
            {
                if (best is null || c.ValidationAccuracy > best.ValidationAccuracy) best = c;
            }

            return best;
        }
    }

    /// <summary>The checkpoint a requeued attempt resumes from: the latest one still stored.</summary>
    public ReportedCheckpoint? LatestCheckpoint => Checkpoints.Count == 0 ? null : Checkpoints.MaxBy(c => c.Epoch);

    /// <summary>
    /// Turns the trial into a fresh one running <paramref name="spec"/> under <paramref name="number"/>: the old plan's
    /// results are dropped and its checkpoints queued for deletion. The attempt number of a leased trial goes up, so
    /// the worker of the old plan is told to stop at its next call (stale attempt) instead of reporting into the new one.
    /// </summary>
    public void Replan(TrialSpec spec, int number, string checkpointPrefix)
    {
        DiscardedCheckpoints.AddRange(Checkpoints.Select(c => c.Key));
        if (Attempt > 0)
        {
            RetiredPrefixes.Add(CheckpointPrefix);
            Attempt++;
            ReplannedAtAttempt = Attempt;
        }

        Spec = spec;
        Renumber(number, checkpointPrefix);
        Status = TrialStatus.Pending;
        WorkerId = null;
        WorkerName = null;
        Epochs.Clear();
        Checkpoints.Clear();
        LatestLoss = null;
        PendingStop = StopKind.None;
        Failures = 0;
        FailedOnWorkerId = null;
        StartedAt = null;
        FinishedAt = null;
    }

    /// <summary>Restores the number (and prefix) a re-planned trial was given.</summary>
    public void Renumber(int number, string checkpointPrefix)
    {
        Number = number;
        CheckpointPrefix = checkpointPrefix;
    }

    public TrialResult ToResult() => new(Key, Status, Spec.Hyperparameters, BestValidationAccuracy, Epochs.Count, Message);

    public TrialHistory ToHistory() => new(Key, Status, Epochs, null, LatestLoss);
}

/// <summary>A connected (or formerly connected) worker process.</summary>
internal sealed class WorkerState
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Hostname { get; init; } = "";
    public string Version { get; init; } = "";
    public int Cores { get; init; }
    public int Threads { get; init; }
    public DateTimeOffset LastSeen { get; set; }
    public bool Alive { get; set; } = true;
    public string? CurrentTrialId { get; set; }
}
