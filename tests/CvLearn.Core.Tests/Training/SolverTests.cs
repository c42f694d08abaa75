using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;
using CvLearn.Core.Tests.Training.TestDoubles;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Training;

public class SolverTests
{
    // 50 images of 1×3×3 in 4 classes: batch size 8 leaves a partial last batch of 2.
    private static readonly LabeledImages Train = TestProblems.Blobs(50, 4, 1, 3, 3, separation: 4, seed: 1);
    private static readonly LabeledImages Val = TestProblems.Blobs(30, 4, 1, 3, 3, separation: 4, seed: 1);

    private static SolverOptions Options(int epochs = 5, double lr = 0.05, double ema = 0.9, int seed = 11) =>
        new() { Epochs = epochs, BatchSize = 8, LearningRate = lr, Seed = seed, EmaDecay = ema, EvalBatchSize = 16, TrainAccuracySample = 20 };

    private static Solver NewSolver(Network<float> net, SolverOptions options, string rule = "adam", string schedule = "plateau:1") =>
        new(net, UpdateRules.Create(rule), LearningRateSchedules.Parse(schedule), Train, Val, options);

    private static void AssertSameHistory(IReadOnlyList<EpochRecord> expected, IReadOnlyList<EpochRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i] with { Seconds = 0 }, actual[i] with { Seconds = 0 });
    }

    [Fact]
    public async Task OverfitsATinySeparableProblem()
    {
        var tiny = TestProblems.Blobs(20, 4, 1, 2, 2, separation: 10, seed: 5);
        var net = TestProblems.LinearSoftmax(1, 2, 2, 4, seed: 3);
        var options = new SolverOptions { Epochs = 30, BatchSize = 5, LearningRate = 0.1, Seed = 1, EmaDecay = 0 };
        var solver = new Solver(net, new Sgd(), LearningRateSchedules.Parse("constant"), tiny, tiny, options);
        var result = await solver.RunAsync(null, null, CancellationToken.None);

        Assert.Equal(SolverStatus.Completed, result.Status);
        Assert.Equal(30, result.History.Count);
        Assert.Equal(1.0, result.History[^1].TrainAccuracy);
        Assert.Equal(1.0, result.History[^1].ValidationAccuracy);
        Assert.Equal(1.0, Evaluation.Accuracy(net, tiny, 7));
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss / 4, "the loss should fall steeply");
    }

    [Fact]
    public async Task SameSeedGivesIdenticalWeightsAndHistory()
    {
        async Task<(float[] W, List<EpochRecord> H, List<int> Seeds)> Run(int seed)
        {
            var recorder = new SeedRecorder();
            var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2, recorder);
            var result = await NewSolver(net, Options(seed: seed)).RunAsync(null, null, CancellationToken.None);
            Assert.Equal(SolverStatus.Completed, result.Status);
            return (net.Parameters.Values.ToArray(), result.History, recorder.Seeds);
        }

        var a = await Run(11);
        var b = await Run(11);
        Assert.Equal(a.W, b.W);
        AssertSameHistory(a.H, b.H);
        Assert.Equal(a.Seeds, b.Seeds);
        Assert.Equal(5, a.Seeds.Count);             // reseeded once per epoch
        Assert.Equal(5, a.Seeds.Distinct().Count()); // with a different seed each epoch

        var c = await Run(12);
        Assert.NotEqual(a.W, c.W); // the seed really drives the shuffles
    }

    [Fact]
    public async Task ResumeAfterEpochReproducesUninterruptedRunExactly()
    {
        var fullRecorder = new SeedRecorder();
        var fullNet = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2, fullRecorder);
        var full = NewSolver(fullNet, Options(epochs: 6));
        var fullResult = await full.RunAsync(null, null, CancellationToken.None);
        Assert.Equal(SolverStatus.Completed, fullResult.Status);

        // First half: stop after epoch 3 and take a "checkpoint" in the callback.
        var firstNet = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2, new SeedRecorder());
        var first = NewSolver(firstNet, Options(epochs: 6));
        SolverState? saved = null;
        float[]? savedWeights = null;
        var stopped = await first.RunAsync((end, _) =>
        {
            if (end.Record.Epoch < 3) return ValueTask.FromResult(EpochDecision.Continue);
            saved = end.Solver.ExportState();
            savedWeights = firstNet.Parameters.Values.ToArray();
            return ValueTask.FromResult(EpochDecision.Stop);
        }, null, CancellationToken.None);
        Assert.Equal(SolverStatus.Stopped, stopped.Status);
        Assert.NotNull(saved);

        // Second half in a fresh process-like setting: new network (other init), new rule, new schedule.
        var resumedRecorder = new SeedRecorder();
        var resumedNet = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 99, resumedRecorder);
        savedWeights!.CopyTo(resumedNet.Parameters.Values, 0);
        var resumed = NewSolver(resumedNet, Options(epochs: 6));
        resumed.ImportState(saved!);
        var resumedResult = await resumed.RunAsync(null, null, CancellationToken.None);

        Assert.Equal(SolverStatus.Completed, resumedResult.Status);
        Assert.Equal(fullNet.Parameters.Values, resumedNet.Parameters.Values);
        Assert.Equal(full.EmaWeights.ToArray(), resumed.EmaWeights.ToArray());
        AssertSameHistory(fullResult.History, resumedResult.History);
        Assert.Equal(fullResult.BestValidationAccuracy, resumedResult.BestValidationAccuracy);
        Assert.Equal(fullResult.BestEpoch, resumedResult.BestEpoch);
        Assert.Equal(full.UpdateRule.Steps, resumed.UpdateRule.Steps);
        Assert.Equal(full.Schedule.ExportState(), resumed.Schedule.ExportState());
        Assert.Equal(fullRecorder.Seeds.Skip(3), resumedRecorder.Seeds);
    }

    [Fact]
    public async Task ImportRejectsMismatchedRun()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var solver = NewSolver(net, Options(epochs: 1));
        await solver.RunAsync(null, null, CancellationToken.None);
        var state = solver.ExportState();

        var ex = Assert.Throws<ArgumentException>(() => NewSolver(net, Options(seed: 5)).ImportState(state));
        Assert.Contains("Seed", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => NewSolver(net, Options(), rule: "sgd").ImportState(state));
        Assert.Contains("'adam'", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => NewSolver(net, Options(), schedule: "constant").ImportState(state));
        Assert.Contains("plateau:1", ex.Message);
    }

    [Fact]
    public async Task HugeLearningRateDivergesWithinAFewSteps()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var solver = NewSolver(net, Options(lr: 1e4), rule: "sgd", schedule: "constant");
        var result = await solver.RunAsync(null, null, CancellationToken.None);

        Assert.Equal(SolverStatus.Diverged, result.Status);
        Assert.Empty(result.History);
        Assert.True(solver.Iterations <= 3, $"diverged only after {solver.Iterations} steps");
        Assert.Contains("initial loss", result.Message);
    }

    [Fact]
    public async Task NonFiniteLossIsDivergenceEvenWithoutFactor()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var options = Options(lr: 1e38) with { DivergenceFactor = double.PositiveInfinity };
        var solver = NewSolver(net, options, rule: "sgd", schedule: "constant");
        var result = await solver.RunAsync(null, null, CancellationToken.None);

        Assert.Equal(SolverStatus.Diverged, result.Status);
        Assert.Contains("Loss became", result.Message);
        Assert.True(solver.Iterations <= 3);
    }

    [Fact]
    public async Task ReasonableLearningRateDoesNotTriggerDivergence()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var result = await NewSolver(net, Options(lr: 0.01)).RunAsync(null, null, CancellationToken.None);
        Assert.Equal(SolverStatus.Completed, result.Status);
    }

    [Fact]
    public async Task StopDecisionIsHonoured()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var solver = NewSolver(net, Options(epochs: 5));
        var seen = new List<int>();
        var result = await solver.RunAsync((end, _) =>
        {
            seen.Add(end.Record.Epoch);
            return ValueTask.FromResult(end.Record.Epoch == 2 ? EpochDecision.Stop : EpochDecision.Continue);
        }, null, CancellationToken.None);

        Assert.Equal(SolverStatus.Stopped, result.Status);
        Assert.Equal([1, 2], seen);
        Assert.Equal(2, result.History.Count);
        Assert.Equal(2, solver.EpochsDone);
    }

    private sealed class CancelAt(CancellationTokenSource cts, int epoch, int batch) : IProgress<BatchProgress>
    {
        public int Reports { get; private set; }

        public void Report(BatchProgress value)
        {
            Reports++;
            if (value.Epoch == epoch && value.Batch == batch) cts.Cancel();
        }
    }

    [Fact]
    public async Task CancellationStopsBetweenMinibatchesWithoutThrowing()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var solver = NewSolver(net, Options(epochs: 5));
        using var cts = new CancellationTokenSource();
        var progress = new CancelAt(cts, epoch: 2, batch: 3);
        var result = await solver.RunAsync(null, progress, cts.Token);

        Assert.Equal(SolverStatus.Cancelled, result.Status);
        Assert.Single(result.History);
        Assert.Equal(1, solver.EpochsDone);
        Assert.Equal(7 + 3, progress.Reports);   // 7 batches in epoch 1, then 3 in epoch 2
        Assert.Equal(10, solver.Iterations);

        using var already = new CancellationTokenSource();
        await already.CancelAsync();
        var fresh = NewSolver(TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2), Options());
        var none = await fresh.RunAsync(null, null, already.Token);
        Assert.Equal(SolverStatus.Cancelled, none.Status);
        Assert.Empty(none.History);
    }

    [Fact]
    public async Task CallbackCancellationBecomesCancelledStatus()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        using var cts = new CancellationTokenSource();
        var result = await NewSolver(net, Options()).RunAsync(async (end, ct) =>
        {
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return EpochDecision.Continue;
        }, null, cts.Token);
        Assert.Equal(SolverStatus.Cancelled, result.Status);
        Assert.Single(result.History);
    }

    [Fact]
    public void MinibatchLoopDoesNotAllocateInSteadyState()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2, new SeedRecorder());
        var solver = NewSolver(net, Options(epochs: 10), rule: "adam");
        _ = solver.ExportState(); // initializes schedule and EMA like RunAsync does
        // Warm-up: first epochs size the buffers (batch tensor, layer outputs, rule state) and let the JIT settle.
        for (int e = 1; e <= 3; e++) Assert.Null(solver.TrainEpoch(e, null, CancellationToken.None).Status);
        // SeedRecorder appends to a list once per epoch (the real Dropout does not); keep its capacity ample.
        ((SeedRecorder)net.Layers[0]).Seeds.Capacity = 100;

        long before = GC.GetAllocatedBytesForCurrentThread();
        var outcome = solver.TrainEpoch(4, null, CancellationToken.None);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(outcome.Status);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void EvaluationDoesNotAllocateWithReusedBuffer()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        CvLearn.Core.Tensors.Tensor<float>? buffer = null;
        int[] sample = [1, 4, 9, 16, 25];
        Evaluation.Accuracy(net, Val, null, 16, ref buffer);
        Evaluation.Accuracy(net, Train, sample, 16, ref buffer);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Evaluation.Accuracy(net, Val, null, 16, ref buffer);
        Evaluation.Accuracy(net, Train, sample, 16, ref buffer);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task WeightAverageIsEvaluatedInPlaceAndDoesNotDisturbTraining()
    {
        var withEma = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var withoutEma = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var solverEma = NewSolver(withEma, Options(ema: 0.9));
        var resultEma = await solverEma.RunAsync(null, null, CancellationToken.None);
        var resultRaw = await NewSolver(withoutEma, Options(ema: 0)).RunAsync(null, null, CancellationToken.None);

        // Swapping the average in and out is exact: training is bit-identical with and without it.
        Assert.Equal(withoutEma.Parameters.Values, withEma.Parameters.Values);
        for (int i = 0; i < resultRaw.History.Count; i++)
        {
            Assert.Equal(resultRaw.History[i].ValidationAccuracy, resultEma.History[i].ValidationAccuracy);
            Assert.Equal(resultRaw.History[i].ValidationAccuracy, resultRaw.History[i].EmaValidationAccuracy); // disabled: repeats raw
        }

        // The reported EMA accuracy is that of the averaged weights, which differ from the raw ones.
        var ema = solverEma.EmaWeights.ToArray();
        Assert.NotEqual(withEma.Parameters.Values, ema);
        var probe = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        ema.CopyTo(probe.Parameters.Values, 0);
        Assert.Equal(Evaluation.Accuracy(probe, Val, 16), resultEma.History[^1].EmaValidationAccuracy);
    }

    [Fact]
    public async Task RecordsCarryScheduledLearningRateAndSampledTrainAccuracy()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var result = await NewSolver(net, Options(epochs: 3, lr: 0.1), rule: "momentum", schedule: "lr_decay:0.5")
            .RunAsync(null, null, CancellationToken.None);
        Assert.Equal([0.1, 0.05, 0.025], result.History.Select(r => r.LearningRate));
        Assert.Equal([1, 2, 3], result.History.Select(r => r.Epoch));
        foreach (var r in result.History)
        {
            double correct = r.TrainAccuracy * 20; // TrainAccuracySample = 20 of 50 images
            Assert.Equal(Math.Round(correct), correct, 9);
            Assert.True(r.Seconds >= 0);
            Assert.True(double.IsFinite(r.TrainLoss));
        }
        double best = result.History.Max(r => r.ValidationAccuracy);
        Assert.Equal(best, result.BestValidationAccuracy);
        Assert.Equal(best, result.History[result.BestEpoch - 1].ValidationAccuracy);
    }

    [Theory]
    [InlineData("Epochs")]
    [InlineData("BatchSize")]
    [InlineData("LearningRate")]
    [InlineData("TrainAccuracySample")]
    [InlineData("EmaDecay")]
    [InlineData("DivergenceFactor")]
    [InlineData("EvalBatchSize")]
    public void InvalidOptionsAreNamed(string field)
    {
        var o = Options();
        o = field switch
        {
            "Epochs" => o with { Epochs = 0 },
            "BatchSize" => o with { BatchSize = -1 },
            "LearningRate" => o with { LearningRate = double.NaN },
            "TrainAccuracySample" => o with { TrainAccuracySample = 0 },
            "EmaDecay" => o with { EmaDecay = 1 },
            "DivergenceFactor" => o with { DivergenceFactor = 0.5 },
            _ => o with { EvalBatchSize = 0 },
        };
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var ex = Assert.Throws<ArgumentException>(() => NewSolver(net, o));
        Assert.Contains(field, ex.Message);
    }

    [Fact]
    public void IncompatibleDataIsRejectedClearly()
    {
        var net = TestProblems.LinearSoftmax(1, 2, 2, 4, seed: 2);
        var ex = Assert.Throws<ArgumentException>(() => NewSolver(net, Options()));
        Assert.Contains("training images", ex.Message);
        Assert.Contains("(1, 2, 2)", ex.Message);
    }

    [Fact]
    public void ProbabilitiesAreSoftmaxOfScores()
    {
        var net = TestProblems.LinearSoftmax(1, 3, 3, 4, seed: 2);
        var values = net.Parameters.Values;
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Sin(i); // non-trivial scores
        var p = Evaluation.PredictProbabilities(net, Val, 7);
        Assert.Equal([Val.Count, 4], p.Shape.ToArray());

        var x = new CvLearn.Core.Tensors.Tensor<float>(Val.Pixels, Val.Count, 1, 3, 3);
        var scores = net.Scores(x).Span;
        int correct = 0;
        for (int i = 0; i < Val.Count; i++)
        {
            double sum = 0;
            for (int j = 0; j < 4; j++) sum += Math.Exp(scores[i * 4 + j]);
            int arg = 0;
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(Math.Exp(scores[i * 4 + j]) / sum, p[i, j], 5);
                if (p[i, j] > p[i, arg]) arg = j;
            }
            if (arg == Val.Labels[i]) correct++;
        }
        Assert.Equal((double)correct / Val.Count, Evaluation.Accuracy(net, Val, 7));
    }
}
