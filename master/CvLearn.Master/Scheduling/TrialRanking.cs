namespace CvLearn.Master.Scheduling;

/// <summary>
/// The one ranking rule used everywhere (leaderboard, choosing a stage's top trials): best validation accuracy
/// descending; ties go to fewer epochs (cheaper to reach), then the lower trial key (stage, index) for determinism.
/// </summary>
public sealed class TrialRanking : IComparer<TrialResult>
{
    /// <summary>The shared instance.</summary>
    public static TrialRanking Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(TrialResult? x, TrialResult? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return 1;
        if (y is null) return -1;
        double ax = x.HasRank ? x.BestValidationAccuracy!.Value : double.NegativeInfinity;
        double ay = y.HasRank ? y.BestValidationAccuracy!.Value : double.NegativeInfinity;
        int c = ay.CompareTo(ax);
        if (c != 0) return c;
        c = x.EpochsCompleted.CompareTo(y.EpochsCompleted);
        return c != 0 ? c : x.Key.CompareTo(y.Key);
    }

    /// <summary>The rankable trials of <paramref name="trials"/> in rank order (best first).</summary>
    public static List<TrialResult> Ranked(IEnumerable<TrialResult> trials)
    {
        var list = trials.Where(t => t.HasRank).ToList();
        list.Sort(Instance);
        return list;
    }
}
