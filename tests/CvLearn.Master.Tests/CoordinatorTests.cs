using CvLearn.Core.Training;
using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;
using CvLearn.Master.Trials;

namespace CvLearn.Master.Tests;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Drives a coordinator the way workers do, with a synthetic objective peaked at lr = 1e-3, reg = 1e-4.</summary>
internal static class Drive
{
    public const string Json = """
        {
          "experiment": "coord", "dataset": {"name": "fashion-mnist", "train_limit": 1000, "validation": 200}, "model": "fc:32", "seed": 11,
          "space": {
            "learning_rate": {"log_uniform": [1e-5, 1e-1]},
            "reg": {"log_uniform": [1e-6, 1e-1]},
            "dropout": {"uniform": [0, 0.5]}
          },
          "stages": [{"trials": 8, "epochs": 1}, {"trials": 4, "epochs": 2, "from_top": 3}],
          "ensemble": {"top": 2},
          "retention": {"per_trial": 1, "per_experiment": 3}
        }
        """;

    /// <summary><see cref="Json"/> with the next stage never started before the previous one has finished.</summary>
    public static readonly string JsonNotEarly = Json.Replace("\"ensemble\"", "\"scheduler\": {\"early_next_stage\": false}, \"ensemble\"", StringComparison.Ordinal);

    public static SearchConfig Config(string json = Json) => SearchConfigParser.Parse(json);

    public static SearchCoordinator New(ManualClock? clock = null, string json = Json) =>
        new(Config(json), new CoordinatorOptions { Lease = TimeSpan.FromSeconds(10), HeartbeatInterval = TimeSpan.FromSeconds(2) }, clock);

    public static double Accuracy(Hyperparameters h, int epoch)
    {
        double dl = Math.Log10(h.GetNumber("learning_rate")!.Value) + 3;
        double dr = Math.Log10(h.GetNumber("reg")!.Value) + 4;
        return Math.Clamp(0.85 - 0.04 * (dl * dl + 0.3 * dr * dr) + 0.01 * epoch, 0.05, 0.99);
    }

    public static EpochRecord Epoch(int epoch, double acc, double loss = 1.0) => new(epoch, loss, acc, acc, acc, 1e-3, 0.1);

    public static string Key(Assignment a, int epoch, double acc) => a.CheckpointPrefix + Core.Checkpoints.CheckpointName.Format(Math.Round(acc, 4), epoch);

    /// <summary>Trains an assignment to the end (from its resume point), reporting every epoch with a checkpoint.</summary>
    public static void Train(SearchCoordinator c, string worker, Assignment a)
    {
        for (int e = a.ResumeEpoch + 1; e <= a.Spec.Epochs; e++)
        {
            double acc = Accuracy(a.Spec.Hyperparameters, e);
            var v = c.ReportEpoch(worker, a.TrialId, a.Attempt, Epoch(e, acc), Key(a, e, acc));
            if (v.Stop)
            {
                c.Complete(new Completion(worker, a.TrialId, a.Attempt, WorkerOutcome.Stopped, v.Reason, e));
                return;
            }
        }

        c.Complete(new Completion(worker, a.TrialId, a.Attempt, WorkerOutcome.Completed, null, a.Spec.Epochs));
    }

    /// <summary>Runs the whole search with <paramref name="workers"/> workers taking turns in a seeded random order.</summary>
    public static void RunAll(SearchCoordinator c, int workers, int orderSeed)
    {
        var ids = Enumerable.Range(0, workers).Select(i => c.Join(new WorkerHello("w" + i, 2, 1, "test", "host")).WorkerId).ToList();
        var rng = new Random(orderSeed);
        var held = new Dictionary<string, Assignment>();
        for (int guard = 0; guard < 10_000 && !c.SearchDone.IsCompleted; guard++)
        {
            string w = ids[rng.Next(ids.Count)];
            if (held.Remove(w, out var a))
            {
                Train(c, w, a);
                continue;
            }

            if (c.Acquire(w) is AcquireOutcome.Assigned got) held[w] = got.Assignment;
        }

        Assert.True(c.SearchDone.IsCompleted, "the search did not finish");
    }
}

public class CoordinatorTests
{
    [Fact]
    public void FullSearch_FinishesEveryTrial_AndPlansStage2FromStage1()
    {
        var c = Drive.New();
        Drive.RunAll(c, workers: 2, orderSeed: 1);
        var s = c.Snapshot();
        Assert.Equal(12, s.Trials.Count);
        Assert.All(s.Trials, t => Assert.True(t.Status.IsFinished(), $"{t.Id} is {t.Status}"));
        Assert.Equal(8, s.Trials.Count(t => t.Key.Stage == 1));
        Assert.Equal(4, s.Trials.Count(t => t.Key.Stage == 2));
        Assert.All(s.Trials.Where(t => t.Key.Stage == 2), t => Assert.Equal(2, t.History.Count));

        // Ranked rows come first, best first.
        var ranked = s.Trials.Where(t => t.Status.IsRankable()).Select(t => t.BestValidationAccuracy!.Value).ToList();
        Assert.Equal(ranked.OrderByDescending(x => x), ranked);

        // Stage 2 samples inside the span of stage 1's top 3 (widened by the margin), in log space.
        var top = s.Trials.Where(t => t.Key.Stage == 1).OrderByDescending(t => t.BestValidationAccuracy).Take(3)
            .Select(t => Math.Log10(t.Hyperparameters.GetNumber("learning_rate")!.Value)).ToList();
        double span = Math.Max(top.Max() - top.Min(), 0.1 * 4);
        foreach (var t in s.Trials.Where(t => t.Key.Stage == 2))
        {
            double lr = Math.Log10(t.Hyperparameters.GetNumber("learning_rate")!.Value);
            Assert.InRange(lr, top.Min() - span - 0.51, top.Max() + span + 0.51);
        }

        Assert.IsType<AcquireOutcome.Finished>(c.Acquire(c.Join(new WorkerHello("late", 1, 1, "", "")).WorkerId));
    }

    [Fact]
    public void TrialHyperparameters_DoNotDependOnWorkerCountOrOrder()
    {
        static Dictionary<string, string> Trials(SearchCoordinator c) =>
            c.Snapshot().Trials.ToDictionary(t => t.Id, t => t.Hyperparameters.ToString());
        var one = Drive.New();
        Drive.RunAll(one, workers: 1, orderSeed: 3);
        var many = Drive.New();
        Drive.RunAll(many, workers: 5, orderSeed: 99);
        Assert.Equal(Trials(one).OrderBy(kv => kv.Key), Trials(many).OrderBy(kv => kv.Key));
    }

    [Fact]
    public void ExpiredLease_RequeuesTheTrial_WhichResumesFromItsLatestCheckpoint()
    {
        var clock = new ManualClock();
        var c = Drive.New(clock, Drive.Json.Replace("\"trials\": 8, \"epochs\": 1", "\"trials\": 1, \"epochs\": 3", StringComparison.Ordinal)
            .Replace("\"from_top\": 3", "\"from_top\": 1", StringComparison.Ordinal));
        string dead = c.Join(new WorkerHello("dead", 1, 1, "", "")).WorkerId;
        string alive = c.Join(new WorkerHello("alive", 1, 1, "", "")).WorkerId;
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(dead)).Assignment;
        Assert.Equal(1, a.Attempt);
        Assert.Null(a.ResumeKey);
        string key1 = Drive.Key(a, 1, 0.5);
        Assert.False(c.ReportEpoch(dead, a.TrialId, 1, Drive.Epoch(1, 0.5), key1).Stop);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(c.ExpireLeases());
        Assert.False(c.Heartbeat(alive, null, 0, null).Stop); // keeps the live worker alive; the dead one is silent
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Contains(a.TrialId, c.ExpireLeases());
        Assert.Equal(TrialStatus.Pending, c.Snapshot().Trials.Single(t => t.Id == a.TrialId).Status);

        var b = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(alive)).Assignment;
        Assert.Equal(a.TrialId, b.TrialId);
        Assert.Equal(2, b.Attempt);
        Assert.Equal(key1, b.ResumeKey);
        Assert.Equal(1, b.ResumeEpoch);

        // The old attempt is told to stop and its completion is ignored.
        var stale = c.ReportEpoch(dead, a.TrialId, 1, Drive.Epoch(2, 0.6), Drive.Key(a, 2, 0.6));
        Assert.True(stale.Stop);
        Assert.Contains("attempt 2", stale.Reason, StringComparison.Ordinal);
        c.Complete(new Completion(dead, a.TrialId, 1, WorkerOutcome.Completed, null, 2));
        Assert.Equal(TrialStatus.Running, c.Snapshot().Trials.Single(t => t.Id == a.TrialId).Status);

        Drive.Train(c, alive, b);
        var done = c.Snapshot().Trials.Single(t => t.Id == a.TrialId);
        Assert.Equal(TrialStatus.Completed, done.Status);
        Assert.Equal([1, 2, 3], done.History.Select(e => e.Epoch));
        Assert.Equal(2, done.Attempt);
    }

    [Fact]
    public void Leave_RequeuesAtOnce_AndAReacquiringWorkerGivesUpWhatItHeld()
    {
        var c = Drive.New();
        string w1 = c.Join(new WorkerHello("w1", 1, 1, "", "")).WorkerId;
        string w2 = c.Join(new WorkerHello("w2", 1, 1, "", "")).WorkerId;
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w1)).Assignment;
        Assert.True(c.Leave(w1, a.TrialId, a.Attempt, "SIGTERM"));
        Assert.False(c.Snapshot().Workers.Single(w => w.Id == w1).Alive);
        var b = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w2)).Assignment;
        Assert.Equal((a.TrialId, 2), (b.TrialId, b.Attempt));

        // w2 asks again while holding b (it restarted and lost it): b goes back to the queue, with a new attempt.
        var next = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w2)).Assignment;
        Assert.Equal((b.TrialId, 3), (next.TrialId, next.Attempt));
        Assert.True(c.ReportEpoch(w2, b.TrialId, b.Attempt, Drive.Epoch(1, 0.5), null).Stop);
    }

    [Fact]
    public void BadReports_AreRefusedWithReasons_AndRetriedReportsAreIdempotent()
    {
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;

        var outside = Assert.Throws<CoordinatorException>(() => c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 0.5), "coord/trial-9999/val0.5000_ep01.ckpt"));
        Assert.Equal(CoordinatorErrorKind.InvalidArgument, outside.Kind);
        Assert.Contains("outside the trial's prefix", outside.Message, StringComparison.Ordinal);
        var escape = Assert.Throws<CoordinatorException>(() => c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 0.5), a.CheckpointPrefix + "../x.ckpt"));
        Assert.Equal(CoordinatorErrorKind.InvalidArgument, escape.Kind);
        var pct = Assert.Throws<CoordinatorException>(() => c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 87.3), null));
        Assert.Contains("val_acc", pct.Message, StringComparison.Ordinal);
        var epoch = Assert.Throws<CoordinatorException>(() => c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(5, 0.5), null));
        Assert.Contains("epoch", epoch.Message, StringComparison.Ordinal);

        Assert.Equal(CoordinatorErrorKind.NotFound, Assert.Throws<CoordinatorException>(() => c.Acquire("w-nobody")).Kind);
        Assert.Equal(CoordinatorErrorKind.NotFound, Assert.Throws<CoordinatorException>(() => c.ReportEpoch(w, "s9-t999", 1, Drive.Epoch(1, 0.5), null)).Kind);

        string key = Drive.Key(a, 1, 0.5);
        Assert.False(c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 0.5), key).Stop);
        Assert.False(c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 0.5), key).Stop); // a retry after a lost reply
        Assert.Single(c.Snapshot().Trials.Single(t => t.Id == a.TrialId).History);
    }

    [Fact]
    public void DivergedTrials_AreStopped_RecordedAsDiverged_AndNeverRanked()
    {
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
        Assert.False(c.Heartbeat(w, a.TrialId, a.Attempt, null).Stop); // no minibatch yet: nothing to judge
        var v = c.Heartbeat(w, a.TrialId, a.Attempt, double.NaN);
        Assert.True(v.Stop);
        Assert.Contains("NaN", v.Reason, StringComparison.Ordinal);
        c.Complete(new Completion(w, a.TrialId, a.Attempt, WorkerOutcome.Stopped, "master said stop", 0));
        var t = c.Snapshot().Trials.Single(x => x.Id == a.TrialId);
        Assert.Equal(TrialStatus.Diverged, t.Status);
        Assert.False(t.Status.IsRankable());

        var b = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
        Assert.True(c.ReportEpoch(w, b.TrialId, b.Attempt, Drive.Epoch(1, 0.1, loss: double.PositiveInfinity), Drive.Key(b, 1, 0.1)).Stop);
        c.Complete(new Completion(w, b.TrialId, b.Attempt, WorkerOutcome.Completed, null, 1));
        Assert.Equal(TrialStatus.Diverged, c.Snapshot().Trials.Single(x => x.Id == b.TrialId).Status);
        Assert.DoesNotContain(c.TopCheckpoints(10), x => x.Id == b.TrialId);
    }

    [Fact]
    public void FailedTrials_AreRetriedOnce_ThenRecordedAsFailed()
    {
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
        c.Complete(new Completion(w, a.TrialId, a.Attempt, WorkerOutcome.Failed, "out of memory", 0));
        var again = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
        Assert.Equal((a.TrialId, 2), (again.TrialId, again.Attempt));
        c.Complete(new Completion(w, again.TrialId, again.Attempt, WorkerOutcome.Failed, "out of memory", 0));
        var t = c.Snapshot().Trials.Single(x => x.Id == a.TrialId);
        Assert.Equal(TrialStatus.Failed, t.Status);
        Assert.Equal("out of memory", t.Message);
    }

    [Fact]
    public void AFailedTrial_IsRetriedOnAnotherWorker_WhileOneIsAlive()
    {
        var c = Drive.New();
        string w1 = c.Join(new WorkerHello("w1", 1, 1, "", "")).WorkerId;
        string w2 = c.Join(new WorkerHello("w2", 1, 1, "", "")).WorkerId;
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w1)).Assignment;
        c.Complete(new Completion(w1, a.TrialId, a.Attempt, WorkerOutcome.Failed, "CUDA error", 0));

        // w1 skips its failed trial for the next one; w2 gets the retry.
        var next = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w1)).Assignment;
        Assert.NotEqual(a.TrialId, next.TrialId);
        var retry = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w2)).Assignment;
        Assert.Equal((a.TrialId, 2), (retry.TrialId, retry.Attempt));
        c.Complete(new Completion(w2, retry.TrialId, retry.Attempt, WorkerOutcome.Completed, null, 1));
        Assert.Equal(TrialStatus.Completed, c.Snapshot().Trials.Single(x => x.Id == a.TrialId).Status);

        // With only its own failure left to take and the other worker alive, a worker waits, saying why.
        var d = Drive.New(json: Drive.Json
            .Replace("""[{"trials": 8, "epochs": 1}, {"trials": 4, "epochs": 2, "from_top": 3}]""", """[{"trials": 1, "epochs": 1}]""", StringComparison.Ordinal)
            .Replace("""{"top": 2}""", """{"top": 1}""", StringComparison.Ordinal));
        Assert.Single(d.Snapshot().Trials);
        string v1 = d.Join(new WorkerHello("v1", 1, 1, "", "")).WorkerId;
        string v2 = d.Join(new WorkerHello("v2", 1, 1, "", "")).WorkerId;
        var only = Assert.IsType<AcquireOutcome.Assigned>(d.Acquire(v1)).Assignment;
        d.Complete(new Completion(v1, only.TrialId, only.Attempt, WorkerOutcome.Failed, "CUDA error", 0));
        Assert.Contains("failed on this worker", Assert.IsType<AcquireOutcome.Wait>(d.Acquire(v1)).Reason, StringComparison.Ordinal);
        d.Leave(v2, null, 0, "done");
        Assert.Equal(only.TrialId, Assert.IsType<AcquireOutcome.Assigned>(d.Acquire(v1)).Assignment.TrialId); // no one else: it retries itself
    }

    [Fact]
    public void Stage2_WaitsForStage1_WithAReason()
    {
        var c = Drive.New(json: Drive.JsonNotEarly);
        var leased = new List<(string Worker, Assignment Trial)>();
        for (int i = 0; i < 8; i++)
        {
            string w = c.Join(new WorkerHello("w" + i, 1, 1, "", "")).WorkerId;
            leased.Add((w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment));
        }

        string idle = c.Join(new WorkerHello("idle", 1, 1, "", "")).WorkerId;
        var wait = Assert.IsType<AcquireOutcome.Wait>(c.Acquire(idle));
        Assert.Contains("stage 2", wait.Reason, StringComparison.Ordinal);
        foreach (var (w, a) in leased) Drive.Train(c, w, a);
        var next = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(idle)).Assignment;
        Assert.Equal(2, next.Spec.Stage);
        Assert.Equal(2, next.Spec.Epochs);
    }

    [Fact]
    public void BestValuesAtTheEdge_RaiseABorderWarning_InTheSnapshot()
    {
        // The objective rises with the learning rate: the best stage-1 values crowd the upper edge 1e-1.
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        for (int i = 0; i < 8; i++)
        {
            var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
            double acc = 0.5 + 0.08 * (Math.Log10(a.Spec.Hyperparameters.GetNumber("learning_rate")!.Value) + 5);
            acc = Math.Clamp(acc, 0, 1);
            c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, acc), Drive.Key(a, 1, acc));
            c.Complete(new Completion(w, a.TrialId, a.Attempt, WorkerOutcome.Completed, null, 1));
        }

        var warnings = c.Snapshot().BorderWarnings;
        Assert.Contains(warnings, x => x.Parameter == "learning_rate" && x.Edge == BorderEdge.High && x.Stage == 1);
    }

    [Fact]
    public void Restore_FromSavedRows_CarriesOnWhereTheSearchStopped()
    {
        var clock = new ManualClock();
        var c = Drive.New(clock);
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        for (int i = 0; i < 5; i++) Drive.Train(c, w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment);
        var running = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
        var rows = Collect(c);

        var restored = Drive.New(clock);
        restored.Restore(rows);
        var before = c.Snapshot();
        var after = restored.Snapshot();
        Assert.Equal(before.Trials.Select(t => (t.Id, t.Status, t.History.Count, t.BestCheckpointKey)),
            after.Trials.Select(t => (t.Id, t.Status, t.History.Count, t.BestCheckpointKey)));
        // Leases are not saved before they are answered: a pending trial skips one attempt number, so a lease lost in
        // the crash can never collide with the next one; running and finished trials keep theirs.
        Assert.Equal(before.Trials.Select(t => t.Status == TrialStatus.Pending ? t.Attempt + 1 : t.Attempt), after.Trials.Select(t => t.Attempt));

        // The worker that held a lease across the restart carries on with it (same id, same attempt).
        Drive.Train(restored, w, running);
        Drive.RunAll(restored, workers: 2, orderSeed: 5);
        var done = restored.Snapshot();
        Assert.Equal(12, done.Trials.Count);
        Assert.All(done.Trials, t => Assert.True(t.Status.IsFinished()));
        Assert.All(done.Trials.Where(t => t.Key.Stage == 1 && t.Key.Index < 5), t => Assert.Equal(1, t.Attempt)); // not re-run
    }

    [Fact]
    public void Restore_ALeaseLostInTheCrash_IsToldToStop_AndTheTrialRunsUnderANewAttempt()
    {
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        var saved = Collect(c);                                                           // the last save before the crash
        var lost = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;      // answered, never saved

        var restored = Drive.New();
        restored.Restore(saved);
        var fresh = Assert.IsType<AcquireOutcome.Assigned>(restored.Acquire(w)).Assignment;
        Assert.Equal(lost.TrialId, fresh.TrialId);
        Assert.NotEqual(lost.Attempt, fresh.Attempt);
        Assert.True(restored.ReportEpoch(w, lost.TrialId, lost.Attempt, Drive.Epoch(1, 0.5), null).Stop);
        Assert.False(restored.ReportEpoch(w, fresh.TrialId, fresh.Attempt, Drive.Epoch(1, 0.5), null).Stop);
    }

    [Fact]
    public void Restore_RefusesRowsFromAnotherConfig()
    {
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        for (int i = 0; i < 8; i++) Drive.Train(c, w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment);
        var rows = Collect(c); // includes stage-2 rows
        var other = Drive.New(json: Drive.Json.Replace("{\"trials\": 4, \"epochs\": 2, \"from_top\": 3}", "{\"trials\": 2, \"epochs\": 2, \"from_top\": 3}", StringComparison.Ordinal)
            .Replace("\"trials\": 8, \"epochs\": 1", "\"trials\": 6, \"epochs\": 1", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => other.Restore(rows));
        Assert.Contains("different search config", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqliteStateStore_RoundTripsChanges_AndRefusesForeignFiles()
    {
        string dir = Directory.CreateTempSubdirectory("cvlearn-state-").FullName;
        try
        {
            string path = Path.Combine(dir, "s.db");
            var c = Drive.New();
            string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
            for (int i = 0; i < 3; i++) Drive.Train(c, w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment);
            await using (var store = await SqliteStateStore.OpenAsync(path, CancellationToken.None))
            {
                await store.WriteAsync(c.TakeChanges(), CancellationToken.None);
                Drive.Train(c, w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment);
                await store.WriteAsync(c.TakeChanges(), CancellationToken.None); // only the changed rows
            }

            await using (var store = await SqliteStateStore.OpenAsync(path, CancellationToken.None))
            {
                var restored = Drive.New();
                restored.Restore(await store.LoadAsync(CancellationToken.None));
                Assert.Equal(4, restored.Snapshot().Trials.Count(t => t.Status == TrialStatus.Completed));
            }

            string foreign = Path.Combine(dir, "foreign.db");
            await File.WriteAllTextAsync(foreign, "this is not a database, just text that is long enough to have a header.............");
            var ex = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteStateStore.OpenAsync(foreign, CancellationToken.None));
            Assert.Contains("not a usable master state file", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Retention_ProtectsResumePoints_AndKeepsEnoughForTheEnsemble()
    {
        var c = Drive.New();
        string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
        for (int i = 0; i < 8; i++) Drive.Train(c, w, Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment);
        var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment; // stage 2, 2 epochs
        c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 0.01), Drive.Key(a, 1, 0.01)); // a poor but latest checkpoint

        var input = c.RetentionCandidates(-1)!;
        Assert.Null(c.RetentionCandidates(input.Version)); // nothing changed since
        Assert.Contains(a.TrialId, input.Protected);
        var plan = RetentionPlanner.Plan(input.Checkpoints, input.Config, input.Protected);
        Assert.Contains(plan.Keep, k => k.TrialId == a.TrialId);
        Assert.Equal(3, plan.Keep.Count(k => k.TrialId != a.TrialId)); // per_experiment 3 (>= ensemble top 2)
        c.ForgetCheckpoints(plan.Delete.Select(d => (d.Checkpoint.TrialId, d.Checkpoint.Key)));
        Assert.Equal(3, c.TopCheckpoints(10).Count(t => t.Status == TrialStatus.Completed));
    }

    private static PersistedState Collect(SearchCoordinator c)
    {
        var changes = c.TakeChanges();
        return new PersistedState(changes.Trials.ToDictionary(kv => kv.Key, kv => kv.Value), changes.Workers.ToDictionary(kv => kv.Key, kv => kv.Value), changes.Meta);
    }
}
