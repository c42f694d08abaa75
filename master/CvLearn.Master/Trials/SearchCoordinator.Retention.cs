using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;

namespace CvLearn.Master.Trials;

/// <summary>
/// What retention may look at: every stored checkpoint, and the trials whose latest checkpoint is a resume point; and
/// <paramref name="Discarded"/>, checkpoints of re-planned trials, which go whatever their rank.
/// </summary>
public sealed record RetentionInput(
    long Version, IReadOnlyList<CheckpointEntry> Checkpoints, IReadOnlySet<string> Protected, RetentionConfig Config, IReadOnlyList<CheckpointEntry> Discarded);

// Top-k retention: the coordinator knows every checkpoint workers reported; RetentionService plans with
// RetentionPlanner, deletes from storage outside the lock and tells the coordinator which keys are gone.
public sealed partial class SearchCoordinator
{
    /// <summary>The checkpoints to plan retention over, or null when nothing changed since <paramref name="seenVersion"/>.</summary>
    public RetentionInput? RetentionCandidates(long seenVersion)
    {
        lock (_gate)
        {
            if (_checkpointVersion == seenVersion) return null;
            var entries = new List<CheckpointEntry>();
            var discarded = new List<CheckpointEntry>();
            var protectedTrials = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in _ordered)
            {
                foreach (var key in t.DiscardedCheckpoints) discarded.Add(new CheckpointEntry(key, t.Id, 0, double.NaN));
                // A trial started early may still be re-planned: its checkpoints neither count against others nor go yet.
                if (t.Early) continue;
                foreach (var c in t.Checkpoints) entries.Add(new CheckpointEntry(c.Key, t.Id, c.Epoch, c.ValidationAccuracy));
                // Running trials and requeued ones resume from their latest checkpoint: it must survive.
                if (!t.Status.IsFinished() && t.Checkpoints.Count > 0) protectedTrials.Add(t.Id);
            }

            // The final ensemble is built from the best checkpoints: never keep fewer than it needs.
            var config = _config.Retention with { PerExperiment = Math.Max(_config.Retention.PerExperiment, _config.Ensemble.Top) };
            return new RetentionInput(_checkpointVersion, entries, protectedTrials, config, discarded);
        }
    }

    /// <summary>Forgets checkpoints that retention deleted from storage.</summary>
    public void ForgetCheckpoints(IEnumerable<(string TrialId, string Key)> deleted)
    {
        ArgumentNullException.ThrowIfNull(deleted);
        lock (_gate)
        {
            bool any = false;
            foreach (var (trialId, key) in deleted)
            {
                if (!_trials.TryGetValue(trialId, out var t)) continue;
                if (t.Checkpoints.RemoveAll(c => c.Key == key) + t.DiscardedCheckpoints.RemoveAll(k => k == key) > 0)
                {
                    any = true;
                    Dirty(t);
                }
            }

            if (any) Changed();
        }
    }
}
