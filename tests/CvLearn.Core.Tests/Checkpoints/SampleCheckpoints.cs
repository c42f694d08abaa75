using CvLearn.Core.Checkpoints;
using CvLearn.Core.Data;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Checkpoints;

internal static class SampleCheckpoints
{
    /// <summary>A checkpoint with every field populated, including non-trivial floats (NaN payloads excluded), unicode and PCA stats.</summary>
    internal static Checkpoint Full(int seed = 1)
    {
        var rng = new Random(seed);
        float[] Floats(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * 1e3f; return a; }
        var train = new LabeledImages(Floats(30 * 6), new int[30], 1, 2, 3, 10);
        var prep = PreprocessingStats.Fit(train, new PreprocessingOptions { Std = StatisticMode.PerPixel, PcaComponents = 4, Whiten = true });
        return new Checkpoint
        {
            ModelSpec = "affine(100)-relu-affine(10)",
            InputShape = [4, 1, 1],
            Classes = 10,
            ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            Hyperparameters = new Dictionary<string, string> { ["lr"] = "0.00123", ["reg"] = "1e-5", ["update"] = "adam" },
            Metadata = new Dictionary<string, string> { ["experiment"] = "exp-ü", ["trial"] = "42", ["val_acc"] = "0.8734", ["note"] = "" },
            Parameters = [new NamedArray("W1", [4, 100], Floats(400)), new NamedArray("b1", [100], Floats(100)), new NamedArray("scalar", [], [float.Epsilon])],
            State = [new NamedArray("bn1.running_mean", [100], Floats(100))],
            EmaParameters = [new NamedArray("W1", [4, 100], Floats(400))],
            Optimizer = new OptimizerCheckpoint("adam", 12345678901, [new NamedArray("m", [500], Floats(500)), new NamedArray("v", [500], Floats(500))]),
            SolverState = new Dictionary<string, double> { ["epoch"] = 5, ["lr"] = 1.23e-4, ["best"] = double.NegativeInfinity },
            Preprocessing = prep,
            History = [new EpochRecord(1, 2.3, 0.1, 0.12, 0.11, 1e-3, 4.5), new EpochRecord(2, 1.1, 0.6, 0.55, 0.5, 9e-4, 4.4)],
            ValidationPredictions = new ValidationPredictions(Enumerable.Range(0, 7).Select(i => (i * 3) % 10).ToArray(), Floats(70), 10),
        };
    }

    internal static Checkpoint Minimal() => new()
    {
        ModelSpec = "affine(10)",
        InputShape = [1, 28, 28],
        Classes = 10,
        Parameters = [new NamedArray("W", [2], [1f, 2f])],
    };

    internal static void AssertEqual(Checkpoint expected, Checkpoint actual)
    {
        Assert.Equal(expected.ModelSpec, actual.ModelSpec);
        Assert.Equal(expected.InputShape, actual.InputShape);
        Assert.Equal(expected.Classes, actual.Classes);
        Assert.Equal(expected.ClassNames, actual.ClassNames);
        Assert.Equal(expected.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
        AssertArrays(expected.Parameters, actual.Parameters);
        AssertArrays(expected.State, actual.State);
        Assert.Equal(expected.EmaParameters is null, actual.EmaParameters is null);
        if (expected.EmaParameters is not null) AssertArrays(expected.EmaParameters, actual.EmaParameters!);
        Assert.Equal(expected.Optimizer is null, actual.Optimizer is null);
        if (expected.Optimizer is not null)
        {
            Assert.Equal(expected.Optimizer.Name, actual.Optimizer!.Name);
            Assert.Equal(expected.Optimizer.Steps, actual.Optimizer.Steps);
            AssertArrays(expected.Optimizer.Buffers, actual.Optimizer.Buffers);
        }
        Assert.Equal(expected.SolverState.OrderBy(p => p.Key, StringComparer.Ordinal), actual.SolverState.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.History, actual.History);   // EpochRecord is a record of scalars: structural equality
        Assert.Equal(expected.ValidationPredictions is null, actual.ValidationPredictions is null);
        if (expected.ValidationPredictions is { } vp)
        {
            Assert.Equal(vp.Classes, actual.ValidationPredictions!.Classes);
            Assert.Equal(vp.Labels, actual.ValidationPredictions.Labels);
            Assert.Equal(vp.Probabilities.Select(BitConverter.SingleToInt32Bits), actual.ValidationPredictions.Probabilities.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(expected.Preprocessing is null, actual.Preprocessing is null);
        if (expected.Preprocessing is { } p)
        {
            var q = actual.Preprocessing!;
            Assert.Equal(p.Options, q.Options);
            Assert.Equal(p.InputShape, q.InputShape);
            Assert.Equal(p.Mean, q.Mean);
            Assert.Equal(p.Std, q.Std);
            Assert.Equal(p.Components, q.Components);
            Assert.Equal(p.Eigenvalues, q.Eigenvalues);
        }
    }

    private static void AssertArrays(IReadOnlyList<NamedArray> expected, IReadOnlyList<NamedArray> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            Assert.Equal(expected[i].Shape, actual[i].Shape);
            // Bitwise equality, not approximate: a checkpoint must restore training exactly.
            Assert.Equal(expected[i].Data.Select(BitConverter.SingleToInt32Bits), actual[i].Data.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
