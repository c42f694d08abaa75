using System.Diagnostics;
using CvLearn.Core.Data;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Training;

/// <summary>
/// Trains a <see cref="Network{T}"/> with an <see cref="IUpdateRule"/> and an <see cref="ILearningRateSchedule"/>
/// by minibatch gradient descent, kept apart from both (like CS231n's solver.py). Each epoch: a seeded shuffle,
/// minibatch steps (with divergence and cancellation checks), then train/validation accuracy (raw and averaged
/// weights), an <see cref="EpochRecord"/>, the schedule step and the epoch-end callback.
/// Deterministic for a given Seed and <see cref="Engine.Threads"/>: every random choice derives from
/// (Seed, epoch), so a run resumed from <see cref="ExportState"/> after epoch k reproduces the uninterrupted run.
/// One run at a time; not thread-safe otherwise.
/// </summary>
public sealed class Solver
{
    private const double LossSmoothing = 0.1; // weight of the newest minibatch in the smoothed loss
    // Floor of the divergence reference: a run starting from an already good model (first loss ≈ 0.01) must not
    // be declared diverged when its loss wobbles to 0.1; 0.5 is below ln 2, any classifier's chance-level loss.
    private const double MinDivergenceReference = 0.5;
    private const int ShuffleStream = 1;
    private const int SampleStream = 2;
    private const int ReseedStreamBase = 16; // + layer index

    private readonly IImageSet _train;
    private readonly IImageSet _validation;
    private readonly int[] _order;              // this epoch's shuffle
    private readonly int[]? _trainSample;       // fixed images for train accuracy, null = all
    private readonly int[] _batchShape;         // scratch (n, ...InputShape)
    private readonly int[] _batchLabels;
    private readonly float[]? _ema;             // running average of the weights, null when disabled
    private readonly ParameterSegment[] _weightSegments; // where the L2 penalty applies, for a fused update rule
    private readonly List<EpochRecord> _history = new();
    private readonly float[] _validationProbabilities; // softmax of the raw weights on the validation split, at the last epoch end
    private int _validationProbabilitiesEpoch;         // the epoch they belong to (0: none yet)
    private Tensor<float>? _batch;
    private Tensor<float>? _evalBatch;
    private bool _initialized;
    private int _running;
    private double _initialLoss = double.NaN;
    private double _smoothedLoss = double.NaN;

    /// <param name="network">The model; its parameters must already be initialized.</param>
    /// <param name="updateRule">A fresh rule (or one restored through <see cref="ImportState"/>).</param>
    /// <param name="schedule">Learning-rate schedule; the Solver resets it to <see cref="SolverOptions.LearningRate"/> on a fresh start.</param>
    /// <param name="train">Preprocessed training images.</param>
    /// <param name="validation">Preprocessed validation images.</param>
    /// <param name="options">Run settings (validated here).</param>
    public Solver(Network<float> network, IUpdateRule updateRule, ILearningRateSchedule schedule, IImageSet train, IImageSet validation, SolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(updateRule);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (validation.Count == 0) throw new ArgumentException("The validation set is empty; hold out some images for model selection.", nameof(validation));
        Evaluation.CheckCompatible(network, train, "training images");
        Evaluation.CheckCompatible(network, validation, "validation images");

        Network = network;
        UpdateRule = updateRule;
        Schedule = schedule;
        Options = options;
        _train = train;
        _validation = validation;
        _order = new int[train.Count];
        _batchShape = Evaluation.BatchShape(network);
        _batchLabels = new int[Math.Min(options.BatchSize, train.Count)];
        _ema = options.EmaDecay > 0 ? new float[network.Parameters.Count] : null;
        _weightSegments = ParameterSegment.Weights(network.Parameters);
        _validationProbabilities = new float[validation.Count * network.Classes];
        _trainSample = options.TrainAccuracySample >= train.Count ? null : SampleIndices(train.Count, options.TrainAccuracySample, options.Seed);
    }

    public Network<float> Network { get; }
    public IUpdateRule UpdateRule { get; }
    public ILearningRateSchedule Schedule { get; }
    public SolverOptions Options { get; }

    /// <summary>Finished epochs (including those before a resume).</summary>
    public int EpochsDone { get; private set; }

    /// <summary>Update steps taken.</summary>
    public long Iterations { get; private set; }

    /// <summary>Best raw-weight validation accuracy so far (−1 before the first epoch).</summary>
    public double BestValidationAccuracy { get; private set; } = -1;

    /// <summary>Epoch of <see cref="BestValidationAccuracy"/> (0 before the first epoch).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Finished epochs.</summary>
    public IReadOnlyList<EpochRecord> History => _history;

    /// <summary>
    /// Running average of the weights (same layout as <see cref="ParameterSet{T}.Values"/>), empty when
    /// <see cref="SolverOptions.EmaDecay"/> is 0. Read it between epochs (e.g. in the callback) to checkpoint it.
    /// </summary>
    public ReadOnlySpan<float> EmaWeights => _ema;

    /// <summary>
    /// The raw weights' softmax class probabilities on the validation split (row-major N × C), computed with the
    /// epoch's validation accuracy at the end of epoch <see cref="EpochsDone"/>; empty before the first epoch end of
    /// this run (also right after a resume). Checkpoints carry them, so ensembles need no forward pass.
    /// </summary>
    public ReadOnlySpan<float> ValidationProbabilities =>
        _validationProbabilitiesEpoch > 0 && _validationProbabilitiesEpoch == EpochsDone ? _validationProbabilities : default;

    /// <summary>
    /// Trains until <see cref="SolverOptions.Epochs"/> epochs are done, the loss diverges, the callback answers
    /// Stop, or <paramref name="ct"/> fires (checked between minibatches; the result then says Cancelled and the
    /// network holds the weights of the interrupted epoch — resume from the last epoch-end checkpoint).
    /// Computation runs on the thread pool; the callback is awaited between epochs, after the epoch has been fully
    /// accounted for (record, best, schedule step), so a checkpoint taken in it resumes exactly.
    /// <paramref name="progress"/> is called synchronously on the training thread after every minibatch: keep it
    /// cheap (a <see cref="Progress{T}"/> posts a work item per call).
    /// </summary>
    public async Task<SolverResult> RunAsync(
        Func<EpochEnd, CancellationToken, ValueTask<EpochDecision>>? onEpochEnd,
        IProgress<BatchProgress>? progress,
        CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
            throw new InvalidOperationException("This solver is already running; use one solver per training run.");
        try
        {
            EnsureInitialized();
            while (EpochsDone < Options.Epochs)
            {
                if (ct.IsCancellationRequested) return Result(SolverStatus.Cancelled, $"Cancelled before epoch {EpochsDone + 1}.");
                int epoch = EpochsDone + 1;
                var outcome = await Task.Run(() => RunEpoch(epoch, progress, ct), CancellationToken.None).ConfigureAwait(false);
                if (outcome.Status is { } status) return Result(status, outcome.Message);
                var record = outcome.Record!;
                if (onEpochEnd is null) continue;
                EpochDecision decision;
                try
                {
                    decision = await onEpochEnd(new EpochEnd(record, BestEpoch == epoch, BestValidationAccuracy, BestEpoch, this), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return Result(SolverStatus.Cancelled, $"Cancelled in the callback after epoch {epoch}.");
                }
                if (decision == EpochDecision.Stop) return Result(SolverStatus.Stopped, $"Stopped by the epoch-end callback after epoch {epoch}.");
            }
            return Result(SolverStatus.Completed, null);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>A copy of the run's state after the last finished epoch (see <see cref="SolverState"/>).</summary>
    public SolverState ExportState() => ExportState(static (_, length) => new float[length]);

    /// <summary>
    /// Like <see cref="ExportState()"/>, copying the large buffers into the arrays <paramref name="allocate"/> returns
    /// for (name, length): "ema" for the weight average, "rule." + the buffer's name for the update rule's state
    /// (see <see cref="IUpdateRule.ExportState(Func{string, int, float[]})"/>). Lets a per-epoch checkpoint reuse its arrays.
    /// </summary>
    public SolverState ExportState(Func<string, int, float[]> allocate)
    {
        ArgumentNullException.ThrowIfNull(allocate);
        EnsureInitialized();
        float[]? ema = null;
        if (_ema is not null)
        {
            ema = allocate("ema", _ema.Length);
            if (ema.Length != _ema.Length) throw new ArgumentException($"The array given for the weight average has {ema.Length} elements, not {_ema.Length}.", nameof(allocate));
            _ema.CopyTo(ema, 0);
        }
        return new SolverState(
            EpochsDone, Iterations, Schedule.LearningRate, Schedule.ExportState(),
            UpdateRule.Name, UpdateRule.Steps, UpdateRule.ExportState((name, length) => allocate("rule." + name, length)),
            ema,
            BestValidationAccuracy, BestEpoch, _initialLoss, _smoothedLoss,
            Options.Seed, Options.BatchSize, _history.ToArray());
    }

    /// <summary>
    /// Restores a state exported after some epoch. The caller restores the network's parameters (and batchnorm
    /// state) saved at the same moment. Options must keep the same Seed and BatchSize; Epochs may be raised.
    /// </summary>
    public void ImportState(SolverState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Volatile.Read(ref _running) == 1) throw new InvalidOperationException("Cannot import state while the solver is running.");
        if (state.Seed != Options.Seed || state.BatchSize != Options.BatchSize)
            throw new ArgumentException($"The state was saved with Seed {state.Seed} and BatchSize {state.BatchSize} but the options say Seed {Options.Seed} and BatchSize {Options.BatchSize}; resume with the same values to reproduce the run.");
        if (!string.Equals(state.UpdateRule, UpdateRule.Name, StringComparison.Ordinal))
            throw new ArgumentException($"The state was saved by update rule '{state.UpdateRule}' but this solver uses '{UpdateRule.Name}'.");
        if (state.EpochsDone < 0 || state.History.Count != state.EpochsDone)
            throw new ArgumentException($"The state is inconsistent: {state.EpochsDone} epochs done but {state.History.Count} history records.");
        if (_ema is not null && state.EmaWeights is not null && state.EmaWeights.Length != _ema.Length)
            throw new ArgumentException($"The state's weight average has {state.EmaWeights.Length} values but the network has {_ema.Length} parameters.");

        Schedule.ImportState(state.Schedule);
        UpdateRule.ImportState(state.UpdateRuleState, state.UpdateRuleSteps);
        if (_ema is not null)
        {
            // A state saved without an average (EmaDecay was 0) starts it from the current weights.
            if (state.EmaWeights is not null) state.EmaWeights.CopyTo(_ema, 0);
            else Network.Parameters.Values.CopyTo(_ema, 0);
        }
        EpochsDone = state.EpochsDone;
        Iterations = state.Iterations;
        BestValidationAccuracy = state.BestValidationAccuracy;
        BestEpoch = state.BestEpoch;
        _initialLoss = state.InitialLoss;
        _smoothedLoss = state.SmoothedLoss;
        _history.Clear();
        _history.AddRange(state.History);
        _initialized = true;
    }

    private void EnsureInitialized()
    {
        if (_initialized) return;
        Schedule.Reset(Options.LearningRate);
        if (_ema is not null) Network.Parameters.Values.CopyTo(_ema, 0);
        _initialized = true;
    }

    private SolverResult Result(SolverStatus status, string? message) =>
        new(status, new List<EpochRecord>(_history), BestValidationAccuracy, BestEpoch, message);

    private EpochOutcome RunEpoch(int epoch, IProgress<BatchProgress>? progress, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        var (status, message, trainLoss) = TrainEpoch(epoch, progress, ct);
        if (status is not null) return new EpochOutcome(status, message, null);
        var record = FinishEpoch(epoch, trainLoss, Stopwatch.GetElapsedTime(start).TotalSeconds);
        return new EpochOutcome(null, null, record);
    }

    /// <summary>
    /// The minibatch loop of one epoch. Returns a status when the epoch did not finish (Diverged/Cancelled), else
    /// the mean minibatch loss. Allocates nothing in steady state.
    /// </summary>
    internal (SolverStatus? Status, string? Message, double TrainLoss) TrainEpoch(int epoch, IProgress<BatchProgress>? progress, CancellationToken ct)
    {
        var parameters = Network.Parameters;
        var values = parameters.Values;
        var grads = parameters.Grads;
        float lr = (float)Schedule.LearningRate;

        for (int i = 0; i < Network.Layers.Count; i++)
            if (Network.Layers[i] is IStochasticLayer r) r.Reseed(SeedStream.DeriveInt(Options.Seed, ReseedStreamBase + i, epoch));
        SeedStream.For(Options.Seed, ShuffleStream, epoch).Permutation(_order);

        int n = _train.Count, batchSize = Options.BatchSize;
        int batches = (n + batchSize - 1) / batchSize;
        double lossSum = 0;
        for (int b = 0; b < batches; b++)
        {
            if (ct.IsCancellationRequested)
                return (SolverStatus.Cancelled, $"Cancelled in epoch {epoch} before minibatch {b + 1} of {batches}.", double.NaN);
            int count = Math.Min(batchSize, n - b * batchSize);
            var x = Evaluation.Load(_train, _order, b * batchSize, count, _batchShape, ref _batch);
            for (int i = 0; i < count; i++) _batchLabels[i] = _train.Labels[_order[b * batchSize + i]];

            // A rule that can fold the L2 penalty's gradient and the weight average into its own pass gets them (one
            // pass over the parameters instead of three); the result is bit for bit the same.
            var penalty = Network.Regularization;
            var fused = FusedUpdate.For(UpdateRule, penalty);
            var (dataLoss, regLoss) = Network.LossAndGradients(x, _batchLabels.AsSpan(0, count), penaltyGradient: fused is null);
            double loss = (double)dataLoss + regLoss;
            if (!double.IsFinite(loss))
                return (SolverStatus.Diverged, $"Loss became {loss} in epoch {epoch}, minibatch {b + 1}; the learning rate is probably too high.", double.NaN);
            if (double.IsNaN(_initialLoss))
            {
                _initialLoss = loss;
                _smoothedLoss = loss;
            }
            else
            {
                _smoothedLoss += LossSmoothing * (loss - _smoothedLoss);
            }
            double reference = Math.Max(_initialLoss, MinDivergenceReference);
            if (_smoothedLoss > Options.DivergenceFactor * reference)
                return (SolverStatus.Diverged, $"Smoothed loss {_smoothedLoss:G4} exceeded {Options.DivergenceFactor:G4} × the initial loss {_initialLoss:G4} (floored at {MinDivergenceReference}) in epoch {epoch}, minibatch {b + 1}; the learning rate is probably too high.", double.NaN);

            if (fused is not null)
            {
                fused.StepFused(values, grads, lr, _weightSegments, (float)penalty.Strength, _ema,
                    _ema is null ? 0 : WeightAverage.EffectiveDecay(Options.EmaDecay, Iterations));
            }
            else
            {
                UpdateRule.Step(values, grads, lr);
                if (_ema is not null) WeightAverage.Update(_ema, values, WeightAverage.EffectiveDecay(Options.EmaDecay, Iterations));
            }
            Iterations++;
            lossSum += loss;
            progress?.Report(new BatchProgress(epoch, b + 1, batches, loss, _smoothedLoss, lr));
        }
        return (null, null, lossSum / batches);
    }

    /// <summary>Accuracies, record, best tracking and schedule step after a finished epoch.</summary>
    private EpochRecord FinishEpoch(int epoch, double trainLoss, double seconds)
    {
        double lr = Schedule.LearningRate;
        int evalBatch = Options.EvalBatchSize;
        double trainAcc = Evaluation.Accuracy(Network, _train, _trainSample, evalBatch, ref _evalBatch);
        double valAcc = Evaluation.Accuracy(Network, _validation, null, evalBatch, ref _evalBatch, _validationProbabilities);
        _validationProbabilitiesEpoch = epoch;
        double emaAcc = valAcc;
        if (_ema is not null)
        {
            // Evaluate the averaged weights in place: swap them into the parameter buffer and back (bitwise exact).
            var values = Network.Parameters.Values;
            WeightAverage.Swap(values, _ema);
            try
            {
                emaAcc = Evaluation.Accuracy(Network, _validation, null, evalBatch, ref _evalBatch);
            }
            finally
            {
                WeightAverage.Swap(values, _ema);
            }
        }

        var record = new EpochRecord(epoch, trainLoss, trainAcc, valAcc, emaAcc, lr, seconds);
        _history.Add(record);
        if (valAcc > BestValidationAccuracy)
        {
            BestValidationAccuracy = valAcc;
            BestEpoch = epoch;
        }
        Schedule.EpochEnd(valAcc);
        EpochsDone = epoch;
        return record;
    }

    /// <summary>A fixed, sorted (for memory locality) sample of <paramref name="k"/> distinct indices below <paramref name="n"/>.</summary>
    private static int[] SampleIndices(int n, int k, int seed)
    {
        var order = new int[n];
        SeedStream.For(seed, SampleStream, 0).Permutation(order);
        var sample = order.AsSpan(0, k).ToArray();
        Array.Sort(sample);
        return sample;
    }

    private sealed record EpochOutcome(SolverStatus? Status, string? Message, EpochRecord? Record);
}
