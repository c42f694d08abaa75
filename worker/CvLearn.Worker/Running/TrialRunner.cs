using System.Globalization;
using System.Runtime.ExceptionServices;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;
using CvLearn.Core.Training;
using Microsoft.Extensions.Logging;

namespace CvLearn.Worker.Running;

/// <summary>
/// Runs one trial with the core engine: maps the <see cref="TrialSpec"/> to a <see cref="TrainingJobSpec"/>, resumes
/// from the previous attempt's checkpoint when there is one, and after every epoch writes the checkpoint to the store
/// (key = checkpoint prefix + "valA.AAAA_epEE.ckpt") and only then reports the epoch. Knows no gRPC types.
/// </summary>
public sealed class TrialRunner
{
    private readonly ICheckpointStore _store;
    private readonly ILogger _logger;
    private readonly string? _dataDirOverride;
    private readonly TextWriter? _epochLines;
    private readonly TrialBuffers _buffers;

    /// <param name="store">Where checkpoints go (and resume checkpoints come from).</param>
    /// <param name="dataDirOverride">The worker's --data-dir: takes precedence over the trial's data_dir.</param>
    /// <param name="epochLines">One concise line per epoch (stdout), or null for none.</param>
    /// <param name="buffers">Where checkpoints are captured and serialized, shared by the runners of one worker (they run one
    /// trial at a time), so that a worker does not take fresh multi-megabyte buffers per epoch and trial; null for its own.</param>
    public TrialRunner(ICheckpointStore store, ILogger logger, string? dataDirOverride = null, TextWriter? epochLines = null,
        TrialBuffers? buffers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _logger = logger;
        _dataDirOverride = string.IsNullOrWhiteSpace(dataDirOverride) ? null : dataDirOverride;
        _epochLines = epochLines;
        _buffers = buffers ?? new TrialBuffers();
    }

    /// <summary>The core job spec for a trial (EvaluateTest is set on the job, not here).</summary>
    /// <exception cref="ArgumentException">A hyperparameter or dataset field is invalid (the message names it).</exception>
    public TrainingJobSpec ToJobSpec(TrialSpec trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var hp = trial.Hyperparameters;
        var ds = trial.Dataset;
        double decay = hp.LrDecay;
        if (!double.IsFinite(decay) || decay < 0 || decay > 1)
            throw new ArgumentException($"lr_decay: must be in (0, 1], got {decay.ToString(CultureInfo.InvariantCulture)}.");
        // lr_decay:D is step:1:D; use the canonical spelling, which is what the schedule's resume state records
        // (TrainingCheckpoint.Restore compares the spec string, so "lr_decay:D" would not resume).
        string schedule = decay is 0 or 1 ? "constant" : LearningRateSchedules.FromLrDecay(decay).Spec;
        var spec = new TrainingJobSpec
        {
            Dataset = string.IsNullOrWhiteSpace(ds.Name) ? throw new ArgumentException("dataset.name: the trial names no dataset.") : ds.Name,
            DataDir = _dataDirOverride ?? (string.IsNullOrWhiteSpace(ds.DataDir) ? null : ds.DataDir),
            TrainLimit = ds.TrainLimit > 0 ? ds.TrainLimit : null,
            Validation = ds.Validation > 0 ? ds.Validation : DataSplit.DefaultValidationCount,
            TestLimit = ds.TestLimit > 0 ? ds.TestLimit : null,
            SplitSeed = FoldSeed(ds.SplitSeed),
            Model = hp.Model,
            Optimizer = string.IsNullOrWhiteSpace(hp.Optimizer) ? "adam" : hp.Optimizer,
            LearningRate = hp.LearningRate,
            Reg = hp.Reg,
            Dropout = hp.Dropout, // an explicit 0 turns the spec's dropout off; absent keeps it
            Momentum = hp.Momentum > 0 ? hp.Momentum : 0.9,
            BatchSize = hp.BatchSize > 0 ? hp.BatchSize : 128,
            Schedule = schedule,
            Epochs = trial.Epochs,
            Seed = FoldSeed(trial.Seed),
        };
        spec.Validate();
        return spec;
    }

    /// <summary>Folds a 64-bit seed into a non-negative int (both halves contribute).</summary>
    public static int FoldSeed(ulong seed) => (int)((seed ^ (seed >> 32)) & 0x7FFF_FFFF);

    /// <summary>
    /// Trains the trial. Returns Completed, Stopped (reporter said stop, or <paramref name="progress"/>'s stop was
    /// requested), Diverged, Failed (bad spec, training error) or Cancelled (<paramref name="ct"/> fired:
    /// the worker is shutting down). Exceptions thrown by the reporter (e.g. the master unreachable for good)
    /// propagate, as do cancellations of <paramref name="ct"/> outside training and a dataset this machine lacks or
    /// cannot read (<see cref="IsMachineProblem"/>: <see cref="DatasetNotFoundException"/>, <see cref="DatasetFormatException"/>).
    /// </summary>
    public async Task<TrialOutcome> RunAsync(TrialSpec trial, ITrialReporter reporter, TrialProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(progress);

        TrainingJobSpec spec;
        try
        {
            spec = ToJobSpec(trial);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            _logger.LogError("Trial {TrialId}: invalid assignment: {Error}", trial.TrialId, ex.Message);
            return new TrialOutcome(TrialEndStatus.Failed, "invalid trial: " + ex.Message, 0, null, 0);
        }

        Checkpoint? resume = await LoadResumeAsync(trial, ct).ConfigureAwait(false);
        var state = new RunState();
        try
        {
            var result = await RunJobAsync(trial, spec, resume, reporter, progress, state, ct).ConfigureAwait(false);
            return await OutcomeAsync(trial, result, progress, state, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (resume is not null && state.EpochsReported == 0 && ex is CheckpointFormatException or ArgumentException)
        {
            // The resume checkpoint parsed but does not fit this trial (other model, other seed/batch): train from scratch.
            _logger.LogWarning("Trial {TrialId}: cannot resume from {ResumeKey} ({Error}); starting fresh.", trial.TrialId, trial.ResumeKey, ex.Message);
            state = new RunState();
            return await RunFreshAsync(trial, spec, reporter, progress, state, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (Classify(ex, state, ct))
        {
            _logger.LogError(ex, "Trial {TrialId} failed: {Error}", trial.TrialId, ex.Message);
            return new TrialOutcome(TrialEndStatus.Failed, ex.Message, Math.Max(0, state.BestValAcc), state.BestKey, state.EpochsReported);
        }
    }

    private async Task<TrialOutcome> RunFreshAsync(TrialSpec trial, TrainingJobSpec spec, ITrialReporter reporter, TrialProgress progress, RunState state, CancellationToken ct)
    {
        try
        {
            var result = await RunJobAsync(trial, spec, null, reporter, progress, state, ct).ConfigureAwait(false);
            return await OutcomeAsync(trial, result, progress, state, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (Classify(ex, state, ct))
        {
            _logger.LogError(ex, "Trial {TrialId} failed: {Error}", trial.TrialId, ex.Message);
            return new TrialOutcome(TrialEndStatus.Failed, ex.Message, Math.Max(0, state.BestValAcc), state.BestKey, state.EpochsReported);
        }
    }

    /// <summary>True for errors that fail the trial; false for the reporter's own failures, shutdown and this machine's
    /// missing or unreadable dataset (<see cref="IsMachineProblem"/>), which propagate.</summary>
    private static bool Classify(Exception ex, RunState state, CancellationToken ct) =>
        state.ReporterFailure is null && !(ex is OperationCanceledException && ct.IsCancellationRequested) && !IsMachineProblem(ex);

    /// <summary>
    /// The dataset is not on this machine, or its files here are corrupt: the fault of this worker's machine, not of
    /// the trial, which another worker can run. Failing the trial instead would let one worker without the data fail
    /// every trial of a search in seconds (each fails at once, and the worker asks for the next).
    /// </summary>
    public static bool IsMachineProblem(Exception ex) => ex is DatasetNotFoundException or DatasetFormatException;

    private async Task<TrainingJobResult> RunJobAsync(TrialSpec trial, TrainingJobSpec spec, Checkpoint? resume, ITrialReporter reporter,
        TrialProgress progress, RunState state, CancellationToken ct)
    {
        using var training = CancellationTokenSource.CreateLinkedTokenSource(ct, progress.StopToken);
        var job = new TrainingJob(spec)
        {
            EvaluateTest = false,
            ResumeFrom = resume,
            Progress = progress,
            // Valid for the save one epoch behind: OnEpochAsync awaits epoch k's save before it returns for epoch k + 1.
            CaptureBuffers = _buffers.Capture,
            CheckpointMetadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [TrainingCheckpoint.Keys.Experiment] = trial.Experiment,
                [TrainingCheckpoint.Keys.Trial] = trial.TrialId,
                ["attempt"] = trial.Attempt.ToString(CultureInfo.InvariantCulture),
                ["stage"] = trial.Stage.ToString(CultureInfo.InvariantCulture),
                ["index"] = trial.Index.ToString(CultureInfo.InvariantCulture),
            },
            // The worker's token, not training's: a stop ends training, yet the finished epoch is still saved and reported.
            OnEpoch = (outcome, _) => OnEpochAsync(trial, outcome, reporter, progress, state, ct),
        };
        _logger.LogInformation("Trial {TrialId} (stage {Stage}, index {Index}, attempt {Attempt}): {Model} {Optimizer} lr={LearningRate:G4} reg={Reg:G4} batch={Batch} {Schedule}, {Epochs} epochs{Resume}",
            trial.TrialId, trial.Stage, trial.Index, trial.Attempt, spec.Model, spec.Optimizer, spec.LearningRate, spec.Reg, spec.BatchSize, spec.Schedule, spec.Epochs,
            resume is null ? "" : $", resuming after epoch {resume.History.Count}");
        state.AbortTraining = training;
        TrainingJobResult? result = null;
        Exception? error = null;
        try
        {
            result = await job.RunAsync(training.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }
        // The outcome waits for the last save and report; their failure, which aborted training, is the real error.
        await state.Pending.ConfigureAwait(false);
        state.Failure?.Throw();
        if (error is not null) ExceptionDispatchInfo.Throw(error);
        return result!;
    }

    // An epoch's checkpoint is stored and reported while the next epoch trains: writing 8.5 MB with two fsyncs and
    // the master's durable acknowledgement took 0.1-0.2 s of every ~1.2 s epoch of fc:512-256, with the core idle.
    // The callback gets the checkpoint (a copy) and returns at once; the save and report run one epoch behind,
    // one at a time. A stop answer then stops the next epoch midway (as a heartbeat's STOP does), a failed save or
    // report aborts training, and the last epoch waits for its own save and report, so the outcome reflects them.
    private async ValueTask<EpochDecision> OnEpochAsync(TrialSpec trial, EpochOutcome outcome, ITrialReporter reporter, TrialProgress progress,
        RunState state, CancellationToken ct)
    {
        progress.EpochFinished(outcome.Record.Epoch);
        double epochWall = System.Diagnostics.Stopwatch.GetElapsedTime(state.LastEpochTimestamp).TotalSeconds;
        await state.Pending.ConfigureAwait(false); // one save in flight: a slow store holds training back, checkpoints do not pile up
        // Task.Run: serializing the checkpoint happens off the training thread as well.
        if (state.Failure is null && !progress.StopRequested) state.Pending = Task.Run(() => SaveAndReportAsync(trial, outcome, epochWall, reporter, progress, state, ct), CancellationToken.None);
        if (outcome.Record.Epoch >= trial.Epochs) await state.Pending.ConfigureAwait(false);
        state.LastEpochTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        return state.Failure is null && !progress.StopRequested ? EpochDecision.Continue : EpochDecision.Stop;
    }

    /// <summary>Stores the epoch's checkpoint, then reports it. Never throws: a failure is kept in the state and aborts training.</summary>
    private async Task SaveAndReportAsync(TrialSpec trial, EpochOutcome outcome, double epochWall, ITrialReporter reporter,
        TrialProgress progress, RunState state, CancellationToken ct)
    {
        var r = outcome.Record;
        try
        {
            string key = trial.CheckpointPrefix + CheckpointName.Format(Math.Clamp(r.ValidationAccuracy, 0, 1), r.Epoch);
            long saveStart = System.Diagnostics.Stopwatch.GetTimestamp();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["trial"] = trial.TrialId,
                ["epoch"] = r.Epoch.ToString(CultureInfo.InvariantCulture),
                ["val_acc"] = r.ValidationAccuracy.ToString("R", CultureInfo.InvariantCulture),
            };
            // The worker's one serialization buffer: at most one save is in flight (and none across trials), so it is free here.
            int bytes = await CheckpointFile.PutAsync(_store, key, outcome.Checkpoint, _buffers.Serialized, metadata, ct).ConfigureAwait(false);
            if (outcome.IsBest)
            {
                state.BestValAcc = r.ValidationAccuracy;
                state.BestKey = key;
            }
            state.EpochsReported++;
            double saveSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(saveStart).TotalSeconds;
            // Where an epoch's time goes: the training loop, everything else until the callback (evaluation of the raw
            // and averaged weights, checkpoint capture), and serializing + storing the checkpoint (beside the next epoch).
            _logger.LogInformation("Trial {TrialId} epoch {Epoch}/{Epochs}: train_loss={TrainLoss:F4} val_acc={ValAcc:F4} lr={LearningRate:G4} "
                + "(training {Seconds:F2}s, epoch {EpochWall:F2}s, checkpoint {SaveSeconds:F2}s for {Bytes} bytes) -> {CheckpointKey}",
                trial.TrialId, r.Epoch, trial.Epochs, r.TrainLoss, r.ValidationAccuracy, r.LearningRate, r.Seconds, epochWall, saveSeconds, bytes, key);
            _epochLines?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{trial.TrialId} epoch {r.Epoch}/{trial.Epochs} val_acc {r.ValidationAccuracy:F4} train_loss {r.TrainLoss:F4} {key}"));

            var epoch = new TrialEpoch(r, key, outcome.IsBest);
            if (r.Epoch >= trial.Epochs && reporter.TakesLastEpochWithResult)
            {
                state.LastEpoch = epoch; // reported with the result, right after this
                state.LastReportedEpoch = r.Epoch;
                return;
            }
            bool goOn;
            try
            {
                goOn = await reporter.ReportEpochAsync(trial, epoch, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                state.ReporterFailure = ex;
                throw;
            }
            state.LastReportedEpoch = r.Epoch;
            if (!goOn) progress.RequestStop($"master said stop after epoch {r.Epoch}");
        }
        catch (Exception ex)
        {
            state.Failure = ExceptionDispatchInfo.Capture(ex);
            await state.AbortTraining!.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task<TrialOutcome> OutcomeAsync(TrialSpec trial, TrainingJobResult result, TrialProgress progress, RunState state, CancellationToken ct)
    {
        var status = result.Status switch
        {
            SolverStatus.Completed => TrialEndStatus.Completed,
            SolverStatus.Stopped => TrialEndStatus.Stopped,
            SolverStatus.Diverged => TrialEndStatus.Diverged,
            // Cancelled: either our stop switch (the master said stop mid-epoch) or the worker's shutdown.
            _ => ct.IsCancellationRequested ? TrialEndStatus.Cancelled : progress.StopRequested ? TrialEndStatus.Stopped : TrialEndStatus.Cancelled,
        };
        string? message = status switch
        {
            TrialEndStatus.Stopped => progress.StopReason ?? result.Message,
            TrialEndStatus.Completed => null,
            _ => result.Message,
        };
        // The epochs that count are the stored and reported ones (the history includes a resumed attempt's): an epoch
        // that ended before the previous epoch's STOP answer came back was neither stored nor reported.
        int epochs = state.LastReportedEpoch > 0 ? Math.Min(state.LastReportedEpoch, result.History.Count) : result.History.Count;
        var (bestAcc, bestEpoch) = epochs == result.History.Count ? (result.BestValidationAccuracy, result.BestEpoch) : Best(result.History, epochs);
        double best = bestAcc >= 0 ? bestAcc : Math.Max(0, state.BestValAcc);
        string? bestKey = state.BestKey;
        // After a resume the best epoch may be one of the previous attempt's: find its checkpoint under the prefix.
        if (bestEpoch > 0 && (bestKey is null || !CheckpointName.TryParse(bestKey, out _, out int bestKeyEpoch) || bestKeyEpoch != bestEpoch))
        {
            bestKey = await FindCheckpointAsync(trial.CheckpointPrefix, bestEpoch, CancellationToken.None).ConfigureAwait(false) ?? bestKey;
        }
        if (status != TrialEndStatus.Cancelled)
            _logger.LogInformation("Trial {TrialId} {Status} after {Epochs} epochs: best val_acc={BestValAcc:F4} ({BestKey}){Message}",
                trial.TrialId, status, epochs, best, bestKey, message is null ? "" : ": " + message);
        return new TrialOutcome(status, message, best, bestKey, epochs) { LastEpoch = state.LastEpoch };
    }

    /// <summary>Best validation accuracy among the first <paramref name="epochs"/> epochs (first of equals, as the Solver ranks).</summary>
    private static (double Accuracy, int Epoch) Best(IReadOnlyList<EpochRecord> history, int epochs)
    {
        (double Accuracy, int Epoch) best = (-1, 0);
        for (int i = 0; i < epochs; i++)
            if (history[i].ValidationAccuracy > best.Accuracy) best = (history[i].ValidationAccuracy, history[i].Epoch);
        return best;
    }

    private async Task<string?> FindCheckpointAsync(string prefix, int epoch, CancellationToken ct)
    {
        try
        {
            string? found = null;
            await foreach (var o in _store.ListAsync(prefix, ct).ConfigureAwait(false))
            {
                if (o.Key.IndexOf('/', prefix.Length) < 0 && CheckpointName.TryParse(o.Key, out _, out int e) && e == epoch) found = o.Key;
            }
            return found;
        }
        catch (IOException ex)
        {
            _logger.LogWarning("Cannot list {Prefix} in {Store}: {Error}", prefix, _store.Describe, ex.Message);
            return null;
        }
    }

    /// <summary>The previous attempt's checkpoint, or null (none asked for, missing or unreadable: start fresh).</summary>
    private async Task<Checkpoint?> LoadResumeAsync(TrialSpec trial, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(trial.ResumeKey)) return null;
        try
        {
            Checkpoint checkpoint;
            var stream = await _store.OpenReadAsync(trial.ResumeKey, ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                checkpoint = await CheckpointFile.ReadAsync(stream, trial.ResumeKey, ct).ConfigureAwait(false);
            }
            _logger.LogInformation("Trial {TrialId}: resuming from {ResumeKey} (epoch {Epoch}).", trial.TrialId, trial.ResumeKey, checkpoint.History.Count);
            return checkpoint;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
        {
            _logger.LogWarning("Trial {TrialId}: resume checkpoint {ResumeKey} is unusable ({Error}); starting fresh.", trial.TrialId, trial.ResumeKey, ex.Message);
            return null;
        }
    }

    private sealed class RunState
    {
        public int EpochsReported;
        public double BestValAcc = -1;
        public string? BestKey;
        public Exception? ReporterFailure;

        /// <summary>Number of the latest epoch stored and reported by this attempt, or handed to the result (0: none yet).</summary>
        public int LastReportedEpoch;

        /// <summary>The stored last epoch that the result reports (the reporter takes it with the result), or null.</summary>
        public TrialEpoch? LastEpoch;

        /// <summary>The save and report of the latest epoch, running beside the next epoch's training.</summary>
        public Task Pending = Task.CompletedTask;

        /// <summary>Why a save or report failed (training was aborted), or null.</summary>
        public ExceptionDispatchInfo? Failure;

        /// <summary>Cancels this attempt's training (a failed save or report).</summary>
        public CancellationTokenSource? AbortTraining;

        /// <summary>When the previous epoch was handed over (or the run started): epoch wall time includes evaluation and capture.</summary>
        public long LastEpochTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
    }
}
