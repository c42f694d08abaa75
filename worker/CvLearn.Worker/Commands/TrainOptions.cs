using System.CommandLine;
using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;
using CvLearn.Core.Training;

namespace CvLearn.Worker.Commands;

/// <summary>The options that describe one training run, shared by `train` (and reusable by other commands).</summary>
public sealed class TrainOptions
{
    public Option<string> Dataset { get; } = new("--dataset") { Description = "Dataset: fashion-mnist, mnist or cifar10.", DefaultValueFactory = _ => "fashion-mnist" };
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Directory holding the dataset files (searched before /usr/share/datasets and ~/.cache/cvlearn/datasets)." };
    public Option<string> Model { get; } = new("--model") { Description = "Model spec, e.g. fc:256, fc:512-256,bn,act=elu, conv:32-pool-64-pool-fc128, linear:softmax, linear:svm, knn:5.", Required = true };
    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "Update rule: sgd, momentum, nesterov, adagrad, rmsprop, adam.", DefaultValueFactory = _ => "adam" };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 };
    public Option<double> Reg { get; } = new("--reg") { Description = "Regularization strength λ (weights only, not biases).", DefaultValueFactory = _ => 0.0 };
    public Option<string> RegKind { get; } = new("--reg-kind") { Description = "Weight penalty: l2 (½λΣw²) or l1 (λΣ|w|).", DefaultValueFactory = _ => "l2" };
    public Option<double?> Dropout { get; } = new("--dropout") { Description = "Drop probability of the dropout layers (overrides the spec's dropout=)." };
    public Option<double> Momentum { get; } = new("--momentum") { Description = "Momentum μ for momentum/nesterov.", DefaultValueFactory = _ => 0.9 };
    public Option<string> Schedule { get; } = new("--schedule") { Description = "Learning-rate schedule: constant, step:EVERY:FACTOR, lr_decay:D, exp:K, inv:K, plateau:PATIENCE[:THRESHOLD].", DefaultValueFactory = _ => "constant" };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 5 };
    public Option<int> Batch { get; } = new("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 128 };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of initialization, shuffling and dropout.", DefaultValueFactory = _ => 1 };
    public Option<int?> Threads { get; } = new("--threads") { Description = "Compute threads (default: all cores)." };
    public Option<int?> TrainLimit { get; } = new("--train-limit") { Description = "Train on a seeded random subset of N images (drawn after the validation split is held out; same subset for the same data)." };
    public Option<int> Validation { get; } = new("--validation") { Description = "Validation images held out of the training set.", DefaultValueFactory = _ => DataSplit.DefaultValidationCount };
    public Option<int?> TestLimit { get; } = new("--test-limit") { Description = "Evaluate on the first N test images." };
    public Option<double> Ema { get; } = new("--ema") { Description = "Decay of the running average of the weights evaluated alongside them (0 disables).", DefaultValueFactory = _ => 0.999 };
    public Option<bool> Normalize { get; } = new("--normalize") { Description = "Divide by the per-channel standard deviation after mean subtraction (statistics from the training split only); --normalize false turns it off. [default: true]", DefaultValueFactory = _ => true };
    public Option<int> Pca { get; } = new("--pca") { Description = "Project onto the top K principal components of the training split (0: off).", DefaultValueFactory = _ => 0 };
    public Option<bool> Whiten { get; } = new("--whiten") { Description = "Whiten after PCA (divide each component by the square root of its eigenvalue)." };

    public IEnumerable<Option> All => [Dataset, DataDir, Model, Optimizer, LearningRate, Reg, RegKind, Dropout, Momentum, Schedule,
        Epochs, Batch, Seed, Threads, TrainLimit, Validation, TestLimit, Ema, Normalize, Pca, Whiten];

    /// <summary>Sets the engine's thread count from --threads (null: leave the default, all cores).</summary>
    internal static void ApplyThreads(int? threads)
    {
        if (threads is not { } t) return;
        if (t < 1) throw new ArgumentException($"--threads: must be at least 1, got {t}.");
        Engine.Threads = t;
    }

    /// <summary>An explicit --data-dir that does not exist is a typo, not a reason to fall back to the other locations.</summary>
    internal static void CheckDataDir(string? dataDir)
    {
        if (dataDir is not null && !Directory.Exists(dataDir))
            throw new ArgumentException($"--data-dir: directory '{dataDir}' does not exist.");
    }

    /// <summary>Builds the job spec from parsed values; invalid values surface as ArgumentException (exit code 2).</summary>
    public TrainingJobSpec ToSpec(ParseResult r)
    {
        var regKind = r.GetValue(RegKind)!.ToLowerInvariant() switch
        {
            "l2" => RegularizationKind.L2,
            "l1" => RegularizationKind.L1,
            var other => throw new ArgumentException($"--reg-kind: unknown penalty '{other}'; use l2 or l1."),
        };
        CheckDataDir(r.GetValue(DataDir));
        var spec = new TrainingJobSpec
        {
            Dataset = r.GetValue(Dataset)!,
            DataDir = r.GetValue(DataDir),
            Model = r.GetValue(Model)!,
            Optimizer = r.GetValue(Optimizer)!,
            LearningRate = r.GetValue(LearningRate),
            Reg = r.GetValue(Reg),
            RegKind = regKind,
            Dropout = r.GetValue(Dropout),
            Momentum = r.GetValue(Momentum),
            Schedule = r.GetValue(Schedule)!,
            Epochs = r.GetValue(Epochs),
            BatchSize = r.GetValue(Batch),
            Seed = r.GetValue(Seed),
            TrainLimit = r.GetValue(TrainLimit),
            Validation = r.GetValue(Validation),
            TestLimit = r.GetValue(TestLimit),
            EmaDecay = r.GetValue(Ema),
            Preprocessing = TrainingJobSpec.DefaultPreprocessing with
            {
                Std = r.GetValue(Normalize) ? StatisticMode.PerChannel : StatisticMode.None,
                PcaComponents = r.GetValue(Pca),
                Whiten = r.GetValue(Whiten),
            },
        };
        spec.Validate();
        return spec;
    }
}
