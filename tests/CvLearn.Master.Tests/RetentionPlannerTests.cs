using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;

namespace CvLearn.Master.Tests;

public class RetentionPlannerTests
{
    private static CheckpointEntry C(string trial, int epoch, double acc) => new($"{trial}/e{epoch:D3}-val{acc:0.0000}", trial, epoch, acc);

    private static readonly HashSet<string> NoneRunning = [];

    [Fact]
    public void KeepsTopKPerTrial()
    {
        var cps = new[] { C("s1-t000", 1, 0.5), C("s1-t000", 2, 0.7), C("s1-t000", 3, 0.6), C("s1-t001", 1, 0.4) };
        var plan = RetentionPlanner.Plan(cps, new RetentionConfig(2, 20), NoneRunning);
        Assert.Equal([cps[1], cps[2], cps[3]], plan.Keep);
        var d = Assert.Single(plan.Delete);
        Assert.Equal(cps[0], d.Checkpoint);
        Assert.Contains("not among trial s1-t000's best 2 (rank 3 of 3)", d.Reason);
    }

    [Fact]
    public void KeepsTopKPerExperiment_AfterPerTrialFilter()
    {
        // Trial A's 3 checkpoints are the best overall, but per_trial = 1 keeps only its best, so the experiment's
        // 3 slots go to A's best, B's best and C's best.
        var cps = new[]
        {
            C("A", 1, 0.90), C("A", 2, 0.89), C("A", 3, 0.88),
            C("B", 1, 0.70), C("C", 1, 0.60), C("D", 1, 0.50),
        };
        var plan = RetentionPlanner.Plan(cps, new RetentionConfig(1, 3), NoneRunning);
        Assert.Equal([cps[0], cps[3], cps[4]], plan.Keep);
        Assert.Equal(new[] { cps[1], cps[2], cps[5] }.ToHashSet(), plan.Delete.Select(d => d.Checkpoint).ToHashSet());
        Assert.Contains("experiment's best 3", plan.Delete.Single(d => d.Checkpoint == cps[5]).Reason);
    }

    [Fact]
    public void RunningTrialsLatestCheckpoint_IsProtected()
    {
        // Running trial R: its latest (epoch 3) is its worst and outside both budgets, yet must survive for resume.
        var cps = new[] { C("R", 1, 0.8), C("R", 2, 0.7), C("R", 3, 0.1), C("X", 1, 0.9) };
        var plan = RetentionPlanner.Plan(cps, new RetentionConfig(1, 1), new HashSet<string> { "R" });
        Assert.Contains(cps[2], plan.Keep);
        Assert.Equal([cps[2]], plan.Protected);
        Assert.DoesNotContain(plan.Delete, d => d.Checkpoint == cps[2]);
        Assert.Equal(new[] { cps[0], cps[1] }.ToHashSet(), plan.Delete.Select(d => d.Checkpoint).ToHashSet());

        // Once R is finished the same checkpoint is deleted.
        var after = RetentionPlanner.Plan(cps, new RetentionConfig(1, 1), NoneRunning);
        Assert.Contains(after.Delete, d => d.Checkpoint == cps[2]);
    }

    [Fact]
    public void NaNAccuracyRanksLast_TiesPreferEarlierEpoch()
    {
        var cps = new[] { C("A", 1, double.NaN), C("A", 2, 0.5), C("A", 3, 0.5) };
        var plan = RetentionPlanner.Plan(cps, new RetentionConfig(1, 10), NoneRunning);
        Assert.Equal([cps[1]], plan.Keep);
    }

    [Fact]
    public void EveryCheckpointIsEitherKeptOrDeleted()
    {
        var rng = new Random(1);
        var cps = Enumerable.Range(0, 60).Select(i => C($"s1-t{i % 7:D3}", i / 7 + 1, Math.Round(rng.NextDouble(), 3))).ToList();
        var running = new HashSet<string> { "s1-t002", "s1-t005" };
        var plan = RetentionPlanner.Plan(cps, new RetentionConfig(2, 5), running);
        Assert.Equal(cps.Count, plan.Keep.Count + plan.Delete.Count);
        Assert.Equal(cps.ToHashSet(), plan.Keep.Concat(plan.Delete.Select(d => d.Checkpoint)).ToHashSet());
        Assert.Equal(5 + plan.Protected.Count, plan.Keep.Count);
        foreach (var r in running) Assert.Contains(plan.Keep, k => k.TrialId == r && k.Epoch == cps.Where(c => c.TrialId == r).Max(c => c.Epoch));
    }

    [Fact]
    public void DuplicateKeys_AreRejected()
    {
        var a = C("A", 1, 0.5);
        Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan([a, a], new RetentionConfig(1, 1), NoneRunning));
    }
}
