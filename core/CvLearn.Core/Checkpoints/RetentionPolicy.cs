namespace CvLearn.Core.Checkpoints;

/// <summary>
/// Which checkpoints of an experiment to keep. A checkpoint survives when it is among the best
/// <see cref="KeepPerTrial"/> of its trial AND among the best <see cref="KeepPerExperiment"/> of the experiment
/// (so the store holds at most KeepPerExperiment, with at most KeepPerTrial from any one trial — a diverse pool for
/// ensembles), or when its key is protected. "Best" is the validation accuracy in the name, ties broken by the
/// later epoch, then by key. Keys that are not checkpoint keys of the experiment are never touched.
/// </summary>
/// <param name="KeepPerTrial">≥ 1.</param>
/// <param name="KeepPerExperiment">≥ 1, or null for no experiment-wide limit.</param>
public sealed record RetentionPolicy(int KeepPerTrial, int? KeepPerExperiment)
{
    private readonly int _keepPerTrial = KeepPerTrial >= 1 ? KeepPerTrial
        : throw new ArgumentOutOfRangeException(nameof(KeepPerTrial), KeepPerTrial, "Keep at least one checkpoint per trial.");

    private readonly int? _keepPerExperiment = KeepPerExperiment is null or >= 1 ? KeepPerExperiment
        : throw new ArgumentOutOfRangeException(nameof(KeepPerExperiment), KeepPerExperiment, "Keep at least one checkpoint per experiment (or null for no limit).");

    /// <summary>
    /// The keys to delete among <paramref name="keys"/> (all keys of the store under the experiment prefix).
    /// <paramref name="protectedKeys"/> are never selected — pass the newest checkpoint of every running trial
    /// (its resume point; see <see cref="NewestByEpoch"/>).
    /// </summary>
    public IReadOnlyList<string> SelectForDeletion(IEnumerable<string> keys, string experiment, IReadOnlySet<string> protectedKeys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(protectedKeys);
        var candidates = new List<(string Key, int Trial, double Acc, int Epoch)>();
        foreach (string key in keys.Distinct(StringComparer.Ordinal))
            if (CheckpointKey.TryParse(key, out string exp, out int trial, out double acc, out int epoch) && exp == experiment)
                candidates.Add((key, trial, acc, epoch));

        // Best first: accuracy desc, epoch desc (later training at equal accuracy), key for a total order.
        candidates.Sort((a, b) =>
        {
            int c = b.Acc.CompareTo(a.Acc);
            if (c == 0) c = b.Epoch.CompareTo(a.Epoch);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });
        var perTrialRank = new Dictionary<int, int>();
        var delete = new List<string>();
        int keptInExperiment = 0;
        foreach (var cand in candidates)
        {
            int trialRank = perTrialRank.GetValueOrDefault(cand.Trial);
            perTrialRank[cand.Trial] = trialRank + 1;
            // Experiment slots go to checkpoints that passed their trial's limit, so a strong trial's surplus does not
            // crowd out the next trial's best.
            bool keep = trialRank < _keepPerTrial && (_keepPerExperiment is null || keptInExperiment < _keepPerExperiment);
            if (keep) keptInExperiment++;
            else if (!protectedKeys.Contains(cand.Key)) delete.Add(cand.Key);
        }
        return delete;
    }

    /// <summary>Lists the experiment's checkpoints in <paramref name="store"/> and deletes those not retained; returns the deleted keys.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(ICheckpointStore store, string experiment, IReadOnlySet<string> protectedKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var keys = new List<string>();
        await foreach (StoredObject o in store.ListAsync(CheckpointKey.ExperimentPrefix(experiment), ct).ConfigureAwait(false))
            keys.Add(o.Key);
        IReadOnlyList<string> delete = SelectForDeletion(keys, experiment, protectedKeys);
        foreach (string key in delete) await store.DeleteAsync(key, ct).ConfigureAwait(false);
        return delete;
    }

    /// <summary>The checkpoint with the highest epoch among <paramref name="trialKeys"/> (a trial's resume point), or null.</summary>
    public static string? NewestByEpoch(IEnumerable<string> trialKeys)
    {
        string? best = null;
        int bestEpoch = -1;
        foreach (string key in trialKeys)
            if (CheckpointName.TryParse(key, out _, out int epoch) && (epoch > bestEpoch || (epoch == bestEpoch && string.CompareOrdinal(key, best) > 0)))
                (best, bestEpoch) = (key, epoch);
        return best;
    }
}
