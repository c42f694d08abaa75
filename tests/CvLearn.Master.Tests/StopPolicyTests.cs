using CvLearn.Core.Training;
using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;

namespace CvLearn.Master.Tests;

public class StopPolicyTests
{
    private static EpochRecord Epoch(int e, double loss, double valAcc) => new(e, loss, 0.5, valAcc, valAcc, 1e-3, 1.0);

    private static TrialHistory History(int index, TrialStatus status, params (double Loss, double Val)[] epochs) =>
        new(new TrialKey(2, index), status, epochs.Select((x, i) => Epoch(i + 1, x.Loss, x.Val)).ToList());

    private static readonly StageContext NoPeers = new(2, 5, []);

    [Fact]
    public void NaNLoss_IsDivergence()
    {
        var d = new DivergenceStopPolicy().Decide(History(0, TrialStatus.Running, (2.3, 0.3), (double.NaN, 0.1)), NoPeers);
        Assert.Equal(StopKind.Diverged, d.Kind);
        Assert.Contains("NaN at epoch 2", d.Reason);
    }

    [Fact]
    public void InfiniteMinibatchLoss_IsDivergence()
    {
        var h = History(0, TrialStatus.Running, (2.3, 0.3)) with { LatestLoss = double.PositiveInfinity };
        Assert.Equal(StopKind.Diverged, new DivergenceStopPolicy().Decide(h, NoPeers).Kind);
    }

    [Fact]
    public void LossAboveFactorOfFirst_IsDivergence_BelowIsNot()
    {
        var policy = new DivergenceStopPolicy(3.0);
        var ok = policy.Decide(History(0, TrialStatus.Running, (2.0, 0.3), (5.9, 0.2)), NoPeers);
        Assert.False(ok.ShouldStop);
        var bad = policy.Decide(History(0, TrialStatus.Running, (2.0, 0.3), (6.1, 0.2)), NoPeers);
        Assert.Equal(StopKind.Diverged, bad.Kind);
        Assert.Contains("exceeds 3 × the first epoch's loss 2", bad.Reason);
    }

    [Fact]
    public void InitialLoss_IsTheReferenceWhenReported()
    {
        // First epoch already 4× the initial loss ln(10) ≈ 2.3: diverged although the epoch-1 reference would not see it.
        var h = History(0, TrialStatus.Running, (9.5, 0.1)) with { InitialLoss = 2.3 };
        var d = new DivergenceStopPolicy(3).Decide(h, NoPeers);
        Assert.Equal(StopKind.Diverged, d.Kind);
        Assert.Contains("initial loss", d.Reason);
        Assert.False(new DivergenceStopPolicy(3).Decide(h with { InitialLoss = null }, NoPeers).ShouldStop);
    }

    private static StageContext Peers(params TrialHistory[] peers) => new(2, 5, peers);

    private static readonly TrialHistory[] CompletedPeers =
    [
        History(1, TrialStatus.Completed, (1, 0.50), (1, 0.60), (1, 0.65), (1, 0.66), (1, 0.67)),
        History(2, TrialStatus.Completed, (1, 0.55), (1, 0.62), (1, 0.70), (1, 0.71), (1, 0.72)),
        History(3, TrialStatus.Completed, (1, 0.40), (1, 0.58), (1, 0.60), (1, 0.61), (1, 0.62)),
    ];

    [Fact]
    public void Median_StopsTrialBelowMedianAfterGrace()
    {
        // Median at epoch 2 of best-so-far {0.60, 0.62, 0.58} = 0.60; the trial has 0.45.
        var trial = History(0, TrialStatus.Running, (1, 0.30), (1, 0.45));
        var d = new MedianStopPolicy(graceEpochs: 2, minPeers: 3).Decide(trial, Peers(CompletedPeers));
        Assert.Equal(StopKind.Underperforming, d.Kind);
        Assert.Contains("below the median 0.6 of 3 completed trials of stage 2 at epoch 2", d.Reason);
    }

    [Fact]
    public void Median_ContinuesAtOrAboveMedian()
    {
        var trial = History(0, TrialStatus.Running, (1, 0.30), (1, 0.60));
        Assert.False(new MedianStopPolicy(2, 3).Decide(trial, Peers(CompletedPeers)).ShouldStop);
    }

    [Fact]
    public void Median_RespectsGracePeriod()
    {
        var trial = History(0, TrialStatus.Running, (1, 0.10));
        Assert.False(new MedianStopPolicy(2, 3).Decide(trial, Peers(CompletedPeers)).ShouldStop);
    }

    [Fact]
    public void Median_NeedsEnoughCompletedPeers_RunningOnesDoNotCount()
    {
        var trial = History(0, TrialStatus.Running, (1, 0.30), (1, 0.45));
        var peers = CompletedPeers.Take(2).Append(History(4, TrialStatus.Running, (1, 0.9), (1, 0.9)))
            .Append(History(5, TrialStatus.Diverged, (1, 0.9), (1, 0.9))).ToArray();
        Assert.False(new MedianStopPolicy(2, 3).Decide(trial, Peers(peers)).ShouldStop);
        Assert.True(new MedianStopPolicy(2, 2).Decide(trial, Peers(peers)).ShouldStop);
    }

    [Fact]
    public void Median_NeverStopsAFinishedBudget()
    {
        var trial = History(0, TrialStatus.Running, (1, 0.1), (1, 0.1), (1, 0.1), (1, 0.1), (1, 0.1));
        Assert.False(new MedianStopPolicy(2, 3).Decide(trial, Peers(CompletedPeers)).ShouldStop);
    }

    [Fact]
    public void Composite_FromConfig_DivergenceFirst_MedianOnlyWhenConfigured()
    {
        var nanTrial = History(0, TrialStatus.Running, (2, 0.1), (double.NaN, 0.1));
        var withMedian = CompositeStopPolicy.FromConfig(new SchedulerConfig(3, new MedianStoppingConfig(2, 3)));
        Assert.Equal(StopKind.Diverged, withMedian.Decide(nanTrial, Peers(CompletedPeers)).Kind);

        var slow = History(0, TrialStatus.Running, (1, 0.30), (1, 0.45));
        Assert.Equal(StopKind.Underperforming, withMedian.Decide(slow, Peers(CompletedPeers)).Kind);
        var defaults = CompositeStopPolicy.FromConfig(SchedulerConfig.Default);
        Assert.Single(defaults.Policies);
        Assert.False(defaults.Decide(slow, Peers(CompletedPeers)).ShouldStop);
    }
}
