using CvLearn.Core.Checkpoints;
using CvLearn.Master.Scheduling;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Trials;

// Starting the next stage early (scheduler.early_next_stage). A stage is planned from the previous stage's top trials,
// so it cannot start until they are known — and at the end of every stage the workers that finish first would wait for
// the last trials. Instead, when a worker asks and nothing of the current stage is left to lease, the next stage is
// planned from the results so far, with each unfinished trial predicted to end in the top from_top or not (from its
// accuracy so far and the gain the finished trials made after as many epochs), and its trials are leased.
// Each time a trial of the current stage finishes the plan is made again; once the stage is complete the real plan is
// made. Trials whose hyperparameters come out the same are kept (their training is exactly what it would have been:
// a trial's values and seed are a pure function of the stage's space and its index); the others are re-planned: their
// worker is told to stop, their checkpoints are deleted and they start afresh under a new trial number. A wrong
// prediction therefore costs only work on a worker that would have waited, and the search's results are the same
// as without it.
public sealed partial class SearchCoordinator
{
    /// <summary>The stage whose trials were planned before the previous stage finished, or 0.</summary>
    private int _earlyStage;

    /// <summary>Next trial number for a re-planned trial (past every planned one, so storage keys never collide).</summary>
    private int _nextSpareNumber;

    /// <summary>Plans the next stage early when nothing of the current one is left to lease (see above).</summary>
    private void TryPlanEarly()
    {
        if (_config.Scheduler.EarlyNextStage) PlanEarly();
    }

    /// <summary>Plans the next stage early (also at restore, when the saved state shows it ran early).</summary>
    private void PlanEarly()
    {
        if (_earlyStage != 0 || _searchDoneFlag || _plannedStages >= _config.Stages.Count) return;
        var plan = _planner.Plan(_plannedStages + 1, PredictedResults());
        AddTrials(plan, early: true);
        _earlyStage = plan.Stage;
        LogEarlyPlanned(plan.Stage, plan.Trials.Count, _plannedStages, Describe(plan));
        Changed();
    }

    /// <summary>A trial of the current stage finished while the next one runs early: plan it again with what is known now.</summary>
    private void ReviseEarlyStage()
    {
        var plan = _planner.Plan(_earlyStage, PredictedResults());
        int replanned = Reconcile(plan);
        if (replanned > 0) LogEarlyRevised(_earlyStage, replanned, plan.Trials.Count, _plannedStages, Describe(plan));
    }

    /// <summary>The current stage is complete: the early stage's real plan decides which of its trials stand.</summary>
    private void SettleEarlyStage()
    {
        var plan = _planner.Plan(_earlyStage, Results());
        int replanned = Reconcile(plan);
        foreach (var t in _ordered)
        {
            if (t.Key.Stage != plan.Stage || !t.Early) continue;
            t.Early = false;
            if (t.Attempt > 0) Dirty(t);
        }

        _earlyStage = 0;
        _checkpointVersion++; // its checkpoints now take part in retention
        AdoptPlan(plan);
        LogEarlySettled(plan.Stage, plan.Trials.Count - replanned, plan.Trials.Count, replanned);
    }

    /// <summary>Re-plans the early stage's trials whose spec differs from <paramref name="plan"/>'s; returns how many.</summary>
    private int Reconcile(StagePlan plan)
    {
        int replanned = 0;
        foreach (var spec in plan.Trials)
        {
            var t = _trials[spec.Key.ToString()];
            if (SameSpec(t.Spec, spec)) continue;
            Replan(t, spec, $"re-planned: stage {plan.Stage - 1}'s top trials came out other than predicted when it was started early");
            replanned++;
        }

        if (replanned > 0) Changed();
        return replanned;
    }

    private void Replan(TrialState t, TrialSpec spec, string reason)
    {
        ReleaseWorkerOf(t);
        if (t.Status.IsFinished()) _finishedPerStage[t.Key.Stage]--;
        // A trial never leased has written nothing: it keeps its number. Any other gets a new one, so that a late
        // checkpoint of the old plan's worker can never overwrite one of the new plan's.
        int number = t.Attempt > 0 ? _nextSpareNumber++ : t.Number;
        bool wasLeased = t.Attempt > 0;
        t.Replan(spec, number, PrefixOf(number));
        t.Message = reason;
        _pending.Add(t.Key);
        if (wasLeased)
        {
            Dirty(t);
            _checkpointVersion++;
        }
    }

    /// <summary>
    /// The results with the current stage's unfinished trials predicted. A trial's final accuracy is predicted as its
    /// best over the epochs it has done plus the median gain the finished trials made after as many epochs (learning
    /// curves cross, so the accuracy so far alone misjudges them); it counts as a top trial (ranked above the finished
    /// ones) when fewer than from_top finished trials beat that, else as unranked, as is one with no epoch done yet.
    /// </summary>
    private List<TrialResult> PredictedResults()
    {
        int stage = _plannedStages;
        int fromTop = _config.Stage(stage + 1).FromTop ?? 1;
        var finished = _ordered.Where(t => t.Key.Stage == stage && t.Status is TrialStatus.Completed or TrialStatus.Stopped && t.BestValidationAccuracy is not null).ToList();
        var results = new List<TrialResult>(_ordered.Count);
        foreach (var t in _ordered)
        {
            if (t.Key.Stage != stage || t.Status.IsFinished())
            {
                results.Add(t.ToResult());
                continue;
            }

            int epochs = t.Epochs.Count;
            double? predicted = t.BestOver(epochs) + MedianGainAfter(finished, epochs);
            bool top = predicted is double p && double.IsFinite(p) && finished.Count(f => f.BestValidationAccuracy > p) < fromTop;
            results.Add(top
                ? new TrialResult(t.Key, TrialStatus.Completed, t.Spec.Hyperparameters, 1 + predicted, epochs, "predicted to end among the top trials")
                : new TrialResult(t.Key, TrialStatus.Failed, t.Spec.Hyperparameters, null, epochs, "predicted to end below the top trials"));
        }

        return results;
    }

    /// <summary>Median over <paramref name="finished"/> of (final best − best over the first <paramref name="epochs"/>); 0 when none.</summary>
    private static double MedianGainAfter(List<TrialState> finished, int epochs)
    {
        var gains = new List<double>(finished.Count);
        foreach (var f in finished)
        {
            if (f.BestOver(epochs) is double early && f.BestValidationAccuracy is double final) gains.Add(final - early);
        }

        if (gains.Count == 0) return 0;
        gains.Sort();
        int mid = gains.Count / 2;
        return gains.Count % 2 == 1 ? gains[mid] : (gains[mid - 1] + gains[mid]) / 2;
    }

    private static bool SameSpec(TrialSpec a, TrialSpec b)
    {
        if (a.Epochs != b.Epochs || a.Seed != b.Seed) return false;
        var x = a.Hyperparameters.Values;
        var y = b.Hyperparameters.Values;
        if (x.Count != y.Count) return false;
        for (int i = 0; i < x.Count; i++)
        {
            if (x[i].Key != y[i].Key || x[i].Value != y[i].Value) return false;
        }

        return true;
    }

    /// <summary>What a saved row of an early trial records of its spec, to tell at restore whether the plan still holds.</summary>
    private static string PlanFingerprint(TrialSpec s) => $"{s.Epochs}|{s.Seed}|{s.Hyperparameters.ToJson().ToJsonString()}";

    /// <summary>A late report of the old plan's worker names a checkpoint under a retired prefix: delete it too.</summary>
    private void CollectLateCheckpoint(TrialState t, string? checkpointKey)
    {
        if (string.IsNullOrEmpty(checkpointKey) || CheckpointKey.TryGetStorageKeyError(checkpointKey) is not null) return;
        if (!t.RetiredPrefixes.Exists(p => checkpointKey.StartsWith(p, StringComparison.Ordinal)) || t.DiscardedCheckpoints.Contains(checkpointKey)) return;
        t.DiscardedCheckpoints.Add(checkpointKey);
        Dirty(t);
        _checkpointVersion++;
        Changed();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} started early: {Trials} trials planned from stage {Previous}'s results so far and a prediction of its unfinished trials; space: {Space}")]
    private partial void LogEarlyPlanned(int stage, int trials, int previous, string space);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} re-planned early: {Replanned} of {Trials} trials changed with stage {Previous}'s latest results; space: {Space}")]
    private partial void LogEarlyRevised(int stage, int replanned, int trials, int previous, string space);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} was started early: {Kept} of its {Trials} trials stand, {Replanned} re-planned")]
    private partial void LogEarlySettled(int stage, int kept, int trials, int replanned);
}
