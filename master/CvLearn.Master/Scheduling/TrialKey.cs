using System.Globalization;

namespace CvLearn.Master.Scheduling;

/// <summary>Identifies a trial: 1-based stage and 0-based index within the stage. Canonical id: "s1-t007".</summary>
public readonly record struct TrialKey(int Stage, int Index) : IComparable<TrialKey>
{
    /// <summary>Orders by stage, then index.</summary>
    public int CompareTo(TrialKey other) => Stage != other.Stage ? Stage.CompareTo(other.Stage) : Index.CompareTo(other.Index);

    /// <summary>The canonical id, e.g. "s2-t011"; safe in file names.</summary>
    public override string ToString() => $"s{Stage.ToString(CultureInfo.InvariantCulture)}-t{Index.ToString("D3", CultureInfo.InvariantCulture)}";

    /// <summary>Parses the canonical id.</summary>
    public static bool TryParse(string? id, out TrialKey key)
    {
        key = default;
        if (id is null || id.Length < 5 || id[0] != 's') return false;
        int dash = id.IndexOf("-t", StringComparison.Ordinal);
        if (dash < 2) return false;
        if (!int.TryParse(id.AsSpan(1, dash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int stage)) return false;
        if (!int.TryParse(id.AsSpan(dash + 2), NumberStyles.None, CultureInfo.InvariantCulture, out int index)) return false;
        if (stage < 1) return false;
        key = new TrialKey(stage, index);
        return true;
    }

    public static bool operator <(TrialKey left, TrialKey right) => left.CompareTo(right) < 0;

    public static bool operator >(TrialKey left, TrialKey right) => left.CompareTo(right) > 0;

    public static bool operator <=(TrialKey left, TrialKey right) => left.CompareTo(right) <= 0;

    public static bool operator >=(TrialKey left, TrialKey right) => left.CompareTo(right) >= 0;
}
