using System.Numerics.Tensors;
using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;
using CvLearn.Core.Tests.Training.TestDoubles;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Optim;

/// <summary>
/// Every rule's fused step (L2 penalty gradient + update + weight average in one pass) is bit for bit the three
/// separate passes it replaces, for one step and for a whole training run.
/// </summary>
public class FusedUpdateTests
{
    /// <summary>The unfused reference: the penalty added to the gradient, the rule's step, the average after it.</summary>
    private static void Separate(IUpdateRule rule, float[] w, float[] dw, float lr, ParameterSegment[] weights, float l2, float[] average, float decay)
    {
        var g = (float[])dw.Clone();
        foreach (var s in weights) TensorPrimitives.MultiplyAdd(w.AsSpan(s.Offset, s.Length), l2, g.AsSpan(s.Offset, s.Length), g.AsSpan(s.Offset, s.Length));
        rule.Step(w, g, lr);
        if (average.Length > 0) WeightAverage.Update(average, w, decay);
    }

    private static float[] Random(int n, int seed, double scale)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() - 0.5) * scale)).ToArray();
    }

    public static TheoryData<string, float, bool> Steps()
    {
        var data = new TheoryData<string, float, bool>();
        foreach (string rule in UpdateRules.Names)
        {
            data.Add(rule, 1e-3f, true);
            data.Add(rule, 1e-3f, false);
            data.Add(rule, 0f, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void FiveSteps_AreTheSeparatePassesBitForBit(string ruleName, float l2, bool withAverage)
    {
        const int n = 1000;
        // Segments that start and end off the vector width, with unpenalized runs before, between and after them.
        ParameterSegment[] weights = [new(3, 400), new(411, 37), new(500, 469)];
        var w1 = Random(n, 1, 2);
        var w2 = (float[])w1.Clone();
        var avg1 = withAverage ? Random(n, 2, 2) : [];
        var avg2 = (float[])avg1.Clone();
        var fused = Assert.IsAssignableFrom<IFusedUpdateRule>(UpdateRules.Create(ruleName)); // every rule of ours is fused
        var separate = UpdateRules.Create(ruleName);
        for (int step = 0; step < 5; step++)
        {
            var dw = Random(n, 10 + step, 1e-2);
            var given = (float[])dw.Clone();
            fused.StepFused(w1, dw, 1e-2f, weights, l2, avg1, 0.9f);
            Separate(separate, w2, dw, 1e-2f, weights, l2, avg2, 0.9f);
            Assert.Equal(given, dw); // the gradient is left as given
        }
        Assert.Equal(w2, w1);
        Assert.Equal(avg2, avg1);
        var expectedState = separate.ExportState();
        var state = fused.ExportState();
        Assert.Equal(expectedState.Keys.Order(), state.Keys.Order());
        foreach (var (key, buffer) in expectedState) Assert.Equal(buffer, state[key]);
        Assert.Equal(5, fused.Steps);
    }

    public static TheoryData<string> RuleNames() => new(UpdateRules.Names);

    /// <summary>Hides <see cref="IFusedUpdateRule"/>, so the Solver takes the separate passes.</summary>
    private sealed class Unfused(IUpdateRule inner) : IUpdateRule
    {
        public string Name => inner.Name;
        public long Steps => inner.Steps;
        public void Step(Span<float> w, ReadOnlySpan<float> dw, float learningRate) => inner.Step(w, dw, learningRate);
        public IReadOnlyDictionary<string, float[]> ExportState(Func<string, int, float[]> allocate) => inner.ExportState(allocate);
        public void ImportState(IReadOnlyDictionary<string, float[]> state, long steps) => inner.ImportState(state, steps);
    }

    [Theory]
    [InlineData("adam", 1e-3, 0.99)]
    [InlineData("adam", 0.0, 0.99)]
    [InlineData("adam", 1e-2, 0.0)]
    [InlineData("sgd", 1e-3, 0.99)]
    [InlineData("momentum", 1e-3, 0.99)]
    [InlineData("nesterov", 1e-2, 0.0)]
    [InlineData("adagrad", 1e-3, 0.99)]
    [InlineData("rmsprop", 1e-3, 0.99)]
    public async Task ATrainingRun_IsTheSameWithAndWithoutFusion(string ruleName, double reg, double ema)
    {
        var train = TestProblems.Blobs(90, 3, 1, 3, 3, separation: 3, seed: 4);
        var validation = TestProblems.Blobs(30, 3, 1, 3, 3, separation: 3, seed: 5);

        async Task<(float[] Weights, float[] Average, List<EpochRecord> History)> Run(bool fuse)
        {
            var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("fc:7-5"), [1, 3, 3], 3, new ModelBuildOptions { Seed = 2 });
            net.Regularization = Regularization.L2(reg);
            IUpdateRule rule = fuse ? UpdateRules.Create(ruleName) : new Unfused(UpdateRules.Create(ruleName));
            var options = new SolverOptions { Epochs = 3, BatchSize = 16, LearningRate = 1e-2, Seed = 3, EmaDecay = ema };
            var solver = new Solver(net, rule, LearningRateSchedules.Parse("constant"), train, validation, options);
            var result = await solver.RunAsync(null, null, CancellationToken.None);
            Assert.Equal(SolverStatus.Completed, result.Status);
            return (net.Parameters.Values.ToArray(), solver.EmaWeights.ToArray(), result.History.Select(r => r with { Seconds = 0 }).ToList());
        }

        var fused = await Run(fuse: true);
        var separate = await Run(fuse: false);
        Assert.Equal(separate.Weights, fused.Weights);
        Assert.Equal(separate.Average, fused.Average);
        Assert.Equal(separate.History, fused.History);
    }

    [Fact]
    public void LeavingThePenaltyGradientOut_LeavesTheDataGradient()
    {
        var x = new CvLearn.Core.Tensors.Tensor<float>(4, 1, 3, 3);
        Random(36, 7, 2).CopyTo(x.Span);
        int[] labels = [0, 1, 2, 1];
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("fc:7"), [1, 3, 3], 3, new ModelBuildOptions { Seed = 2 });
        net.Regularization = Regularization.L2(0.5);
        var full = net.LossAndGradients(x, labels);
        var withPenalty = net.Parameters.Grads.ToArray();
        var dataOnly = net.LossAndGradients(x, labels, penaltyGradient: false);
        Assert.Equal(full, dataOnly); // the same losses, the penalty's included
        var grads = net.Parameters.Grads;
        foreach (var p in net.Parameters.Parameters)
            for (int i = p.Offset; i < p.Offset + p.Length; i++)
                Assert.Equal(withPenalty[i], p.Role == ParameterRole.Weight ? grads[i] + 0.5f * net.Parameters.Values[i] : grads[i]);

        net.Regularization = Regularization.L1(0.5);
        Assert.Contains("Only an L2 penalty", Assert.Throws<InvalidOperationException>(() => { net.LossAndGradients(x, labels, penaltyGradient: false); }).Message);
    }

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void BadArguments_AreRefusedBeforeTheStepCounts(string ruleName)
    {
        var rule = (IFusedUpdateRule)UpdateRules.Create(ruleName);
        var w = new float[10];
        var dw = new float[10];
        Assert.Contains("sorted, disjoint", Assert.Throws<ArgumentException>(() => rule.StepFused(w, dw, 1e-3f, [new(5, 3), new(6, 2)], 0, [], 0)).Message);
        Assert.Contains("inside the 10", Assert.Throws<ArgumentException>(() => rule.StepFused(w, dw, 1e-3f, [new(8, 3)], 0, [], 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.StepFused(w, dw, 1e-3f, [], -1, [], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.StepFused(w, dw, 1e-3f, [], float.NaN, [], 0));
        Assert.Contains("weight average has 9", Assert.Throws<ArgumentException>(() => rule.StepFused(w, dw, 1e-3f, [], 0, new float[9], 0.5f)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.StepFused(w, dw, 1e-3f, [], 0, new float[10], 1.5f));
        Assert.Contains("gradient has 9", Assert.Throws<ArgumentException>(() => rule.StepFused(w, new float[9], 1e-3f, [], 0, [], 0)).Message);
        Assert.Equal(0, rule.Steps);
    }

    [Fact]
    public void The_fused_step_is_taken_for_an_L2_penalty_or_none_and_never_for_L1()
    {
        var adam = UpdateRules.Create("adam");
        Assert.Same(adam, FusedUpdate.For(adam, Regularization.L2(1e-4)));
        Assert.Same(adam, FusedUpdate.For(adam, Regularization.None));
        Assert.Same(adam, FusedUpdate.For(adam, Regularization.L1(0))); // no penalty at all: nothing to add beforehand
        Assert.Null(FusedUpdate.For(adam, Regularization.L1(1e-4)));   // sign(w) does not fold into the rule's pass
        Assert.Null(FusedUpdate.For(new PlainRule(), Regularization.L2(1e-4)));
    }

    /// <summary>A rule with no fused step (as a user's own rule might be).</summary>
    private sealed class PlainRule : IUpdateRule
    {
        public string Name => "plain";

        public long Steps { get; private set; }

        public void Step(Span<float> w, ReadOnlySpan<float> dw, float learningRate)
        {
            TensorPrimitives.MultiplyAdd(dw, -learningRate, w, w);
            Steps++;
        }

        public IReadOnlyDictionary<string, float[]> ExportState(Func<string, int, float[]> allocate) => new Dictionary<string, float[]>();

        public void ImportState(IReadOnlyDictionary<string, float[]> state, long steps) => Steps = steps;
    }
}
