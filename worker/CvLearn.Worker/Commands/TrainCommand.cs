using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Tensors;
using CvLearn.Core.Training;
using CvLearn.Worker.Output;
using CvLearn.Worker.Running;

namespace CvLearn.Worker.Commands;

/// <summary>`cvlearn-worker train`: one training run, checkpoints named by validation accuracy in --out.</summary>
public static class TrainCommand
{
    /// <summary>Exit code of a run that diverged (NaN or exploding loss): a failure, but not a crash.</summary>
    public const int Diverged = 3;

    public static Command Create()
    {
        var opts = new TrainOptions();
        var output = new Option<string>("--out") { Description = "Directory for the per-epoch checkpoints (valA.AAAA_epEE.ckpt).", DefaultValueFactory = _ => "runs/single" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line (per epoch, then a final one) instead of the progress view." };
        var command = new Command("train", "Train one model and write a checkpoint per epoch, named by its validation accuracy.");
        foreach (var o in opts.All) command.Options.Add(o);
        command.Options.Add(output);
        command.Options.Add(json);
        command.SetAction((r, ct) => CliRunner.GuardAsync(async () =>
        {
            var spec = opts.ToSpec(r);
            TrainOptions.ApplyThreads(r.GetValue(opts.Threads));
            return await RunAsync(spec, r.GetValue(output)!, r.GetValue(json), ct);
        }));
        return command;
    }

    private static async Task<int> RunAsync(TrainingJobSpec spec, string outDir, bool json, CancellationToken ct)
    {
        var store = new FileSystemCheckpointStore(Path.GetFullPath(outDir));
        string? bestKey = null;
        var view = json ? null : new TrainingView(spec);
        var buffers = new TrialBuffers();
        var job = new TrainingJob(spec)
        {
            Progress = view,
            CaptureBuffers = buffers.Capture, // each checkpoint is stored before the next epoch starts
            OnEpoch = async (outcome, token) =>
            {
                var r = outcome.Record;
                string key = CheckpointName.Format(r.ValidationAccuracy, r.Epoch);
                await CheckpointFile.PutAsync(store, key, outcome.Checkpoint, buffers.Serialized, null, token);
                if (outcome.IsBest) bestKey = key;
                if (json) JsonLines.Write(EpochJson(r, Path.Combine(outDir, key)));
                else view!.EpochDone(r, Path.Combine(outDir, key));
                return EpochDecision.Continue;
            },
        };

        TrainingJobResult result;
        if (view is null) result = await job.RunAsync(ct);
        else result = await view.RunAsync(job.RunAsync, ct);

        string? bestPath = bestKey is null ? null : Path.Combine(outDir, bestKey);
        string status = result.Status.ToString().ToLowerInvariant();
        if (json)
        {
            JsonLines.Write(new JsonObject
            {
                ["event"] = "final",
                ["status"] = status,
                ["model"] = spec.Model,
                ["epochs"] = result.History.Count,
                ["val_acc"] = JsonLines.Num(result.ValidationAccuracy, 4),
                ["best_val_acc"] = JsonLines.Num(result.BestValidationAccuracy, 4),
                ["best_epoch"] = result.BestEpoch,
                ["test_acc"] = result.TestAccuracy is { } t ? JsonLines.Num(t, 4) : null,
                ["test_acc_ema"] = result.EmaTestAccuracy is { } te ? JsonLines.Num(te, 4) : null,
                ["checkpoint"] = bestPath,
                ["message"] = result.Message,
            });
        }
        else
        {
            view!.Final(result, bestPath);
        }
        return result.Status switch
        {
            SolverStatus.Completed or SolverStatus.Stopped => CliRunner.Success,
            SolverStatus.Diverged => Diverged,
            _ => 130,
        };
    }

    internal static JsonObject EpochJson(EpochRecord r, string? checkpoint) => new()
    {
        ["event"] = "epoch",
        ["epoch"] = r.Epoch,
        ["train_loss"] = JsonLines.Num(r.TrainLoss),
        ["train_acc"] = JsonLines.Num(r.TrainAccuracy, 4),
        ["val_acc"] = JsonLines.Num(r.ValidationAccuracy, 4),
        ["val_acc_ema"] = JsonLines.Num(r.EmaValidationAccuracy, 4),
        ["lr"] = JsonLines.Num(r.LearningRate, 8),
        ["seconds"] = JsonLines.Num(r.Seconds, 2),
        ["checkpoint"] = checkpoint,
    };

    internal static string Pct(double v) => (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + "%";
}
