using CvLearn.Master.Config;

namespace CvLearn.Master.Scheduling;

/// <summary>A ranked trial (rank 1 is best).</summary>
public sealed record LeaderboardEntry(int Rank, TrialResult Trial);

/// <summary>Counts of one stage's trials by status; <see cref="Pending"/> includes planned trials with no result yet.</summary>
public sealed record StageProgress(int Stage, int Planned, int Pending, int Running, int Completed, int Stopped, int Diverged, int Failed)
{
    /// <summary>Trials that will not train further.</summary>
    public int Finished => Completed + Stopped + Diverged + Failed;

    /// <summary>True when every planned trial is finished.</summary>
    public bool IsComplete => Planned > 0 && Finished >= Planned;
}

/// <summary>The leaderboard: ranked trials, then the unranked ones (diverged, failed, not yet measured), and per-stage progress.</summary>
public sealed record LeaderboardView(IReadOnlyList<LeaderboardEntry> Ranked, IReadOnlyList<TrialResult> Unranked, IReadOnlyList<StageProgress> Stages);

/// <summary>
/// Builds the leaderboard with <see cref="TrialRanking"/>: running, completed and stopped trials with an accuracy are
/// ranked; diverged and failed trials are listed after them (never ranked), then trials without an accuracy yet.
/// </summary>
public static class Leaderboard
{
    /// <summary>Builds the view. <paramref name="stages"/> gives planned counts for stage progress (else counts of results).</summary>
    public static LeaderboardView Build(IEnumerable<TrialResult> trials, IReadOnlyList<StageConfig>? stages = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var all = trials.ToList();
        var ranked = TrialRanking.Ranked(all);
        var entries = new List<LeaderboardEntry>(ranked.Count);
        for (int i = 0; i < ranked.Count; i++) entries.Add(new LeaderboardEntry(i + 1, ranked[i]));

        var unranked = all.Where(t => !t.HasRank)
            .OrderBy(t => t.Status switch { TrialStatus.Diverged => 0, TrialStatus.Failed => 1, _ => 2 })
            .ThenBy(t => t.Key)
            .ToList();

        int stageCount = Math.Max(stages?.Count ?? 0, all.Count == 0 ? 0 : all.Max(t => t.Key.Stage));
        var progress = new List<StageProgress>(stageCount);
        for (int s = 1; s <= stageCount; s++)
        {
            var inStage = all.Where(t => t.Key.Stage == s).ToList();
            int Count(TrialStatus st) => inStage.Count(t => t.Status == st);
            int planned = stages is not null && s <= stages.Count ? stages[s - 1].Trials : inStage.Count;
            int running = Count(TrialStatus.Running), completed = Count(TrialStatus.Completed), stopped = Count(TrialStatus.Stopped);
            int diverged = Count(TrialStatus.Diverged), failed = Count(TrialStatus.Failed);
            int pending = Math.Max(0, planned - running - completed - stopped - diverged - failed);
            progress.Add(new StageProgress(s, planned, pending, running, completed, stopped, diverged, failed));
        }

        return new LeaderboardView(entries, unranked, progress);
    }
}
