using CvLearn.Core.Training;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;
using CvLearn.Master.Trials;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Services;

/// <summary>Translates between the coordinator's domain types and the wire messages of search.proto (one place only).</summary>
public static class ProtoMapping
{
    // The engine's defaults (TrainingJobSpec) for values a search space does not name: the proto always carries them.
    private const double DefaultLearningRate = 1e-3;
    private const double DefaultMomentum = 0.9;
    private const int DefaultBatchSize = 128;

    public static Pb.HyperParameters ToProto(Hyperparameters h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var p = new Pb.HyperParameters
        {
            LearningRate = h.GetNumber(ParameterCatalog.LearningRate) ?? DefaultLearningRate,
            Reg = h.GetNumber(ParameterCatalog.Reg) ?? 0,
            Momentum = h.GetNumber(ParameterCatalog.Momentum) ?? DefaultMomentum,
            BatchSize = (int)Math.Round(h.GetNumber(ParameterCatalog.BatchSize) ?? DefaultBatchSize),
            Optimizer = ToProtoOptimizer(h.GetText(ParameterCatalog.Optimizer) ?? "adam"),
            LrDecay = h.GetNumber(ParameterCatalog.LrDecay) ?? 1,
            Model = h.GetText(ParameterCatalog.Model) ?? "",
        };
        if (h.GetNumber(ParameterCatalog.Dropout) is double d) p.Dropout = d;
        foreach (var kv in h.Values)
        {
            if (ParameterCatalog.TryGet(kv.Key, out _)) continue;
            p.Extra[kv.Key] = kv.Value.IsNumber ? kv.Value.AsNumber().ToString("R", System.Globalization.CultureInfo.InvariantCulture) : kv.Value.AsText();
        }

        return p;
    }

    public static Pb.Optimizer ToProtoOptimizer(string name) => name.ToLowerInvariant() switch
    {
        "sgd" => Pb.Optimizer.Sgd,
        "momentum" => Pb.Optimizer.Momentum,
        "nesterov" => Pb.Optimizer.Nesterov,
        "adagrad" => Pb.Optimizer.Adagrad,
        "rmsprop" => Pb.Optimizer.Rmsprop,
        "adam" => Pb.Optimizer.Adam,
        _ => throw new ArgumentException($"optimizer '{name}' has no wire form", nameof(name)),
    };

    public static Pb.TrialAssignment ToProto(Assignment a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var d = a.Dataset;
        return new Pb.TrialAssignment
        {
            TrialId = a.TrialId,
            Experiment = a.Experiment,
            Stage = a.Spec.Stage,
            Index = a.Spec.Index,
            Attempt = a.Attempt,
            Seed = (ulong)a.Spec.Seed,
            Epochs = a.Spec.Epochs,
            Hyperparameters = ToProto(a.Spec.Hyperparameters),
            Dataset = new Pb.DatasetSpec
            {
                Name = d.Name,
                TrainLimit = d.TrainLimit ?? 0,
                Validation = d.Validation ?? 0,
                TestLimit = d.TestLimit ?? 0,
                DataDir = d.DataDir ?? "",
                SplitSeed = a.SplitSeed,
            },
            ResumeCheckpointKey = a.ResumeKey ?? "",
            ResumeEpoch = a.ResumeEpoch,
            LeaseDeadlineUnixMs = a.LeaseDeadline.ToUnixTimeMilliseconds(),
            CheckpointPrefix = a.CheckpointPrefix,
        };
    }

    public static EpochRecord FromProto(Pb.EpochReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new EpochRecord(r.Epoch, r.TrainLoss, r.TrainAcc, r.ValAcc, r.ValAccEma, r.LearningRate, r.Seconds);
    }

    public static WorkerOutcome FromProto(Pb.TrialStatus s) => s switch
    {
        Pb.TrialStatus.Completed => WorkerOutcome.Completed,
        Pb.TrialStatus.Stopped => WorkerOutcome.Stopped,
        Pb.TrialStatus.Diverged => WorkerOutcome.Diverged,
        Pb.TrialStatus.Failed => WorkerOutcome.Failed,
        Pb.TrialStatus.Cancelled => WorkerOutcome.Cancelled,
        _ => throw new CoordinatorException(CoordinatorErrorKind.InvalidArgument,
            $"status: {s} is not a final status; use COMPLETED, STOPPED, DIVERGED, FAILED or CANCELLED."),
    };

    public static Pb.TrialStatus ToProto(TrialStatus s) => s switch
    {
        TrialStatus.Pending => Pb.TrialStatus.Pending,
        TrialStatus.Running => Pb.TrialStatus.Running,
        TrialStatus.Completed => Pb.TrialStatus.Completed,
        TrialStatus.Stopped => Pb.TrialStatus.Stopped,
        TrialStatus.Diverged => Pb.TrialStatus.Diverged,
        TrialStatus.Failed => Pb.TrialStatus.Failed,
        _ => Pb.TrialStatus.Unspecified,
    };

    public static Pb.Leaderboard ToProto(SearchSnapshot s, int top)
    {
        ArgumentNullException.ThrowIfNull(s);
        var board = new Pb.Leaderboard
        {
            Experiment = s.Experiment,
            Finished = s.Finished,
            UpdatedUnixMs = s.Taken.ToUnixTimeMilliseconds(),
            TotalTrials = s.Trials.Count,
        };
        foreach (var t in top > 0 ? s.Trials.Take(top) : s.Trials) board.Rows.Add(ToRow(t));
        for (int i = 0; i < s.Stages.Count; i++)
        {
            var p = s.Stages[i];
            double best = s.Trials.Where(t => t.Key.Stage == p.Stage && t.Status.IsRankable() && t.BestValidationAccuracy is not null)
                .Select(t => t.BestValidationAccuracy!.Value).DefaultIfEmpty(0).Max();
            board.Stages.Add(new Pb.StageProgress
            {
                Stage = p.Stage, Total = p.Planned, Pending = p.Pending, Running = p.Running, Done = p.Finished,
                BestValAcc = best, Epochs = s.StageEpochs[i],
            });
        }

        foreach (var w in s.Workers)
        {
            board.Workers.Add(new Pb.WorkerInfo
            {
                WorkerId = w.Id, WorkerName = w.Name, Cores = w.Cores, Threads = w.Threads, LastSeenUnixMs = w.LastSeen.ToUnixTimeMilliseconds(),
                CurrentTrialId = w.CurrentTrialId ?? "", Alive = w.Alive, Hostname = w.Hostname, Version = w.Version,
            });
        }

        foreach (var w in s.BorderWarnings)
        {
            board.BorderWarnings.Add(new Pb.BorderWarning
            {
                Parameter = w.Parameter, Stage = w.Stage, Edge = w.Edge == BorderEdge.Low ? Pb.BorderWarning.Types.Edge.Low : Pb.BorderWarning.Types.Edge.High,
                Value = w.Value, RangeLow = w.RangeLow, RangeHigh = w.RangeHigh, Message = w.Message,
            });
        }

        if (s.Ensemble is { } e)
        {
            board.Ensemble = new Pb.EnsembleSummary
            {
                K = e.K, TopKAccuracy = e.TopKAccuracy, GreedyAccuracy = e.GreedyAccuracy, BestSingleAccuracy = e.BestSingleAccuracy,
            };
            board.Ensemble.Members.AddRange(e.GreedyMembers);
        }

        return board;
    }

    /// <summary>A trial's best stored checkpoint, as GetTopCheckpoints (and `ensemble --state`) hand it out.</summary>
    public static Pb.CheckpointEntry ToCheckpointEntry(TrialView t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new Pb.CheckpointEntry
        {
            TrialId = t.Id, CheckpointKey = t.BestCheckpointKey ?? "", ValAcc = t.BestCheckpointAccuracy, Epoch = t.BestCheckpointEpoch,
            Hyperparameters = ToProto(t.Hyperparameters),
        };
    }

    public static Pb.LeaderboardRow ToRow(TrialView t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var row = new Pb.LeaderboardRow
        {
            TrialId = t.Id, Stage = t.Key.Stage, Index = t.Key.Index, Status = ToProto(t.Status), Hyperparameters = ToProto(t.Hyperparameters),
            EpochsDone = t.History.Count, EpochsTotal = t.Epochs, BestValAcc = t.BestValidationAccuracy ?? 0, LatestValAcc = t.LatestValidationAccuracy ?? 0,
            Worker = t.WorkerName ?? "", CheckpointKey = t.BestCheckpointKey ?? "", Attempt = t.Attempt, Message = t.Message ?? "",
            Early = t.Early,
        };
        foreach (var e in t.History) row.ValAccHistory.Add(e.ValidationAccuracy);
        return row;
    }
}
