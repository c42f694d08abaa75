using CvLearn.Core.Training;
using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;

namespace CvLearn.Master.Trials;

/// <summary>Timing of leases and polling, validated at start-up.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>How long a lease lasts without a report or heartbeat before the trial is requeued.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often workers heartbeat during an epoch (well below <see cref="Lease"/>).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an idle worker waits before asking again when no trial is ready.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A failed trial is retried on another lease until it failed this many times.</summary>
    public int MaxFailures { get; init; } = 2;

    /// <summary>Storage location announced to workers (checkpoint keys are relative to it).</summary>
    public string StorageHint { get; init; } = "";

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (Lease < TimeSpan.FromSeconds(1)) throw new ArgumentException($"lease: must be at least 1 s, got {Lease.TotalSeconds} s.");
        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval * 2 > Lease)
            throw new ArgumentException($"heartbeat interval: must be positive and at most half the lease ({Lease.TotalSeconds} s), got {HeartbeatInterval.TotalSeconds} s.");
        if (RetryAfter <= TimeSpan.Zero) throw new ArgumentException("retry-after: must be positive.");
        if (MaxFailures < 1) throw new ArgumentException($"max failures: must be at least 1, got {MaxFailures}.");
    }
}

/// <summary>Why a coordinator call was refused; the gRPC layer maps it to a status code.</summary>
public enum CoordinatorErrorKind
{
    /// <summary>Unknown worker or trial (e.g. the worker must join again).</summary>
    NotFound,

    /// <summary>The request itself is malformed (bad key, accuracy out of range, wrong status).</summary>
    InvalidArgument,
}

/// <summary>A refused coordinator call, with a message that says what to fix.</summary>
public sealed class CoordinatorException : Exception
{
    public CoordinatorException(CoordinatorErrorKind kind, string message) : base(message) => Kind = kind;

    public CoordinatorException() : base("coordinator error") { }

    public CoordinatorException(string message) : base(message) { }

    public CoordinatorException(string message, Exception inner) : base(message, inner) { }

    public CoordinatorErrorKind Kind { get; }
}

/// <summary>What a worker learns when it joins.</summary>
public sealed record JoinInfo(string WorkerId, string Experiment, string StorageHint, TimeSpan HeartbeatInterval, TimeSpan Lease);

/// <summary>A worker's self-description.</summary>
public sealed record WorkerHello(string Name, int Cores, int Threads, string Version, string Hostname);

/// <summary>One leased trial as handed to a worker.</summary>
public sealed record Assignment(
    string TrialId,
    string Experiment,
    TrialSpec Spec,
    int Attempt,
    string CheckpointPrefix,
    string? ResumeKey,
    int ResumeEpoch,
    DateTimeOffset LeaseDeadline,
    DatasetConfig Dataset,
    ulong SplitSeed);

/// <summary>The answer to AcquireTrial.</summary>
public abstract record AcquireOutcome
{
    private AcquireOutcome() { }

    public sealed record Assigned(Assignment Assignment) : AcquireOutcome;

    public sealed record Wait(TimeSpan RetryAfter, string Reason) : AcquireOutcome;

    public sealed record Finished(string Reason) : AcquireOutcome;
}

/// <summary>Continue or stop, with the renewed lease deadline.</summary>
public readonly record struct Verdict(bool Stop, string Reason, DateTimeOffset LeaseDeadline)
{
    public static Verdict Continue(DateTimeOffset lease) => new(false, "", lease);

    public static Verdict Halt(string reason, DateTimeOffset lease) => new(true, reason, lease);
}

/// <summary>How a worker says a trial ended.</summary>
public enum WorkerOutcome
{
    Completed,
    Stopped,
    Diverged,
    Failed,

    /// <summary>The worker gave the trial up (shutting down): requeue it.</summary>
    Cancelled,
}

/// <summary>The end of a trial as reported by its worker.</summary>
public sealed record Completion(string WorkerId, string TrialId, int Attempt, WorkerOutcome Outcome, string? Message, int EpochsDone);

/// <summary>An immutable copy of one trial for leaderboards; <see cref="Early"/>: planned before the previous stage
/// finished, so it may still be re-planned (see SearchCoordinator.EarlyStages).</summary>
public sealed record TrialView(
    string Id,
    TrialKey Key,
    int Number,
    TrialStatus Status,
    Hyperparameters Hyperparameters,
    int Epochs,
    IReadOnlyList<EpochRecord> History,
    double? BestValidationAccuracy,
    double? LatestValidationAccuracy,
    string? WorkerName,
    string? BestCheckpointKey,
    int BestCheckpointEpoch,
    double BestCheckpointAccuracy,
    int Attempt,
    string? Message,
    bool Early = false);

/// <summary>A worker for leaderboards.</summary>
public sealed record WorkerView(string Id, string Name, string Hostname, string Version, int Cores, int Threads, DateTimeOffset LastSeen, bool Alive, string? CurrentTrialId);

/// <summary>The result of evaluating the final ensembles on the validation split.</summary>
public sealed record EnsembleReport(int K, double TopKAccuracy, double GreedyAccuracy, double BestSingleAccuracy, IReadOnlyList<string> GreedyMembers, IReadOnlyList<string> TopKMembers);

/// <summary>One consistent picture of the search.</summary>
public sealed record SearchSnapshot(
    string Experiment,
    IReadOnlyList<TrialView> Trials,
    IReadOnlyList<StageProgress> Stages,
    IReadOnlyList<int> StageEpochs,
    IReadOnlyList<WorkerView> Workers,
    IReadOnlyList<BorderWarning> BorderWarnings,
    EnsembleReport? Ensemble,
    string? EnsembleError,
    bool Finished,
    long Version,
    DateTimeOffset Taken);
