using CvLearn.Core.Training;
using CvLearn.Master.Config;
using CvLearn.Master.Search;

namespace CvLearn.Master.Scheduling;

/// <summary>Why a trial is stopped.</summary>
public enum StopKind
{
    /// <summary>Not stopped.</summary>
    None,

    /// <summary>Loss NaN/inf or exploded: the trial is marked diverged and never ranked.</summary>
    Diverged,

    /// <summary>Clearly worse than its peers: marked stopped; its accuracy so far stays ranked.</summary>
    Underperforming,
}

/// <summary>A scheduler's verdict on a running trial.</summary>
public readonly record struct StopDecision(StopKind Kind, string? Reason)
{
    /// <summary>Keep training.</summary>
    public static StopDecision Continue => default;

    /// <summary>True when the trial should stop.</summary>
    public bool ShouldStop => Kind != StopKind.None;

    /// <summary>Stop with a reason.</summary>
    public static StopDecision Stop(StopKind kind, string reason) =>
        kind == StopKind.None ? throw new ArgumentException("a stop needs a kind", nameof(kind)) : new StopDecision(kind, reason);
}

/// <summary>
/// A trial's progress as the scheduler sees it: finished epochs, plus optionally the loss before training
/// (<see cref="InitialLoss"/>, the CS231n reference) and the latest minibatch loss reported mid-epoch.
/// </summary>
public sealed record TrialHistory(
    TrialKey Key,
    TrialStatus Status,
    IReadOnlyList<EpochRecord> Epochs,
    double? InitialLoss = null,
    double? LatestLoss = null)
{
    /// <summary>Best validation accuracy over the first <paramref name="epochs"/> epochs (NaN-safe; −∞ when none).</summary>
    public double BestValidationAccuracy(int epochs)
    {
        double best = double.NegativeInfinity;
        for (int i = 0; i < Math.Min(epochs, Epochs.Count); i++)
        {
            double a = Epochs[i].ValidationAccuracy;
            if (a > best) best = a;
        }

        return best;
    }
}

/// <summary>The stage a trial belongs to: its epoch budget and the other trials of the same stage.</summary>
public sealed record StageContext(int Stage, int Epochs, IReadOnlyList<TrialHistory> Peers);

/// <summary>Decides whether a running trial continues (separate from the searcher, which decides what to try).</summary>
public interface IStopPolicy
{
    /// <summary>Called after each progress report of <paramref name="trial"/>.</summary>
    StopDecision Decide(TrialHistory trial, StageContext stage);
}

/// <summary>
/// Divergence: any NaN/inf loss or accuracy, or a loss above <see cref="Factor"/> × the reference loss (the initial
/// loss when reported, else the first epoch's training loss). CS231n: "if the cost is ever &gt; 3 × original cost,
/// break out early".
/// </summary>
public sealed class DivergenceStopPolicy : IStopPolicy
{
    /// <summary>Creates the policy; <paramref name="factor"/> must be &gt; 1.</summary>
    public DivergenceStopPolicy(double factor = 3.0)
    {
        if (!(factor > 1) || !double.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "divergence factor must be a finite number > 1");
        Factor = factor;
    }

    /// <summary>Loss multiple treated as divergence.</summary>
    public double Factor { get; }

    /// <inheritdoc />
    public StopDecision Decide(TrialHistory trial, StageContext stage)
    {
        ArgumentNullException.ThrowIfNull(trial);
        for (int i = 0; i < trial.Epochs.Count; i++)
        {
            var e = trial.Epochs[i];
            if (!double.IsFinite(e.TrainLoss)) return StopDecision.Stop(StopKind.Diverged, $"training loss became {NumberFormat.Short(e.TrainLoss)} at epoch {e.Epoch}");
            if (double.IsNaN(e.ValidationAccuracy)) return StopDecision.Stop(StopKind.Diverged, $"validation accuracy became NaN at epoch {e.Epoch}");
        }

        if (trial.LatestLoss is double latest && !double.IsFinite(latest))
        {
            return StopDecision.Stop(StopKind.Diverged, $"minibatch loss became {NumberFormat.Short(latest)}");
        }

        double? reference = trial.InitialLoss is double init && double.IsFinite(init) && init > 0
            ? init
            : trial.Epochs.Count > 0 && trial.Epochs[0].TrainLoss > 0 ? trial.Epochs[0].TrainLoss : null;
        if (reference is null) return StopDecision.Continue;
        string refName = trial.InitialLoss is not null ? "initial loss" : "first epoch's loss";
        double limit = Factor * reference.Value;
        foreach (var e in trial.Epochs)
        {
            if (e.TrainLoss > limit)
            {
                return StopDecision.Stop(StopKind.Diverged,
                    $"training loss {NumberFormat.Short(e.TrainLoss)} at epoch {e.Epoch} exceeds {NumberFormat.Short(Factor)} × the {refName} {NumberFormat.Short(reference.Value)}");
            }
        }

        if (trial.LatestLoss is double l && l > limit)
        {
            return StopDecision.Stop(StopKind.Diverged,
                $"minibatch loss {NumberFormat.Short(l)} exceeds {NumberFormat.Short(Factor)} × the {refName} {NumberFormat.Short(reference.Value)}");
        }

        return StopDecision.Continue;
    }
}

/// <summary>
/// Median stopping (Golovin et al., Google Vizier), conservative form: after <see cref="GraceEpochs"/> epochs, stop a
/// trial whose best validation accuracy so far is strictly below the median, over the stage's COMPLETED trials that
/// have at least as many epochs, of their best accuracy over the same number of epochs — and only when at least
/// <see cref="MinPeers"/> such trials exist. A trial that has already trained all its epochs is never stopped.
/// Note: which trials have completed depends on scheduling order, so this rule (unlike the sampler) is not
/// order-independent; it is off unless configured.
/// </summary>
public sealed class MedianStopPolicy : IStopPolicy
{
    /// <summary>Creates the policy.</summary>
    public MedianStopPolicy(int graceEpochs = 2, int minPeers = 3)
    {
        if (graceEpochs < 1) throw new ArgumentOutOfRangeException(nameof(graceEpochs), graceEpochs, "grace period must be >= 1 epoch");
        if (minPeers < 1) throw new ArgumentOutOfRangeException(nameof(minPeers), minPeers, "need at least 1 peer");
        GraceEpochs = graceEpochs;
        MinPeers = minPeers;
    }

    /// <summary>Epochs every trial runs before it can be stopped.</summary>
    public int GraceEpochs { get; }

    /// <summary>Completed peers required before the median is trusted.</summary>
    public int MinPeers { get; }

    /// <inheritdoc />
    public StopDecision Decide(TrialHistory trial, StageContext stage)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(stage);
        int e = trial.Epochs.Count;
        if (e < GraceEpochs || e >= stage.Epochs) return StopDecision.Continue;

        var peerValues = new List<double>();
        foreach (var p in stage.Peers)
        {
            if (p.Key == trial.Key || p.Status != TrialStatus.Completed || p.Epochs.Count < e) continue;
            double v = p.BestValidationAccuracy(e);
            if (double.IsFinite(v)) peerValues.Add(v);
        }

        if (peerValues.Count < MinPeers) return StopDecision.Continue;
        peerValues.Sort();
        int m = peerValues.Count;
        double median = m % 2 == 1 ? peerValues[m / 2] : 0.5 * (peerValues[m / 2 - 1] + peerValues[m / 2]);
        double mine = trial.BestValidationAccuracy(e);
        if (mine < median)
        {
            return StopDecision.Stop(StopKind.Underperforming,
                $"best validation accuracy {mine:0.####} after {e} epochs is below the median {median:0.####} of {m} completed trials of stage {stage.Stage} at epoch {e}");
        }

        return StopDecision.Continue;
    }
}

/// <summary>Applies policies in order; the first stop wins (divergence first, so a NaN trial is marked diverged).</summary>
public sealed class CompositeStopPolicy : IStopPolicy
{
    private readonly IStopPolicy[] _policies;

    /// <summary>Creates the composite.</summary>
    public CompositeStopPolicy(params IStopPolicy[] policies) => _policies = policies ?? throw new ArgumentNullException(nameof(policies));

    /// <summary>The policies in evaluation order.</summary>
    public IReadOnlyList<IStopPolicy> Policies => _policies;

    /// <summary>Divergence always; median stopping when configured.</summary>
    public static CompositeStopPolicy FromConfig(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var list = new List<IStopPolicy> { new DivergenceStopPolicy(config.DivergenceFactor) };
        if (config.MedianStopping is { } m) list.Add(new MedianStopPolicy(m.GraceEpochs, m.MinPeers));
        return new CompositeStopPolicy(list.ToArray());
    }

    /// <inheritdoc />
    public StopDecision Decide(TrialHistory trial, StageContext stage)
    {
        foreach (var p in _policies)
        {
            var d = p.Decide(trial, stage);
            if (d.ShouldStop) return d;
        }

        return StopDecision.Continue;
    }
}
