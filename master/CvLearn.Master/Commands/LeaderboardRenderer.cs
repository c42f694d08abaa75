using System.Globalization;
using CvLearn.Master.Search;
using Spectre.Console;
using Spectre.Console.Rendering;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Commands;

/// <summary>Terminal rendering of a leaderboard (used by `leaderboard`, `leaderboard --watch` and the end of `serve`).</summary>
public static class LeaderboardRenderer
{
    private const string Spark = "▁▂▃▄▅▆▇█";

    /// <summary>Piped output has no terminal width: render as wide as the table needs instead of wrapping at 80.</summary>
    public static void WidenWhenRedirected()
    {
        if (!Console.IsOutputRedirected) return;
        AnsiConsole.Profile.Width = 200;
        AnsiConsole.Profile.Capabilities.Ansi = false; // a log file wants text, not colour codes
        AnsiConsole.Profile.Capabilities.ColorSystem = ColorSystem.NoColors;
    }

    public static IRenderable Render(Pb.Leaderboard b, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(b);
        var parts = new List<IRenderable>
        {
            new Markup($"[bold]{Markup.Escape(b.Experiment)}[/]  {b.TotalTrials} trials  "
                + (b.Finished ? "[green]finished[/]" : "[yellow]running[/]")
                + $"  [grey]{DateTimeOffset.FromUnixTimeMilliseconds(b.UpdatedUnixMs).ToLocalTime():HH:mm:ss}[/]"),
        };

        var stages = new Table().Border(TableBorder.Simple).AddColumns("stage", "epochs", "done", "running", "pending", "best val");
        foreach (var s in b.Stages)
        {
            stages.AddRow(s.Stage.ToString(CultureInfo.InvariantCulture), s.Epochs.ToString(CultureInfo.InvariantCulture),
                $"{s.Done}/{s.Total}", s.Running.ToString(CultureInfo.InvariantCulture), s.Pending.ToString(CultureInfo.InvariantCulture),
                s.Done + s.Running > 0 ? Pct(s.BestValAcc) : "");
        }

        parts.Add(stages);
        var rows = new Table().Border(TableBorder.Rounded)
            .AddColumns("#", "trial", "status", "best val", "latest", "epochs", "curve", "learning_rate", "reg", "dropout", "model", "worker");
        int rank = 0;
        foreach (var r in b.Rows.Take(maxRows))
        {
            rank++;
            var h = r.Hyperparameters;
            rows.AddRow(rank.ToString(CultureInfo.InvariantCulture), r.TrialId, Status(r.Status) + (r.Early ? " [grey](early)[/]" : ""),
                r.EpochsDone > 0 ? Pct(r.BestValAcc) : "", r.EpochsDone > 0 ? Pct(r.LatestValAcc) : "",
                $"{r.EpochsDone}/{r.EpochsTotal}", Sparkline(r.ValAccHistory), NumberFormat.Short(h?.LearningRate ?? 0),
                NumberFormat.Short(h?.Reg ?? 0), h?.HasDropout == true ? NumberFormat.Short(h.Dropout, 2) : "spec",
                Markup.Escape(h?.Model ?? ""), Markup.Escape(r.Worker));
        }

        parts.Add(rows);
        if (b.Rows.Count > maxRows) parts.Add(new Markup($"[grey]… {b.Rows.Count - maxRows} more trials[/]"));
        foreach (var w in b.BorderWarnings) parts.Add(new Markup("[yellow]border:[/] " + Markup.Escape(w.Message)));
        if (b.Ensemble is { } e)
        {
            parts.Add(new Markup($"[bold]ensemble[/] (validation): best single {Pct(e.BestSingleAccuracy)}, top-{e.K} average {Pct(e.TopKAccuracy)}, "
                + $"greedy selection {Pct(e.GreedyAccuracy)} [grey]({Markup.Escape(string.Join(" ", e.Members))})[/]"));
        }

        if (b.Workers.Count > 0)
        {
            var alive = b.Workers.Where(w => w.Alive).ToList();
            parts.Add(new Markup($"[grey]workers: {alive.Count} alive of {b.Workers.Count}: "
                + Markup.Escape(string.Join(", ", alive.Select(w => w.WorkerName + (w.CurrentTrialId.Length > 0 ? " → " + w.CurrentTrialId : " (idle)")))) + "[/]"));
        }

        return new Rows(parts);
    }

    public static string Pct(double acc) => (acc * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    public static string Sparkline(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return "";
        double lo = values.Where(double.IsFinite).DefaultIfEmpty(0).Min(), hi = values.Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var chars = values.TakeLast(20).Select(v => !double.IsFinite(v) ? '×'
            : Spark[hi - lo < 1e-9 ? Spark.Length - 1 : (int)Math.Round((v - lo) / (hi - lo) * (Spark.Length - 1))]);
        return new string(chars.ToArray());
    }

    private static string Status(Pb.TrialStatus s) => s switch
    {
        Pb.TrialStatus.Completed => "[green]completed[/]",
        Pb.TrialStatus.Running => "[blue]running[/]",
        Pb.TrialStatus.Pending => "[grey]pending[/]",
        Pb.TrialStatus.Stopped => "[yellow]stopped[/]",
        Pb.TrialStatus.Diverged => "[red]diverged[/]",
        Pb.TrialStatus.Failed => "[red]failed[/]",
        _ => s.ToString().ToLowerInvariant(),
    };
}

/// <summary>What `serve` prints when the search is over.</summary>
public static class FinalSummary
{
    public static void Print(Trials.SearchSnapshot snapshot)
    {
        var board = Services.ProtoMapping.ToProto(snapshot, 10);
        LeaderboardRenderer.WidenWhenRedirected();
        AnsiConsole.Write(LeaderboardRenderer.Render(board, 10));
        if (snapshot.EnsembleError is { } err) AnsiConsole.MarkupLine("[red]ensemble:[/] " + Markup.Escape(err));
    }
}
