using CvLearn.Master.Config;

namespace CvLearn.Master.Scheduling;

/// <summary>A stored checkpoint as the planner sees it (the storage key is opaque).</summary>
public sealed record CheckpointEntry(string Key, string TrialId, int Epoch, double ValidationAccuracy);

/// <summary>A checkpoint to delete and why.</summary>
public sealed record RetentionDeletion(CheckpointEntry Checkpoint, string Reason);

/// <summary>The outcome: what to keep (best first), which of those are kept only because they are protected, and what to delete.</summary>
public sealed record RetentionPlan(IReadOnlyList<CheckpointEntry> Keep, IReadOnlyList<CheckpointEntry> Protected, IReadOnlyList<RetentionDeletion> Delete);

/// <summary>
/// Pure retention rule: a checkpoint is kept when it is among the best <see cref="RetentionConfig.PerTrial"/> of its
/// trial AND, among those survivors, among the best <see cref="RetentionConfig.PerExperiment"/> of the experiment.
/// The latest checkpoint of each running trial is always kept (it is what a resumed trial restarts from).
/// "Best" = higher validation accuracy (NaN lowest), then earlier epoch, then key (ordinal) for determinism.
/// </summary>
public static class RetentionPlanner
{
    /// <summary>Plans deletions for <paramref name="checkpoints"/>.</summary>
    public static RetentionPlan Plan(IEnumerable<CheckpointEntry> checkpoints, RetentionConfig config, IReadOnlySet<string> runningTrialIds)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(runningTrialIds);
        var all = checkpoints.ToList();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in all)
        {
            if (!keys.Add(c.Key)) throw new ArgumentException($"checkpoint key '{c.Key}' appears twice", nameof(checkpoints));
        }

        var protectedSet = new HashSet<CheckpointEntry>(ReferenceEqualityComparer.Instance);
        foreach (var group in all.GroupBy(c => c.TrialId, StringComparer.Ordinal))
        {
            if (!runningTrialIds.Contains(group.Key)) continue;
            var latest = group.OrderByDescending(c => c.Epoch).ThenBy(c => c.Key, StringComparer.Ordinal).First();
            protectedSet.Add(latest);
        }

        var delete = new List<RetentionDeletion>();
        var survivors = new List<CheckpointEntry>();
        foreach (var group in all.GroupBy(c => c.TrialId, StringComparer.Ordinal))
        {
            var sorted = group.ToList();
            sorted.Sort(Better);
            for (int i = 0; i < sorted.Count; i++)
            {
                if (i < config.PerTrial) survivors.Add(sorted[i]);
                else if (!protectedSet.Contains(sorted[i]))
                {
                    delete.Add(new RetentionDeletion(sorted[i], $"not among trial {group.Key}'s best {config.PerTrial} (rank {i + 1} of {sorted.Count})"));
                }
            }
        }

        survivors.Sort(Better);
        var keep = new List<CheckpointEntry>();
        for (int i = 0; i < survivors.Count; i++)
        {
            if (i < config.PerExperiment) keep.Add(survivors[i]);
            else if (!protectedSet.Contains(survivors[i]))
            {
                delete.Add(new RetentionDeletion(survivors[i], $"not among the experiment's best {config.PerExperiment} (rank {i + 1})"));
            }
        }

        var protectedOnly = protectedSet.Where(p => !keep.Contains(p)).ToList();
        protectedOnly.Sort(Better);
        keep.AddRange(protectedOnly);
        return new RetentionPlan(keep, protectedOnly, delete);
    }

    private static int Better(CheckpointEntry x, CheckpointEntry y)
    {
        double ax = double.IsNaN(x.ValidationAccuracy) ? double.NegativeInfinity : x.ValidationAccuracy;
        double ay = double.IsNaN(y.ValidationAccuracy) ? double.NegativeInfinity : y.ValidationAccuracy;
        int c = ay.CompareTo(ax);
        if (c != 0) return c;
        c = x.Epoch.CompareTo(y.Epoch);
        return c != 0 ? c : string.CompareOrdinal(x.Key, y.Key);
    }
}
