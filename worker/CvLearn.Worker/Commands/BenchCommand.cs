using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CvLearn.Core.Models;
using CvLearn.Core.Optim;
using CvLearn.Core.Tensors;
using CvLearn.Worker.Output;

namespace CvLearn.Worker.Commands;

/// <summary>
/// `cvlearn-worker bench`: steady-state training throughput (forward + backward + update) on random
/// Fashion-MNIST-shaped data, and the GFLOP/s that implies for the model's GEMM work.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model spec to benchmark.", DefaultValueFactory = _ => "fc:256" };
        var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 128 };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)." };
        var seconds = new Option<double>("--seconds") { Description = "Measurement time after warm-up.", DefaultValueFactory = _ => 3.0 };
        var optimizer = new Option<string>("--optimizer") { Description = "Update rule used in the step.", DefaultValueFactory = _ => "adam" };
        var shape = new Option<string>("--input") { Description = "Input image shape C,H,W (default Fashion-MNIST 1,28,28; CIFAR-10 is 3,32,32).", DefaultValueFactory = _ => "1,28,28" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("bench", "Measure steady-state training throughput (images/s of forward + backward + update on random data) and the GFLOP/s it implies.")
        { model, batch, threads, seconds, optimizer, shape, json };
        command.SetAction((r, ct) => CliRunner.GuardAsync(() =>
        {
            TrainOptions.ApplyThreads(r.GetValue(threads));
            if (r.GetValue(batch) < 1) throw new ArgumentException("--batch: must be at least 1.");
            if (!(r.GetValue(seconds) > 0)) throw new ArgumentException("--seconds: must be positive.");
            var input = ParseShape(r.GetValue(shape)!);
            var result = Run(ModelSpec.Parse(r.GetValue(model)!), input, r.GetValue(batch), r.GetValue(optimizer)!, r.GetValue(seconds), ct);
            if (r.GetValue(json)) JsonLines.Write(result);
            else Console.WriteLine($"{result["model"]} batch {result["batch"]} threads {result["threads"]}: {result["images_per_s"]} images/s, {result["gflops"]} GFLOP/s, {result["bytes_allocated_per_step"]} bytes allocated per step (this thread)");
            return Task.FromResult(CliRunner.Success);
        }));
        return command;
    }

    private static JsonObject Run(ModelSpec spec, int[] input, int batch, string optimizer, double seconds, CancellationToken ct)
    {
        if (!spec.IsNetwork) throw new ArgumentException("--model: bench measures trainable networks; knn has no training step.");
        const int classes = 10;
        var network = ModelFactory.CreateNetwork<float>(spec, input, classes, new ModelBuildOptions { Seed = 1 });
        network.Regularization = Regularization.L2(1e-4);
        var rule = UpdateRules.Create(optimizer);
        var x = new Tensor<float>([batch, .. input]);
        var rng = new Random(1);
        foreach (ref var v in x.Span) v = (float)(rng.NextDouble() * 2 - 1);
        var y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = rng.Next(classes);

        // The step training takes (Solver): a rule that folds the penalty's gradient into its own pass gets it.
        var fused = FusedUpdate.For(rule, network.Regularization);
        var weights = ParameterSegment.Weights(network.Parameters);
        float l2 = (float)network.Regularization.Strength;
        void Step()
        {
            network.LossAndGradients(x, y, penaltyGradient: fused is null);
            if (fused is not null) fused.StepFused(network.Parameters.Values, network.Parameters.Grads, 1e-4f, weights, l2, [], 0);
            else rule.Step(network.Parameters.Values, network.Parameters.Grads, 1e-4f);
        }

        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < Math.Min(1.0, seconds / 3)) Step(); // JIT tiering and buffers settle
        long steps = 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            ct.ThrowIfCancellationRequested();
            Step();
            steps++;
        }
        sw.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        double imagesPerSecond = steps * batch / sw.Elapsed.TotalSeconds;
        double flops = ArchitecturePlan.Create(spec, input, classes).TrainingFlopsPerImage * imagesPerSecond;
        return new JsonObject
        {
            ["impl"] = "cvlearn",
            ["model"] = spec.ToString(),
            ["batch"] = batch,
            ["threads"] = Engine.Threads,
            ["images_per_s"] = Math.Round(imagesPerSecond, 1),
            ["gflops"] = Math.Round(flops / 1e9, 2),
            ["ms_per_step"] = Math.Round(1000 * sw.Elapsed.TotalSeconds / steps, 3),
            ["bytes_allocated_per_step"] = steps == 0 ? 0 : allocated / steps,
        };
    }

    private static int[] ParseShape(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out dims[i]) || dims[i] < 1)
                throw new ArgumentException($"--input: '{s}' is not a shape like 1,28,28.");
        if (dims.Length != 3) throw new ArgumentException($"--input: expected C,H,W (three numbers), got '{s}'.");
        return dims;
    }
}
