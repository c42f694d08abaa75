using System.CommandLine;
using System.Text.Json.Nodes;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Tensors;
using CvLearn.Core.Training;
using CvLearn.Worker.Output;

namespace CvLearn.Worker.Commands;

/// <summary>`cvlearn-worker evaluate`: accuracy of each checkpoint and of the ensemble averaging their probabilities.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoints = new Option<string[]>("--checkpoint") { Description = "One or more checkpoint files.", Required = true, AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.OneOrMore };
        var split = new Option<string>("--split") { Description = "Split to score: val (the checkpoint's own validation split) or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("val", "test");
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory holding the dataset files." };
        var limit = new Option<int?>("--limit") { Description = "Score at most N images of the split." };
        var ema = new Option<bool>("--ema") { Description = "Use the running average of the weights stored in each checkpoint." };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("evaluate", "Score checkpoints on a split: each one and the ensemble that averages their class probabilities.")
        { checkpoints, split, dataDir, limit, ema, threads, json };
        command.SetAction((r, ct) => CliRunner.GuardAsync(async () =>
        {
            if (r.GetValue(threads) is { } t) Engine.Threads = t;
            var which = r.GetValue(split) == "val" ? EvaluationSplit.Validation : EvaluationSplit.Test;
            var report = await EnsembleEvaluation.EvaluateFilesAsync(r.GetValue(checkpoints)!, which, r.GetValue(dataDir), r.GetValue(limit), r.GetValue(ema), ct);
            if (r.GetValue(json)) JsonLines.Write(report.ToJson());
            else report.Print(Console.Out);
            return CliRunner.Success;
        }));
        return command;
    }
}

/// <summary>Scores a set of checkpoints on one split, alone and as an averaged ensemble.</summary>
public sealed record EnsembleEvaluation(string Split, int Images, IReadOnlyList<(string Name, double Accuracy)> Members, double EnsembleAccuracy)
{
    public static async Task<EnsembleEvaluation> EvaluateFilesAsync(IReadOnlyList<string> files, EvaluationSplit split, string? dataDir, int? limit, bool useEma, CancellationToken ct)
    {
        var members = new List<(string, double)>();
        float[]? sum = null;
        int[]? labels = null;
        int classes = 0;
        foreach (var file in files)
        {
            var checkpoint = await CheckpointFile.LoadAsync(file, ct);
            var network = TrainingCheckpoint.LoadNetwork(checkpoint, useEma, file);
            var raw = await CheckpointData.RawSplitAsync(checkpoint, split, dataDir, limit, ct);
            if (labels is null) { labels = raw.Labels; classes = checkpoint.Classes; sum = new float[raw.Count * classes]; }
            else if (!labels.AsSpan().SequenceEqual(raw.Labels) || classes != checkpoint.Classes)
                throw new ArgumentException($"{file}: was trained on other data (dataset or validation split) than {files[0]}; an ensemble needs the same images.");
            var images = CheckpointData.Preprocess(checkpoint, raw);
            var probs = new float[images.Count * classes];
            new NetworkClassifier(network).PredictProbabilities(images, probs, ct);
            members.Add((file, ClassificationMetrics.Accuracy(probs, classes, labels)));
            for (int i = 0; i < probs.Length; i++) sum![i] += probs[i];
        }
        double ensemble = ClassificationMetrics.Accuracy(sum!, classes, labels!);
        return new EnsembleEvaluation(split == EvaluationSplit.Test ? "test" : "val", labels!.Length, members, ensemble);
    }

    public JsonObject ToJson() => new()
    {
        ["split"] = Split,
        ["images"] = Images,
        ["checkpoints"] = new JsonArray(Members.Select(m => (JsonNode)new JsonObject { ["checkpoint"] = m.Name, ["accuracy"] = JsonLines.Num(m.Accuracy, 4) }).ToArray()),
        ["ensemble_accuracy"] = JsonLines.Num(EnsembleAccuracy, 4),
        ["best_single_accuracy"] = JsonLines.Num(Members.Max(m => m.Accuracy), 4),
    };

    public void Print(TextWriter w)
    {
        w.WriteLine($"{Split} split, {Images} images");
        foreach (var (name, acc) in Members) w.WriteLine($"  {TrainCommand.Pct(acc),8}  {name}");
        w.WriteLine($"  {TrainCommand.Pct(EnsembleAccuracy),8}  ensemble of {Members.Count} (averaged probabilities)");
    }
}
