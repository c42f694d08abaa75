using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;

namespace CvLearn.Core.Training;

/// <summary>What a run hands to its caller at the end of each epoch: the statistics and a full checkpoint.</summary>
public sealed record EpochOutcome(EpochRecord Record, bool IsBest, Checkpoint Checkpoint);

/// <summary>How a run ended.</summary>
public sealed record TrainingJobResult(
    SolverStatus Status,
    IReadOnlyList<EpochRecord> History,
    double BestValidationAccuracy,
    int BestEpoch,
    double ValidationAccuracy,
    double? TestAccuracy,
    string? Message)
{
    /// <summary>Test accuracy of the running average of the weights (null when the EMA is off or no test ran).</summary>
    public double? EmaTestAccuracy { get; init; }
}

/// <summary>
/// One training run from a <see cref="TrainingJobSpec"/>: prepare data, build the model, train with the Solver
/// (or fit kNN), hand a checkpoint to the caller after every epoch (who stores it and may ask to stop), evaluate
/// on the test split. Knows nothing about storage or the master.
/// </summary>
public sealed class TrainingJob
{
    private readonly TrainingJobSpec _spec;

    public TrainingJob(TrainingJobSpec spec)
    {
        spec.Validate();
        _spec = spec;
    }

    /// <summary>Called once per epoch with the outcome; returns whether to continue.</summary>
    public Func<EpochOutcome, CancellationToken, ValueTask<EpochDecision>>? OnEpoch { get; init; }

    /// <summary>Per-minibatch progress (called on the training thread: keep it cheap).</summary>
    public IProgress<BatchProgress>? Progress { get; init; }

    /// <summary>Metadata added to every checkpoint (experiment, trial...).</summary>
    public IReadOnlyDictionary<string, string>? CheckpointMetadata { get; init; }

    /// <summary>A checkpoint of this same run to resume from (its epochs are not trained again).</summary>
    public Checkpoint? ResumeFrom { get; init; }

    /// <summary>
    /// Arrays to capture each epoch's checkpoint into instead of fresh ones (they may be shared by successive jobs).
    /// The checkpoint handed to <see cref="OnEpoch"/> then shares its arrays with the one two epochs later: it stays
    /// valid until the <see cref="OnEpoch"/> call of the following epoch has returned. Null (the default) allocates.
    /// </summary>
    public CaptureBuffers? CaptureBuffers { get; init; }

    /// <summary>Evaluate the final model on the test split.</summary>
    public bool EvaluateTest { get; init; } = true;

    public async Task<TrainingJobResult> RunAsync(CancellationToken ct)
    {
        var data = await PreparedData.PrepareAsync(_spec, ct).ConfigureAwait(false);
        var modelSpec = ModelSpec.Parse(_spec.Model);
        if (!modelSpec.IsNetwork) return await Task.Run(() => RunKnn(modelSpec, data, ct), ct).ConfigureAwait(false);

        var network = ModelFactory.CreateNetwork<float>(modelSpec, data.InputShape, data.Classes,
            new ModelBuildOptions { Seed = _spec.Seed, Dropout = _spec.Dropout });
        network.Regularization = new Regularization(_spec.RegKind, _spec.Reg);
        var rule = UpdateRules.Create(_spec.Optimizer, UpdateRuleOptions.Default with { Momentum = _spec.Momentum });
        var schedule = LearningRateSchedules.Parse(_spec.Schedule);
        var solver = new Solver(network, rule, schedule, data.Train, data.Validation, new SolverOptions
        {
            Epochs = _spec.Epochs,
            BatchSize = _spec.BatchSize,
            LearningRate = _spec.LearningRate,
            Seed = _spec.Seed,
            EmaDecay = _spec.EmaDecay,
            DivergenceFactor = _spec.DivergenceFactor,
        });
        if (ResumeFrom is not null) TrainingCheckpoint.Restore(ResumeFrom, network, solver);

        var result = await solver.RunAsync(async (end, token) =>
        {
            if (OnEpoch is null) return EpochDecision.Continue;
            var checkpoint = TrainingCheckpoint.Capture(network, end.Solver, _spec, data, CheckpointMetadata, CaptureBuffers);
            return await OnEpoch(new EpochOutcome(end.Record, end.IsBest, checkpoint), token).ConfigureAwait(false);
        }, Progress, ct).ConfigureAwait(false);

        double val = result.History.Count > 0 ? result.History[^1].ValidationAccuracy : 0;
        double? test = null, emaTest = null;
        if (EvaluateTest && result.Status is SolverStatus.Completed or SolverStatus.Stopped && result.History.Count > 0)
        {
            test = Evaluation.Accuracy(network, data.Test);
            if (_spec.EmaDecay > 0) emaTest = EmaAccuracy(network, solver, data.Test);
        }
        return new TrainingJobResult(result.Status, result.History, result.BestValidationAccuracy, result.BestEpoch, val, test, result.Message)
        {
            EmaTestAccuracy = emaTest,
        };
    }

    /// <summary>Accuracy with the solver's running average of the weights swapped in (then swapped back).</summary>
    private static double EmaAccuracy(Network<float> network, Solver solver, Data.LabeledImages images)
    {
        var weights = network.Parameters.Values;
        var saved = weights.ToArray();
        solver.EmaWeights.CopyTo(weights);
        try { return Evaluation.Accuracy(network, images); }
        finally { saved.CopyTo(weights, 0); }
    }

    private TrainingJobResult RunKnn(ModelSpec spec, PreparedData data, CancellationToken ct)
    {
        var start = System.Diagnostics.Stopwatch.StartNew();
        var knn = KNearestNeighbor.FromSpec(spec);
        knn.Train(data.Train.ToLabeledImages());
        var classifier = new KnnClassifier(knn);
        double val = Accuracy(classifier, data.Validation, ct);
        double? test = EvaluateTest ? Accuracy(classifier, data.Test, ct) : null;
        var record = new EpochRecord(1, double.NaN, double.NaN, val, val, 0, start.Elapsed.TotalSeconds);
        return new TrainingJobResult(SolverStatus.Completed, [record], val, 1, val, test, null);
    }

    private static double Accuracy(IClassifier classifier, Data.LabeledImages images, CancellationToken ct)
    {
        var probs = new float[images.Count * classifier.Classes];
        classifier.PredictProbabilities(images, probs, ct);
        return ClassificationMetrics.Accuracy(probs, classifier.Classes, images.Labels);
    }
}
