using System.Text.Json.Nodes;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Trials;

namespace CvLearn.Master.Tests;

/// <summary>
/// scheduler.early_next_stage: a worker with nothing left in the current stage starts the next one, planned from the
/// results so far; its trials stand when the real plan agrees and are re-planned otherwise, so a search's trials are
/// the same with it as without it.
/// </summary>
public class EarlyStageTests
{
    private static readonly string Off = Drive.JsonNotEarly;

    // Stage 1 trains two epochs, so that a running trial has an accuracy the prediction can use.
    private static readonly string TwoEpochs = Drive.Json.Replace("\"trials\": 8, \"epochs\": 1", "\"trials\": 8, \"epochs\": 2", StringComparison.Ordinal);

    /// <summary>Leases every stage-1 trial to a worker of its own.</summary>
    private static List<(string Worker, Assignment Trial)> LeaseStage1(SearchCoordinator c)
    {
        var leased = new List<(string, Assignment)>();
        for (int i = 0; i < 8; i++)
        {
            string w = c.Join(new WorkerHello("w" + i, 1, 1, "", "")).WorkerId;
            leased.Add((w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment));
        }

        return leased;
    }

    private static double FinalAccuracy(Assignment a) => Drive.Accuracy(a.Spec.Hyperparameters, a.Spec.Epochs);

    private static Dictionary<string, string> Specs(SearchCoordinator c) =>
        c.Snapshot().Trials.ToDictionary(t => t.Id, t => t.Hyperparameters.ToString());

    [Fact]
    public void AnIdleWorker_StartsTheNextStage_AndItsTrialsStandWhenTheUnfinishedTrialEndsBelowTheTop()
    {
        var c = Drive.New();
        var leased = LeaseStage1(c);
        var last = leased.MinBy(l => FinalAccuracy(l.Trial)); // the worst trial ends last: it cannot change the top 3
        foreach (var l in leased.Where(l => l != last)) Drive.Train(c, l.Worker, l.Trial);

        string idle = c.Join(new WorkerHello("idle", 1, 1, "", "")).WorkerId;
        var early = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        Assert.Equal(2, early.Spec.Stage);
        Assert.True(c.Snapshot().Trials.Single(t => t.Id == early.TrialId).Early);
        Assert.Equal(1, c.Snapshot().Stages[1].Running);
        double acc = Drive.Accuracy(early.Spec.Hyperparameters, 1);
        Assert.False(c.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(1, acc), Drive.Key(early, 1, acc)).Stop);
        // Until it stands, its checkpoints neither count in retention nor go.
        Assert.DoesNotContain(c.RetentionCandidates(-1)!.Checkpoints, e => e.TrialId == early.TrialId);

        Drive.Train(c, last.Worker, last.Trial);
        var stood = c.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.False(stood.Early);
        Assert.Equal(TrialStatus.Running, stood.Status);
        Assert.Equal(early.Attempt, stood.Attempt);
        Assert.Single(stood.History);
        Assert.Contains(c.RetentionCandidates(-1)!.Checkpoints, e => e.TrialId == early.TrialId);
        Assert.False(c.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(2, acc), Drive.Key(early, 2, acc + 0.01)).Stop);
        c.Complete(new Completion(idle, early.TrialId, early.Attempt, WorkerOutcome.Completed, null, 2));

        // The whole search plans the same trials as one that never starts a stage early.
        Drive.RunAll(c, workers: 3, orderSeed: 4);
        var off = Drive.New(json: Off);
        Drive.RunAll(off, workers: 3, orderSeed: 4);
        Assert.Equal(Specs(off).OrderBy(kv => kv.Key), Specs(c).OrderBy(kv => kv.Key));
    }

    [Fact]
    public void WhenTheUnfinishedTrialEndsInTheTop_TheEarlyTrialsAreReplanned_TheirWorkerStops_AndTheirCheckpointsGo()
    {
        var c = Drive.New();
        var leased = LeaseStage1(c);
        var last = leased.MaxBy(l => FinalAccuracy(l.Trial)); // the best trial ends last, without a reported epoch
        foreach (var l in leased.Where(l => l != last)) Drive.Train(c, l.Worker, l.Trial);

        string idle = c.Join(new WorkerHello("idle", 1, 1, "", "")).WorkerId;
        var early = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        double acc = Drive.Accuracy(early.Spec.Hyperparameters, 1);
        string oldKey = Drive.Key(early, 1, acc);
        Assert.False(c.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(1, acc), oldKey).Stop);

        Drive.Train(c, last.Worker, last.Trial);
        var replanned = c.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.False(replanned.Early);
        Assert.Equal(TrialStatus.Pending, replanned.Status);
        Assert.Empty(replanned.History);
        Assert.Contains("re-planned", replanned.Message, StringComparison.Ordinal);
        Assert.True(replanned.Number >= 12, $"a re-planned trial gets a number past the planned ones, got {replanned.Number}");
        Assert.NotEqual(early.Spec.Hyperparameters.ToString(), replanned.Hyperparameters.ToString());

        // The old plan's worker is told to stop; the checkpoint it writes late goes as well.
        string lateKey = Drive.Key(early, 2, acc);
        var verdict = c.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(2, acc), lateKey);
        Assert.True(verdict.Stop);
        var discarded = c.RetentionCandidates(-1)!.Discarded.Select(d => d.Key).ToList();
        Assert.Equal(new[] { oldKey, lateKey }, discarded);
        c.ForgetCheckpoints(discarded.Select(k => (early.TrialId, k)));
        Assert.Empty(c.RetentionCandidates(-1)!.Discarded);

        var again = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        Assert.Equal(early.TrialId, again.TrialId);
        Assert.True(again.Attempt > early.Attempt);
        Assert.NotEqual(early.CheckpointPrefix, again.CheckpointPrefix);
        Assert.Null(again.ResumeKey);

        Drive.Train(c, idle, again);
        Drive.RunAll(c, workers: 2, orderSeed: 8);
        var off = Drive.New(json: Off);
        Drive.RunAll(off, workers: 2, orderSeed: 8);
        Assert.Equal(Specs(off).OrderBy(kv => kv.Key), Specs(c).OrderBy(kv => kv.Key));
        Assert.All(c.Snapshot().Trials, t => Assert.Equal(t.Epochs, t.History.Count));
    }

    [Fact]
    public void ARunningTrialWhoseAccuracySoFarRanksInTheTop_IsPredictedToEndThere()
    {
        var c = Drive.New(json: TwoEpochs);
        var leased = LeaseStage1(c);
        var last = leased.MaxBy(l => FinalAccuracy(l.Trial));
        foreach (var l in leased.Where(l => l != last)) Drive.Train(c, l.Worker, l.Trial);
        double first = Drive.Accuracy(last.Trial.Spec.Hyperparameters, 1);
        c.ReportEpoch(last.Worker, last.Trial.TrialId, last.Trial.Attempt, Drive.Epoch(1, first), Drive.Key(last.Trial, 1, first));

        string idle = c.Join(new WorkerHello("idle", 1, 1, "", "")).WorkerId;
        var early = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        Drive.Train(c, last.Worker, last.Trial);
        var stood = c.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.Equal(TrialStatus.Running, stood.Status);
        Assert.Equal(early.Attempt, stood.Attempt);
        Assert.False(stood.Early);
    }

    [Fact]
    public void APrediction_AddsTheGainTheFinishedTrialsMadeLater_SoASlowStarterCanRankInTheTop()
    {
        // Learning curves cross: three trials start high and gain little, four start low and gain 0.10 (the median).
        // The running trial starts lowest (0.80 after epoch 1, below those three) but is predicted at 0.90, in the top 3,
        // and ends there: the early stage stands.
        var c = Drive.New(json: TwoEpochs);
        var leased = LeaseStage1(c);
        (double First, double Final)[] curves = [(0.86, 0.87), (0.85, 0.865), (0.84, 0.86), (0.70, 0.80), (0.70, 0.80), (0.70, 0.80), (0.70, 0.80)];
        for (int i = 0; i < curves.Length; i++)
        {
            var (w, a) = leased[i];
            c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, curves[i].First), Drive.Key(a, 1, curves[i].First));
            c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(2, curves[i].Final), Drive.Key(a, 2, curves[i].Final));
            c.Complete(new Completion(w, a.TrialId, a.Attempt, WorkerOutcome.Completed, null, 2));
        }

        var (lw, last) = leased[^1];
        c.ReportEpoch(lw, last.TrialId, last.Attempt, Drive.Epoch(1, 0.80), Drive.Key(last, 1, 0.80));
        string idle = c.Join(new WorkerHello("idle", 1, 1, "", "")).WorkerId;
        var early = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        c.ReportEpoch(lw, last.TrialId, last.Attempt, Drive.Epoch(2, 0.90), Drive.Key(last, 2, 0.90));
        c.Complete(new Completion(lw, last.TrialId, last.Attempt, WorkerOutcome.Completed, null, 2));

        var stood = c.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.Equal((TrialStatus.Running, early.Attempt, false), (stood.Status, stood.Attempt, stood.Early));
    }

    [Fact]
    public void ManyWorkersInAnyOrder_PlanTheSameTrials_AsWithoutEarlyStages()
    {
        var off = Drive.New(json: Off);
        Drive.RunAll(off, workers: 1, orderSeed: 1);
        foreach (int workers in new[] { 2, 5, 9 })
        {
            for (int seed = 0; seed < 10; seed++)
            {
                var c = Drive.New();
                Drive.RunAll(c, workers, seed);
                Assert.Equal(Specs(off).OrderBy(kv => kv.Key), Specs(c).OrderBy(kv => kv.Key));
                Assert.All(c.Snapshot().Trials, t => Assert.True(t.Status.IsFinished() && !t.Early && t.History.Count == t.Epochs, $"{t.Id}: {t.Status}, {t.History.Count} epochs"));
            }
        }
    }

    [Fact]
    public void Restore_WhileAStageRunsEarly_KeepsItsTrialsWhenThePlanHolds_AndReplansThemWhenNot()
    {
        var clock = new ManualClock();
        var c = Drive.New(clock);
        var leased = LeaseStage1(c);
        var last = leased.MinBy(l => FinalAccuracy(l.Trial));
        foreach (var l in leased.Where(l => l != last)) Drive.Train(c, l.Worker, l.Trial);
        string idle = c.Join(new WorkerHello("idle", 1, 1, "", "")).WorkerId;
        var early = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        double acc = Drive.Accuracy(early.Spec.Hyperparameters, 1);
        c.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(1, acc), Drive.Key(early, 1, acc));
        var saved = Collect(c);
        Assert.Contains("\"Plan\"", saved.Trials[early.TrialId], StringComparison.Ordinal);

        var restored = Drive.New(clock);
        restored.Restore(saved);
        var kept = restored.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.True(kept.Early);
        Assert.Equal((TrialStatus.Running, early.Attempt, 1), (kept.Status, kept.Attempt, kept.History.Count));
        Assert.False(restored.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(2, acc), Drive.Key(early, 2, acc)).Stop);
        Drive.Train(restored, last.Worker, last.Trial);
        Assert.False(restored.Snapshot().Trials.Single(t => t.Id == early.TrialId).Early);

        // A saved plan other than the one made at restore (here: edited) is dropped, its checkpoints deleted.
        var row = JsonNode.Parse(saved.Trials[early.TrialId])!.AsObject();
        row["Plan"] = "1|0|{}";
        var edited = new Dictionary<string, string>(saved.Trials) { [early.TrialId] = row.ToJsonString() };
        var other = Drive.New(clock);
        other.Restore(saved with { Trials = edited });
        var dropped = other.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.Equal(TrialStatus.Pending, dropped.Status);
        Assert.Empty(dropped.History);
        Assert.True(dropped.Number >= 12);
        Assert.Equal(new[] { Drive.Key(early, 1, acc) }, other.RetentionCandidates(-1)!.Discarded.Select(d => d.Key));
        Assert.True(other.ReportEpoch(idle, early.TrialId, early.Attempt, Drive.Epoch(2, acc), null).Stop);

        // Its new number and the checkpoints still to delete survive another restart.
        var again = Drive.New(clock);
        again.Restore(Merge(saved with { Trials = edited }, Collect(other)));
        var same = again.Snapshot().Trials.Single(t => t.Id == early.TrialId);
        Assert.Equal(dropped.Number, same.Number);
        Assert.Equal(new[] { Drive.Key(early, 1, acc) }, again.RetentionCandidates(-1)!.Discarded.Select(d => d.Key));
    }

    [Fact]
    public void Config_EarlyNextStage_IsOnByDefault_AndMustBeABoolean()
    {
        Assert.True(Drive.Config().Scheduler.EarlyNextStage);
        Assert.False(Drive.Config(Off).Scheduler.EarlyNextStage);
        var e = Assert.Throws<Config.SearchConfigException>(() =>
            Drive.Config(Drive.Json.Replace("\"ensemble\"", "\"scheduler\": {\"early_next_stage\": \"yes\"}, \"ensemble\"", StringComparison.Ordinal)));
        Assert.Contains("scheduler.early_next_stage", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected true or false", e.Message, StringComparison.Ordinal);
    }

    private static PersistedState Collect(SearchCoordinator c)
    {
        var changes = c.TakeChanges();
        return new PersistedState(changes.Trials.ToDictionary(kv => kv.Key, kv => kv.Value), changes.Workers.ToDictionary(kv => kv.Key, kv => kv.Value), changes.Meta);
    }

    private static PersistedState Merge(PersistedState older, PersistedState newer)
    {
        var trials = new Dictionary<string, string>(older.Trials);
        foreach (var (k, v) in newer.Trials) trials[k] = v;
        var workers = new Dictionary<string, string>(older.Workers);
        foreach (var (k, v) in newer.Workers) workers[k] = v;
        return new PersistedState(trials, workers, newer.Meta ?? older.Meta);
    }
}
