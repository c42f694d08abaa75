using System.Globalization;
using CvLearn.Core.Training;
using CvLearn.Worker.Commands;
using Spectre.Console;

namespace CvLearn.Worker.Output;

/// <summary>
/// Terminal view of a training run: a progress bar per epoch with the smoothed loss and ETA, and one line per
/// finished epoch. Falls back to plain lines when output is redirected (no ANSI noise in logs).
/// </summary>
public sealed class TrainingView : IProgress<BatchProgress>
{
    private readonly TrainingJobSpec _spec;
    private readonly bool _interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    private ProgressTask? _task;
    private int _epoch;

    public TrainingView(TrainingJobSpec spec) => _spec = spec;

    public async Task<TrainingJobResult> RunAsync(Func<CancellationToken, Task<TrainingJobResult>> run, CancellationToken ct)
    {
        Console.WriteLine($"training {_spec.Model} on {_spec.Dataset}: {_spec.Optimizer} lr={Fmt(_spec.LearningRate)} reg={Fmt(_spec.Reg)} " +
                          $"batch={_spec.BatchSize} epochs={_spec.Epochs} seed={_spec.Seed}");
        if (!_interactive) return await run(ct);
        TrainingJobResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                _task = ctx.AddTask("loading data", maxValue: 1);
                result = await run(ct);
                _task.StopTask();
            });
        return result!;
    }

    public void Report(BatchProgress value)
    {
        if (_task is null) return;
        if (value.Epoch != _epoch)
        {
            _epoch = value.Epoch;
            _task.MaxValue = value.BatchesPerEpoch;
        }
        _task.Value = value.Batch;
        _task.Description = $"epoch {value.Epoch}/{_spec.Epochs} loss {value.SmoothedLoss.ToString("0.0000", CultureInfo.InvariantCulture)}";
    }

    public void EpochDone(EpochRecord r, string checkpoint)
    {
        string line = $"epoch {r.Epoch,3}  loss {r.TrainLoss.ToString("0.0000", CultureInfo.InvariantCulture)}  " +
                      $"train {TrainCommand.Pct(r.TrainAccuracy)}  val {TrainCommand.Pct(r.ValidationAccuracy)}  " +
                      $"val(ema) {TrainCommand.Pct(r.EmaValidationAccuracy)}  lr {Fmt(r.LearningRate)}  " +
                      $"{r.Seconds.ToString("0.0", CultureInfo.InvariantCulture)}s  -> {checkpoint}";
        WriteLine(line);
    }

    public void Final(TrainingJobResult result, string? bestCheckpoint)
    {
        Console.WriteLine($"status {result.Status.ToString().ToLowerInvariant()}: best val {TrainCommand.Pct(result.BestValidationAccuracy)} (epoch {result.BestEpoch}), " +
                          $"final val {TrainCommand.Pct(result.ValidationAccuracy)}" +
                          (result.TestAccuracy is { } t ? $", test {TrainCommand.Pct(t)}" : "") +
                          (result.EmaTestAccuracy is { } te ? $", test (weight average) {TrainCommand.Pct(te)}" : "") +
                          (bestCheckpoint is null ? "" : $"; best checkpoint {bestCheckpoint}"));
        if (result.Message is { } m) Console.WriteLine(m);
    }

    /// <summary>While the live progress display runs, lines must go through Spectre so they render above the bar.</summary>
    private void WriteLine(string line)
    {
        if (_task is null) Console.WriteLine(line);
        else AnsiConsole.WriteLine(line);
    }

    private static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
