using System.CommandLine;
using System.Text.Json.Nodes;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Tensors;
using CvLearn.Core.Training;
using CvLearn.Worker.Output;

namespace CvLearn.Worker.Commands;

/// <summary>`cvlearn-worker evaluate`: accuracy of each checkpoint, of their averaged ensemble and of a greedy selection.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoints = new Option<string[]>("--checkpoint") { Description = "One or more checkpoint files (list the best first: --top counts from the front).", Required = true, AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.OneOrMore };
        var split = new Option<string>("--split") { Description = "Split to score: val (the checkpoints' own validation split) or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("val", "test");
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory holding the dataset files (searched before /usr/share/datasets and ~/.cache/cvlearn/datasets)." };
        var limit = new Option<int?>("--limit") { Description = "Score at most N images of each split (the first N)." };
        var top = new Option<int?>("--top") { Description = "Average only the first K checkpoints given (default: all)." };
        var greedy = new Option<bool>("--greedy") { Description = "Also run greedy (Caruana) ensemble selection on the validation split and score it on --split; --greedy false skips it.", DefaultValueFactory = _ => true };
        var ema = new Option<bool>("--ema") { Description = "Use the running average of the weights stored in each checkpoint." };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var command = new Command("evaluate", "Score checkpoints on a split: each one, the ensemble that averages their class probabilities, and a greedy selection.")
        { checkpoints, split, dataDir, limit, top, greedy, ema, threads, json };
        command.SetAction((r, ct) => CliRunner.GuardAsync(async () =>
        {
            TrainOptions.ApplyThreads(r.GetValue(threads));
            TrainOptions.CheckDataDir(r.GetValue(dataDir));
            if (r.GetValue(limit) is < 1) throw new ArgumentException($"--limit: must be at least 1, got {r.GetValue(limit)}.");
            var files = r.GetValue(checkpoints)!;
            if (r.GetValue(top) is { } k && (k < 1 || k > files.Length))
                throw new ArgumentException($"--top: must be between 1 and the number of checkpoints ({files.Length}), got {k}.");
            var which = r.GetValue(split) == "val" ? EvaluationSplit.Validation : EvaluationSplit.Test;
            var options = new CheckpointEnsembleOptions
            {
                DataDir = r.GetValue(dataDir),
                Limit = r.GetValue(limit),
                UseEma = r.GetValue(ema),
                TopK = r.GetValue(top),
                Greedy = r.GetValue(greedy),
            };
            var report = await CheckpointEnsemble.EvaluateFilesAsync(files, which, options, ct);
            if (r.GetValue(json)) JsonLines.Write(ToJson(report));
            else Print(report, Console.Out);
            return CliRunner.Success;
        }));
        return command;
    }

    internal static JsonObject ToJson(CheckpointEnsembleResult report)
    {
        var o = new JsonObject
        {
            ["split"] = report.SplitName,
            ["images"] = report.Images,
            ["checkpoints"] = new JsonArray(report.Members.Select(m => (JsonNode)new JsonObject { ["checkpoint"] = m.Name, ["accuracy"] = JsonLines.Num(m.Accuracy, 4) }).ToArray()),
            ["top"] = report.TopK,
            ["ensemble_accuracy"] = JsonLines.Num(report.TopKAccuracy, 4),
            ["best_single_accuracy"] = JsonLines.Num(report.BestSingleAccuracy, 4),
        };
        if (report.Greedy is { } g)
            o["greedy"] = new JsonObject
            {
                ["members"] = new JsonArray(g.Names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["val_accuracy"] = JsonLines.Num(g.ValidationAccuracy, 4),
                ["accuracy"] = JsonLines.Num(g.Accuracy, 4),
            };
        return o;
    }

    internal static void Print(CheckpointEnsembleResult report, TextWriter w)
    {
        w.WriteLine($"{report.SplitName} split, {report.Images} images");
        foreach (var m in report.Members) w.WriteLine($"  {TrainCommand.Pct(m.Accuracy),8}  {m.Name}");
        string which = report.TopK == report.Members.Count ? $"all {report.TopK}" : $"the first {report.TopK}";
        w.WriteLine($"  {TrainCommand.Pct(report.TopKAccuracy),8}  ensemble of {which} (averaged probabilities)");
        if (report.Greedy is { } g)
        {
            var counts = g.Names.GroupBy(n => n).Select(x => x.Count() > 1 ? $"{x.Key} ×{x.Count()}" : x.Key);
            string val = report.Split == EvaluationSplit.Validation ? "" : $", {TrainCommand.Pct(g.ValidationAccuracy)} on val";
            w.WriteLine($"  {TrainCommand.Pct(g.Accuracy),8}  greedy selection on val ({g.Names.Count} pick{(g.Names.Count == 1 ? "" : "s")}{val}): {string.Join(", ", counts)}");
        }
    }
}
