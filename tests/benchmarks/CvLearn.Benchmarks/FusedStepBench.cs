using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;
using CvLearn.Core.Training;

namespace CvLearn.Benchmarks;

/// <summary>
/// The per-step parameter passes of training with an update rule (all of them unless named), an L2 penalty and the
/// weight average on <c>fc:512-256</c>'s parameters: the three separate passes (penalty gradient, the rule, average)
/// against the rule's fused step, alternately in the same run, best of several batches each.
/// </summary>
internal static class FusedStepBench
{
    public static int Run(IReadOnlyList<string> rules)
    {
        foreach (string rule in rules.Count > 0 ? rules : UpdateRules.Names) Run(rule);
        return 0;
    }

    private static void Run(string rule)
    {
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("fc:512-256"), [1, 28, 28], 10, new ModelBuildOptions { Seed = 1 });
        var weights = ParameterSegment.Weights(net.Parameters);
        int n = net.Parameters.Count;
        var w = net.Parameters.Values.ToArray();
        var dw = new float[n];
        var rng = new Random(2);
        for (int i = 0; i < n; i++) dw[i] = (float)(rng.NextDouble() - 0.5) * 1e-3f;
        var average = (float[])w.Clone();
        var separate = UpdateRules.Create(rule);
        var fused = (IFusedUpdateRule)UpdateRules.Create(rule);
        const float l2 = 1e-4f, lr = 1e-4f, decay = 0.999f;

        void Separate()
        {
            foreach (var s in weights) TensorPrimitives.MultiplyAdd(w.AsSpan(s.Offset, s.Length), l2, dw.AsSpan(s.Offset, s.Length), dw.AsSpan(s.Offset, s.Length));
            separate.Step(w, dw, lr);
            WeightAverage.Update(average, w, decay);
        }
        void Fused() => fused.StepFused(w, dw, lr, weights, l2, average, decay);

        double a = double.MaxValue, b = double.MaxValue;
        const int steps = 200;
        for (int round = 0; round < 10; round++)
        {
            a = Math.Min(a, Time(Separate, steps));
            b = Math.Min(b, Time(Fused, steps));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rule,-8} + L2 + weight average over {n} parameters: separate passes {a * 1e6:F0} us/step, fused {b * 1e6:F0} us/step: {a / b:F2}x ({(a - b) * 430 * 1e3:F0} ms per 430-step epoch)"));
    }

    private static double Time(Action step, int steps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) step();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / steps;
    }
}
