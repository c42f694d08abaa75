using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;

namespace CvLearn.Master.Tests;

public class StagePlannerTests
{
    private const string Json = """
        {
          "experiment": "plan-test", "dataset": "fashion-mnist", "model": "fc:256", "seed": 7,
          "space": {
            "learning_rate": {"log_uniform": [1e-6, 1e-1]},
            "reg": {"log_uniform": [1e-6, 1e-1]},
            "dropout": {"uniform": [0, 0.8]},
            "batch_size": {"int_uniform": [64, 512]},
            "optimizer": {"choice": ["adam", "sgd", "momentum"]}
          },
          "stages": [{"trials": 40, "epochs": 1}, {"trials": 12, "epochs": 5, "from_top": 8}, {"trials": 4, "epochs": 20, "from_top": 4}]
        }
        """;

    private static readonly SearchConfig Config = SearchConfigParser.Parse(Json);

    /// <summary>A synthetic objective peaked at lr = 1e-3, reg = 1e-4 (accuracy falls with log-distance).</summary>
    private static double Accuracy(Hyperparameters h)
    {
        double dl = Math.Log10(h.GetNumber("learning_rate")!.Value) + 3;
        double dr = Math.Log10(h.GetNumber("reg")!.Value) + 4;
        return 0.9 - 0.05 * (dl * dl + 0.3 * dr * dr);
    }

    private static List<TrialResult> Finish(StagePlan plan, Func<TrialSpec, TrialStatus>? status = null) =>
        plan.Trials.Select(t => new TrialResult(t.Key, status?.Invoke(t) ?? TrialStatus.Completed, t.Hyperparameters, Accuracy(t.Hyperparameters), t.Epochs)).ToList();

    [Fact]
    public void Stage1_SamplesTheConfiguredSpace()
    {
        var planner = new StagePlanner(Config);
        var plan = planner.Plan(1, []);
        Assert.Equal(40, plan.Trials.Count);
        Assert.All(plan.Trials, t => Assert.Equal(1, t.Epochs));
        Assert.Equal(Enumerable.Range(0, 40), plan.Trials.Select(t => t.Index));
        foreach (var t in plan.Trials)
        {
            foreach (var p in Config.Space.Parameters) Assert.True(p.Distribution.Contains(t.Hyperparameters[p.Name]));
        }

        // Planning again (e.g. after a master restart) gives identical trials.
        var again = planner.Plan(1, []);
        Assert.Equal(plan.Trials.Select(t => t.Hyperparameters.ToString() + t.Seed), again.Trials.Select(t => t.Hyperparameters.ToString() + t.Seed));
    }

    [Fact]
    public void Stage2_CannotStartUntilStage1IsFinished()
    {
        var planner = new StagePlanner(Config);
        var results = Finish(planner.Plan(1, []));
        results[5] = results[5] with { Status = TrialStatus.Running };
        results.RemoveAt(7);
        Assert.False(planner.CanStart(2, results, out string reason));
        Assert.Contains("2 of 40 trials not finished", reason);
        var ex = Assert.Throws<InvalidOperationException>(() => planner.Plan(2, results));
        Assert.Contains("stage 2 cannot start", ex.Message);
        Assert.True(planner.CanStart(1, results, out _));
    }

    [Fact]
    public void Stage2_NarrowsAroundTopTrials_AndItsSamplesLieInTheNarrowedRange()
    {
        var planner = new StagePlanner(Config);
        var stage1 = Finish(planner.Plan(1, []));
        var plan2 = planner.Plan(2, stage1);

        var top = TrialRanking.Ranked(stage1).Take(8).ToList();
        Assert.Equal(top.Select(t => t.Key), plan2.DerivedFrom);
        foreach (var name in new[] { "learning_rate", "reg", "dropout", "batch_size" })
        {
            var narrowed = (INumericRange)plan2.Space[name];
            var original = (INumericRange)Config.Space[name];
            // The narrowed range contains every top trial's value ...
            Assert.All(top, t => Assert.True(narrowed.Contains(t.Hyperparameters[name]), $"{name}: {t.Hyperparameters[name]} not in {narrowed.Describe()}"));
            // ... and is no wider than the original unless a border extension happened.
            bool extended = plan2.Warnings.Any(w => w.Parameter == name && w.Extended);
            if (!extended) Assert.True(narrowed.Low >= original.Low && narrowed.High <= original.High, narrowed.Describe());
        }

        // lr carries the signal, so its range must shrink substantially (< half the 5 decades).
        var lr = (LogUniform)plan2.Space["learning_rate"];
        Assert.True(Math.Log10(lr.High / lr.Low) < 2.5, lr.Describe());

        Assert.Equal(12, plan2.Trials.Count);
        Assert.All(plan2.Trials, t =>
        {
            Assert.Equal(5, t.Epochs);
            foreach (var p in plan2.Space.Parameters) Assert.True(p.Distribution.Contains(t.Hyperparameters[p.Name]), $"{p.Name} {t.Hyperparameters[p.Name]}");
        });

        // The optimizer choice shrinks to what the top trials used.
        var used = top.Select(t => t.Hyperparameters["optimizer"]).Distinct().ToHashSet();
        var optimizer = plan2.Space["optimizer"];
        var allowed = optimizer is Choice c ? c.Values.ToHashSet() : [((Fixed)optimizer).Value];
        Assert.Equal(used, allowed);
    }

    [Fact]
    public void DivergedAndFailedTrials_AreNeverRanked()
    {
        var planner = new StagePlanner(Config);
        var plan1 = planner.Plan(1, []);
        var results = Finish(plan1);
        // Mark the 5 best as diverged/failed (with high recorded accuracy): they must not shape stage 2.
        var best = TrialRanking.Ranked(results).Take(5).Select(r => r.Key).ToHashSet();
        results = results.Select(r => best.Contains(r.Key) ? r with { Status = r.Key.Index % 2 == 0 ? TrialStatus.Diverged : TrialStatus.Failed } : r).ToList();
        var plan2 = planner.Plan(2, results);
        Assert.Equal(8, plan2.DerivedFrom.Count);
        Assert.DoesNotContain(plan2.DerivedFrom, best.Contains);
    }

    [Fact]
    public void AllDiverged_ReusesThePreviousSpaceWithANote()
    {
        var planner = new StagePlanner(Config);
        var results = Finish(planner.Plan(1, []), _ => TrialStatus.Diverged);
        var plan2 = planner.Plan(2, results);
        Assert.Empty(plan2.DerivedFrom);
        Assert.Contains(plan2.Notes, n => n.Contains("no ranked trials"));
        Assert.Equal(Config.Space.ToString(), plan2.Space.ToString());
    }

    [Fact]
    public void Plans_DoNotDependOnResultOrder_AndChainToStage3()
    {
        var planner = new StagePlanner(Config);
        var s1 = Finish(planner.Plan(1, []));
        var s2 = Finish(planner.Plan(2, s1));
        var all = s1.Concat(s2).ToList();
        var shuffled = all.ToArray();
        new Random(3).Shuffle(shuffled);

        var a = planner.Plan(3, all);
        var b = planner.Plan(3, shuffled);
        Assert.Equal(a.Space.ToString(), b.Space.ToString());
        Assert.Equal(a.Trials.Select(t => t.Hyperparameters.ToString()), b.Trials.Select(t => t.Hyperparameters.ToString()));
        Assert.Equal(4, a.Trials.Count);
        Assert.All(a.Trials, t => Assert.Equal(20, t.Epochs));
        var top2 = TrialRanking.Ranked(s2).Take(4).ToList();
        Assert.Equal(top2.Select(t => t.Key), a.DerivedFrom);
        foreach (var t in top2) Assert.True(a.Space["learning_rate"].Contains(t.Hyperparameters["learning_rate"]));
    }

    [Fact]
    public void OptimumBeyondTheRange_IsFoundByBorderExtension()
    {
        // Objective increasing in lr up to 1: the best stage-1 value sits at the top edge 1e-1.
        static double Acc(Hyperparameters h) => 0.5 + 0.05 * Math.Log10(h.GetNumber("learning_rate")!.Value);
        var planner = new StagePlanner(Config);
        var s1 = planner.Plan(1, []).Trials.Select(t => new TrialResult(t.Key, TrialStatus.Completed, t.Hyperparameters, Acc(t.Hyperparameters), 1)).ToList();
        var plan2 = planner.Plan(2, s1);
        var w = Assert.Single(plan2.Warnings, x => x.Parameter == "learning_rate");
        Assert.Equal(BorderEdge.High, w.Edge);
        Assert.True(w.Extended);
        Assert.Contains("stage 2 extends the range past that edge", w.Message);
        var lr = (LogUniform)plan2.Space["learning_rate"];
        Assert.True(lr.High > 1e-1);
        Assert.Contains(plan2.Trials, t => t.Hyperparameters.GetNumber("learning_rate") > 1e-1);

        var analysis = planner.Analyze(1, s1);
        Assert.Equal(plan2.Space.ToString(), analysis.NextSpace.ToString());
    }
}
