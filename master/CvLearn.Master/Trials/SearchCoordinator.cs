using System.Globalization;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Training;
using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvLearn.Master.Trials;

/// <summary>
/// The master's search state and its rules, behind one lock: workers, trials and their leases, stage progression
/// (coarse → fine, via <see cref="StagePlanner"/>: what to try) and stop decisions (via <see cref="IStopPolicy"/>:
/// whether to continue). Every call is short and non-blocking, so one lock serves thousands of calls per second;
/// I/O (persistence, checkpoint deletion, ensembles) happens outside it, in the services that read
/// <see cref="TakeChanges"/>, <see cref="RetentionCandidates"/> and <see cref="SearchDone"/>.
/// This file holds the worker calls and reads; the other parts: .Stages (planning each stage), .EarlyStages (starting
/// the next stage before the current one ends), .Persistence (saved rows and restore), .Retention (checkpoints to keep).
/// </summary>
public sealed partial class SearchCoordinator
{
    private readonly object _gate = new();
    private readonly SearchConfig _config;
    private readonly CoordinatorOptions _options;
    private readonly StagePlanner _planner;
    private readonly IStopPolicy _stopPolicy;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ulong _splitSeed;
    private readonly int[] _stageOffsets;

    private readonly Dictionary<string, TrialState> _trials = new(StringComparer.Ordinal);
    private readonly List<TrialState> _ordered = [];
    private readonly SortedSet<TrialKey> _pending = [];
    private readonly Dictionary<string, WorkerState> _workers = new(StringComparer.Ordinal);
    private readonly List<BorderWarning> _warnings = [];
    private readonly HashSet<string> _dirtyTrials = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirtyWorkers = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _searchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _plannedStages;
    private int[] _finishedPerStage = [];
    private bool _searchDoneFlag;
    private bool _finishedFlag;
    private bool _metaDirty;
    private EnsembleReport? _ensemble;
    private string? _ensembleError;
    private long _version;
    private long _checkpointVersion;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SearchCoordinator(SearchConfig config, CoordinatorOptions options, TimeProvider? time = null, ILogger<SearchCoordinator>? logger = null)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        _planner = new StagePlanner(config);
        _stopPolicy = CompositeStopPolicy.FromConfig(config.Scheduler);
        _time = time ?? TimeProvider.System;
        _log = logger ?? (ILogger)NullLogger.Instance;
        _splitSeed = Search.TrialSampler.StreamSeed(config.Seed, 0, 0, "#split") >> 33;
        _stageOffsets = new int[config.Stages.Count + 1];
        for (int s = 0; s < config.Stages.Count; s++) _stageOffsets[s + 1] = _stageOffsets[s] + config.Stages[s].Trials;
        _finishedPerStage = new int[config.Stages.Count + 1];
        _nextSpareNumber = config.TotalTrials;
        lock (_gate) PlanNextStage();
    }

    public SearchConfig Config => _config;
    public CoordinatorOptions Options => _options;

    /// <summary>Completes when every trial of every stage has finished (the ensemble is built after this).</summary>
    public Task SearchDone => _searchDone.Task;

    /// <summary>Completes when the search is over and the final ensemble was evaluated (or could not be).</summary>
    public Task Finished => _finished.Task;

    /// <summary>Increases on every change; pair with <see cref="WaitForChangeAsync"/>.</summary>
    public long Version { get { lock (_gate) return _version; } }

    private DateTimeOffset Now => _time.GetUtcNow();

    // ------------------------------------------------------------------ worker calls

    public JoinInfo Join(WorkerHello hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        string name = string.IsNullOrWhiteSpace(hello.Name) ? "worker" : hello.Name.Trim();
        if (name.Length > 200) throw new CoordinatorException(CoordinatorErrorKind.InvalidArgument, "worker_name: at most 200 characters.");
        lock (_gate)
        {
            var w = new WorkerState
            {
                Id = "w-" + Guid.NewGuid().ToString("N")[..12],
                Name = name,
                Hostname = hello.Hostname,
                Version = hello.Version,
                Cores = hello.Cores,
                Threads = hello.Threads,
                LastSeen = Now,
            };
            _workers[w.Id] = w;
            _dirtyWorkers.Add(w.Id);
            Changed();
            LogJoined(w.Name, w.Id, w.Threads, w.Hostname);
            return new JoinInfo(w.Id, _config.Experiment, _options.StorageHint, _options.HeartbeatInterval, _options.Lease);
        }
    }

    public AcquireOutcome Acquire(string workerId)
    {
        lock (_gate)
        {
            var worker = Worker(workerId);
            if (worker.CurrentTrialId is { } held && _trials.TryGetValue(held, out var old) && old.Status == TrialStatus.Running && old.WorkerId == worker.Id)
            {
                Requeue(old, $"worker {worker.Name} asked for a new trial while holding it");
            }

            worker.CurrentTrialId = null;
            if (_searchDoneFlag) return new AcquireOutcome.Finished("all stages are done");
            if (_pending.Count == 0) TryPlanEarly();
            if (_pending.Count == 0)
            {
                int running = _ordered.Count(t => t.Status == TrialStatus.Running);
                int latest = LatestStage;
                string reason = latest < _config.Stages.Count
                    ? $"stage {latest}: {running} trial(s) still running; stage {latest + 1} is planned from its results when they finish"
                    : $"last stage: {running} trial(s) still running";
                return new AcquireOutcome.Wait(_options.RetryAfter, reason);
            }

            if (NextFor(worker) is not { } t)
                return new AcquireOutcome.Wait(_options.RetryAfter, "the pending trials failed on this worker; another worker retries them");
            _pending.Remove(t.Key);
            t.Attempt++;
            t.Status = TrialStatus.Running;
            t.WorkerId = worker.Id;
            t.WorkerName = worker.Name;
            t.LeaseDeadline = Now + _options.Lease;
            t.StartedAt ??= Now;
            t.PendingStop = StopKind.None;
            worker.CurrentTrialId = t.Id;
            var resume = t.Epochs.Count > 0 ? t.LatestCheckpoint : null;
            Dirty(t);
            _dirtyWorkers.Add(worker.Id);
            Changed();
            LogLeased(t.Id, t.Attempt, worker.Name, resume?.Epoch ?? 0);
            return new AcquireOutcome.Assigned(new Assignment(t.Id, _config.Experiment, t.Spec, t.Attempt, t.CheckpointPrefix,
                resume?.Key, resume?.Epoch ?? 0, t.LeaseDeadline, _config.Dataset, _splitSeed));
        }
    }

    /// <summary>
    /// The first pending trial, in stage and index order, that <paramref name="worker"/> may take: a trial whose last
    /// attempt failed on it goes to another worker while one is alive (the worker may have been the problem, and a
    /// retry on the same machine would often fail the same way and end the trial as failed). Null when none.
    /// </summary>
    private TrialState? NextFor(WorkerState worker)
    {
        var first = _trials[_pending.Min.ToString()]; // the usual case, without an enumerator over the queue
        if (first.FailedOnWorkerId != worker.Id) return first;
        bool? othersAlive = null;
        foreach (var key in _pending)
        {
            var t = _trials[key.ToString()];
            if (t.FailedOnWorkerId != worker.Id) return t;
            othersAlive ??= _workers.Values.Any(w => w.Alive && w.Id != worker.Id);
            if (othersAlive == false) return t;
        }

        return null;
    }

    public Verdict ReportEpoch(string workerId, string trialId, int attempt, EpochRecord record, string? checkpointKey)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            var worker = Worker(workerId);
            var t = Trial(trialId);
            if (Stale(t, attempt, out string why))
            {
                CollectLateCheckpoint(t, checkpointKey);
                return Verdict.Halt(why, Now);
            }

            Bind(t, worker);
            if (record.Epoch < 1 || record.Epoch > t.Spec.Epochs)
                throw Invalid($"epoch: {record.Epoch} is outside 1..{t.Spec.Epochs} for trial {t.Id}.");
            double acc = record.ValidationAccuracy;
            if (!double.IsNaN(acc) && !(acc >= 0 && acc <= 1))
                throw Invalid($"val_acc: {acc.ToString(CultureInfo.InvariantCulture)} is not a fraction in [0, 1].");
            if (!string.IsNullOrEmpty(checkpointKey))
            {
                if (CheckpointKey.TryGetStorageKeyError(checkpointKey) is { } keyError) throw Invalid("checkpoint_key: " + keyError);
                if (!checkpointKey.StartsWith(t.CheckpointPrefix, StringComparison.Ordinal))
                    throw Invalid($"checkpoint_key: '{checkpointKey}' is outside the trial's prefix '{t.CheckpointPrefix}'.");
            }

            t.LeaseDeadline = Now + _options.Lease;
            if (record.Epoch <= t.Epochs.Count) return Decide(t); // a retried report: already recorded
            if (record.Epoch != t.Epochs.Count + 1)
                throw Invalid($"epoch: {record.Epoch} reported but trial {t.Id} has {t.Epochs.Count} epoch(s); report epochs in order.");

            t.Epochs.Add(record);
            t.LatestLoss = null;
            if (!string.IsNullOrEmpty(checkpointKey) && !double.IsNaN(acc))
            {
                t.Checkpoints.RemoveAll(c => c.Key == checkpointKey);
                t.Checkpoints.Add(new ReportedCheckpoint(checkpointKey, record.Epoch, acc));
                _checkpointVersion++;
            }

            var verdict = Decide(t);
            Dirty(t);
            Changed();
            return verdict;
        }
    }

    /// <summary>Renews the lease; <paramref name="runningLoss"/> is null while no minibatch has been trained yet.</summary>
    public Verdict Heartbeat(string workerId, string? trialId, int attempt, double? runningLoss)
    {
        lock (_gate)
        {
            var worker = Worker(workerId);
            if (string.IsNullOrEmpty(trialId)) return Verdict.Continue(Now + _options.Lease);
            var t = Trial(trialId);
            if (Stale(t, attempt, out string why)) return Verdict.Halt(why, Now);
            Bind(t, worker);
            t.LeaseDeadline = Now + _options.Lease;
            if (runningLoss is not null) t.LatestLoss = runningLoss;
            return Decide(t);
        }
    }

    public void Complete(Completion c)
    {
        ArgumentNullException.ThrowIfNull(c);
        lock (_gate)
        {
            if (_workers.TryGetValue(c.WorkerId, out var worker))
            {
                worker.LastSeen = Now;
                worker.Alive = true;
                if (worker.CurrentTrialId == c.TrialId) worker.CurrentTrialId = null;
                _dirtyWorkers.Add(worker.Id);
            }

            var t = Trial(c.TrialId);
            if (t.Status != TrialStatus.Running || t.Attempt != c.Attempt) return; // idempotent, or a stale attempt
            string? msg = string.IsNullOrWhiteSpace(c.Message) ? null : c.Message.Trim();
            switch (c.Outcome)
            {
                case WorkerOutcome.Cancelled:
                    Requeue(t, "the worker gave it up" + (msg is null ? "" : ": " + msg));
                    break;
                case WorkerOutcome.Failed:
                    t.Failures++;
                    t.FailedOnWorkerId = c.WorkerId;
                    if (t.Failures < _options.MaxFailures)
                    {
                        Requeue(t, $"failed on {t.WorkerName} (failure {t.Failures} of {_options.MaxFailures} allowed): {msg}");
                    }
                    else
                    {
                        Finish(t, TrialStatus.Failed, msg ?? "the worker reported a failure without a message");
                    }

                    break;
                case WorkerOutcome.Diverged:
                    Finish(t, TrialStatus.Diverged, msg ?? "loss diverged");
                    break;
                default:
                    var status = t.PendingStop switch
                    {
                        StopKind.Diverged => TrialStatus.Diverged,
                        StopKind.Underperforming => TrialStatus.Stopped,
                        _ => c.Outcome == WorkerOutcome.Stopped ? TrialStatus.Stopped : TrialStatus.Completed,
                    };
                    Finish(t, status, t.PendingStop != StopKind.None ? t.Message : msg);
                    break;
            }

            Changed();
        }
    }

    /// <summary>The worker is stopping: requeue its trial now. Returns true when a trial was requeued.</summary>
    public bool Leave(string workerId, string? trialId, int attempt, string? reason)
    {
        lock (_gate)
        {
            var worker = Worker(workerId);
            worker.Alive = false;
            worker.CurrentTrialId = null;
            _dirtyWorkers.Add(worker.Id);
            bool requeued = false;
            if (!string.IsNullOrEmpty(trialId) && _trials.TryGetValue(trialId, out var t) && t.Status == TrialStatus.Running && t.Attempt == attempt)
            {
                Requeue(t, $"worker {worker.Name} left ({(string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason)})");
                requeued = true;
            }

            LogLeft(worker.Name, reason ?? "");
            Changed();
            return requeued;
        }
    }

    /// <summary>Requeues trials whose lease ran out and marks silent workers dead. Returns the requeued trial ids.</summary>
    public IReadOnlyList<string> ExpireLeases()
    {
        lock (_gate)
        {
            var now = Now;
            var expired = new List<string>();
            foreach (var t in _ordered)
            {
                if (t.Status != TrialStatus.Running || t.LeaseDeadline > now) continue;
                Requeue(t, $"lease expired: worker {t.WorkerName} silent for over {_options.Lease.TotalSeconds:0} s");
                expired.Add(t.Id);
            }

            foreach (var w in _workers.Values)
            {
                if (w.Alive && now - w.LastSeen > _options.Lease)
                {
                    w.Alive = false;
                    w.CurrentTrialId = null;
                    _dirtyWorkers.Add(w.Id);
                    expired.Add(w.Id);
                }
            }

            if (expired.Count > 0) Changed();
            return expired;
        }
    }

    // ------------------------------------------------------------------ end of search

    /// <summary>Records the final ensemble (or why it could not be built) and marks the search finished.</summary>
    public void SetEnsemble(EnsembleReport? report, string? error)
    {
        lock (_gate)
        {
            _ensemble = report;
            _ensembleError = error;
            _finishedFlag = true;
            _metaDirty = true;
            Changed();
        }

        _finished.TrySetResult();
    }

    // ------------------------------------------------------------------ reads

    /// <summary>
    /// The trials' best stored checkpoints, best trial first, at most <paramref name="k"/>; not those of a stage started
    /// early until it stands (a re-planned trial's checkpoints are deleted).
    /// </summary>
    public IReadOnlyList<TrialView> TopCheckpoints(int k)
    {
        if (k < 1) throw Invalid($"k: must be at least 1, got {k}.");
        return Snapshot().Trials.Where(t => t.BestCheckpointKey is not null && !t.Early && t.Status.IsRankable() && t.BestValidationAccuracy is not null)
            .OrderByDescending(t => t.BestCheckpointAccuracy).ThenBy(t => t.Key).Take(k).ToList();
    }

    public SearchSnapshot Snapshot()
    {
        lock (_gate)
        {
            var board = Leaderboard.Build(_ordered.Select(t => t.ToResult()), _config.Stages.Take(Math.Max(1, LatestStage)).ToList());
            var views = new List<TrialView>(_ordered.Count);
            foreach (var e in board.Ranked) views.Add(View(_trials[e.Trial.Key.ToString()]));
            foreach (var r in board.Unranked) views.Add(View(_trials[r.Key.ToString()]));
            var stages = new List<StageProgress>(_config.Stages.Count);
            for (int s = 1; s <= _config.Stages.Count; s++)
            {
                stages.Add(s <= board.Stages.Count ? board.Stages[s - 1] : new StageProgress(s, _config.Stage(s).Trials, _config.Stage(s).Trials, 0, 0, 0, 0, 0));
            }

            var workers = _workers.Values.OrderBy(w => w.Name, StringComparer.Ordinal).ThenBy(w => w.Id, StringComparer.Ordinal)
                .Select(w => new WorkerView(w.Id, w.Name, w.Hostname, w.Version, w.Cores, w.Threads, w.LastSeen, w.Alive, w.CurrentTrialId)).ToList();
            return new SearchSnapshot(_config.Experiment, views, stages, _config.Stages.Select(s => s.Epochs).ToList(), workers,
                _warnings.ToList(), _ensemble, _ensembleError, _finishedFlag, _version, Now);
        }
    }

    /// <summary>Completes when <see cref="Version"/> exceeds <paramref name="seen"/> (or at once if it already does).</summary>
    public Task WaitForChangeAsync(long seen, CancellationToken ct)
    {
        Task changed;
        lock (_gate)
        {
            if (_version > seen) return Task.CompletedTask;
            changed = _changed.Task;
        }

        return changed.WaitAsync(ct);
    }

    // ------------------------------------------------------------------ internals

    private WorkerState Worker(string workerId)
    {
        if (string.IsNullOrEmpty(workerId) || !_workers.TryGetValue(workerId, out var w))
            throw new CoordinatorException(CoordinatorErrorKind.NotFound, $"unknown worker_id '{workerId}': call Join first (the master may have restarted without it).");
        w.LastSeen = Now;
        if (!w.Alive) _dirtyWorkers.Add(w.Id);
        w.Alive = true;
        return w;
    }

    private TrialState Trial(string trialId) =>
        !string.IsNullOrEmpty(trialId) && _trials.TryGetValue(trialId, out var t)
            ? t
            : throw new CoordinatorException(CoordinatorErrorKind.NotFound, $"unknown trial_id '{trialId}'.");

    private static CoordinatorException Invalid(string message) => new(CoordinatorErrorKind.InvalidArgument, message);

    private static bool Stale(TrialState t, int attempt, out string why)
    {
        if (t.Status == TrialStatus.Running && t.Attempt == attempt)
        {
            why = "";
            return false;
        }

        if (attempt < t.ReplannedAtAttempt)
        {
            why = $"trial {t.Id} was re-planned when its stage, started early, was planned for real: this attempt ran values that no longer stand";
            return true;
        }

        why = t.Status == TrialStatus.Running || t.Attempt != attempt
            ? $"lease lost: trial {t.Id} is now attempt {t.Attempt} ({t.Status.ToString().ToLowerInvariant()}); this was attempt {attempt}"
            : $"trial {t.Id} is already {t.Status.ToString().ToLowerInvariant()}";
        return true;
    }

    /// <summary>A worker that re-joined (new id) keeps the lease it holds: the attempt number is the lease token.</summary>
    private void Bind(TrialState t, WorkerState worker)
    {
        if (t.WorkerId == worker.Id) return;
        t.WorkerId = worker.Id;
        t.WorkerName = worker.Name;
        worker.CurrentTrialId = t.Id;
        _dirtyWorkers.Add(worker.Id);
        Dirty(t);
    }

    private Verdict Decide(TrialState t)
    {
        var lease = t.LeaseDeadline;
        if (t.PendingStop != StopKind.None) return Verdict.Halt(t.Message ?? "stopped by the scheduler", lease);
        // Only median stopping compares a trial with its peers; divergence checks need the trial alone.
        IReadOnlyList<TrialHistory> peers = _config.Scheduler.MedianStopping is null
            ? []
            : _ordered.Where(p => p.Key.Stage == t.Key.Stage).Select(p => p.ToHistory()).ToList();
        var decision = _stopPolicy.Decide(t.ToHistory(), new StageContext(t.Key.Stage, t.Spec.Epochs, peers));
        if (!decision.ShouldStop) return Verdict.Continue(lease);
        t.PendingStop = decision.Kind;
        t.Message = decision.Reason;
        Dirty(t);
        LogStopping(t.Id, decision.Kind.ToString(), decision.Reason ?? "");
        return Verdict.Halt(decision.Reason ?? "stopped by the scheduler", lease);
    }

    private void Requeue(TrialState t, string reason)
    {
        ReleaseWorkerOf(t);
        var resume = t.LatestCheckpoint;
        int keep = resume?.Epoch ?? 0;
        if (t.Epochs.Count > keep) t.Epochs.RemoveRange(keep, t.Epochs.Count - keep);
        t.Status = TrialStatus.Pending;
        t.WorkerId = null;
        t.PendingStop = StopKind.None;
        t.LatestLoss = null;
        t.Message = reason;
        _pending.Add(t.Key);
        Dirty(t);
        LogRequeued(t.Id, t.Attempt, reason, keep);
    }

    private void Finish(TrialState t, TrialStatus status, string? message)
    {
        if (!t.Status.IsFinished()) _finishedPerStage[t.Key.Stage]++;
        t.Status = status;
        t.Message = message;
        t.FinishedAt = Now;
        t.LatestLoss = null;
        ReleaseWorkerOf(t);
        Dirty(t);
        _checkpointVersion++;
        LogFinished(t.Id, status.ToString().ToLowerInvariant(), t.BestValidationAccuracy ?? double.NaN, t.Epochs.Count, message ?? "");
        AdvanceStages();
        if (_earlyStage != 0 && t.Key.Stage == _plannedStages) ReviseEarlyStage();
    }

    /// <summary>The worker holding <paramref name="t"/> lets go of it (the trial is requeued, re-planned or finished).</summary>
    private void ReleaseWorkerOf(TrialState t)
    {
        if (t.WorkerId is { } wid && _workers.TryGetValue(wid, out var w) && w.CurrentTrialId == t.Id)
        {
            w.CurrentTrialId = null;
            _dirtyWorkers.Add(w.Id);
        }
    }

    private static TrialView View(TrialState t)
    {
        var best = t.BestCheckpoint;
        return new TrialView(t.Id, t.Key, t.Number, t.Status, t.Spec.Hyperparameters, t.Spec.Epochs, t.Epochs.ToList(),
            t.BestValidationAccuracy, t.Epochs.Count > 0 ? t.Epochs[^1].ValidationAccuracy : null,
            t.WorkerName, best?.Key, best?.Epoch ?? 0, best?.ValidationAccuracy ?? 0, t.Attempt, t.Message, t.Early);
    }

    private void Dirty(TrialState t) => _dirtyTrials.Add(t.Id);

    private void Changed()
    {
        _version++;
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Name} joined as {WorkerId} ({Threads} threads on {Host})")]
    private partial void LogJoined(string name, string workerId, int threads, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Name} left: {Reason}")]
    private partial void LogLeft(string name, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trial {TrialId} attempt {Attempt} leased to {Worker} (resume after epoch {ResumeEpoch})")]
    private partial void LogLeased(string trialId, int attempt, string worker, int resumeEpoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trial {TrialId} attempt {Attempt} requeued: {Reason}; it resumes after epoch {ResumeEpoch}")]
    private partial void LogRequeued(string trialId, int attempt, string reason, int resumeEpoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trial {TrialId} told to stop ({Kind}): {Reason}")]
    private partial void LogStopping(string trialId, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trial {TrialId} {Status}: best val_acc {BestValAcc:0.0000} after {Epochs} epoch(s) {Message}")]
    private partial void LogFinished(string trialId, string status, double bestValAcc, int epochs, string message);
}
