using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;

namespace CvLearn.Master.Tests;

public class LeaderboardTests
{
    private static readonly Hyperparameters H = new([new("learning_rate", ParamValue.Of(1e-3))]);

    private static TrialResult T(int stage, int index, TrialStatus status, double? acc, int epochs) => new(new TrialKey(stage, index), status, H, acc, epochs);

    [Fact]
    public void RanksByAccuracyThenFewerEpochsThenIndex_UnrankedAfter()
    {
        var trials = new[]
        {
            T(1, 0, TrialStatus.Completed, 0.80, 1),
            T(1, 1, TrialStatus.Diverged, 0.99, 1),
            T(1, 2, TrialStatus.Completed, 0.85, 1),
            T(2, 0, TrialStatus.Completed, 0.85, 5),   // same acc as s1-t002, more epochs: after it
            T(1, 4, TrialStatus.Completed, 0.85, 1),   // same acc and epochs as s1-t002, higher index: after it
            T(1, 5, TrialStatus.Failed, null, 0),
            T(2, 1, TrialStatus.Running, 0.90, 2),
            T(2, 2, TrialStatus.Pending, null, 0),
            T(1, 6, TrialStatus.Stopped, 0.70, 1),
            T(1, 7, TrialStatus.Completed, double.NaN, 1),
        };
        var view = Leaderboard.Build(trials);
        Assert.Equal(["s2-t001", "s1-t002", "s1-t004", "s2-t000", "s1-t000", "s1-t006"], view.Ranked.Select(e => e.Trial.Key.ToString()));
        Assert.Equal([1, 2, 3, 4, 5, 6], view.Ranked.Select(e => e.Rank));
        Assert.Equal(["s1-t001", "s1-t005", "s1-t007", "s2-t002"], view.Unranked.Select(t => t.Key.ToString()));
    }

    [Fact]
    public void StageProgress_CountsByStatus_WithPlannedPending()
    {
        var stages = new[] { new StageConfig(5, 1, null), new StageConfig(3, 5, 2) };
        var trials = new[]
        {
            T(1, 0, TrialStatus.Completed, 0.8, 1), T(1, 1, TrialStatus.Diverged, null, 1), T(1, 2, TrialStatus.Failed, null, 0),
            T(1, 3, TrialStatus.Stopped, 0.5, 1), T(1, 4, TrialStatus.Completed, 0.6, 1),
            T(2, 0, TrialStatus.Running, 0.7, 1),
        };
        var view = Leaderboard.Build(trials, stages);
        Assert.Equal(new StageProgress(1, 5, 0, 0, 2, 1, 1, 1), view.Stages[0]);
        Assert.True(view.Stages[0].IsComplete);
        Assert.Equal(new StageProgress(2, 3, 2, 1, 0, 0, 0, 0), view.Stages[1]);
        Assert.False(view.Stages[1].IsComplete);
    }

    [Fact]
    public void TrialKey_RoundTripsItsId()
    {
        var k = new TrialKey(3, 41);
        Assert.Equal("s3-t041", k.ToString());
        Assert.True(TrialKey.TryParse("s3-t041", out var parsed));
        Assert.Equal(k, parsed);
        Assert.False(TrialKey.TryParse("s0-t001", out _));
        Assert.False(TrialKey.TryParse("trial-1", out _));
    }

    [Fact]
    public void TheTerminalView_MarksATrialOfAStageStartedEarly()
    {
        var board = new CvLearn.Protos.V1.Leaderboard { Experiment = "x", TotalTrials = 2 };
        board.Rows.Add(new CvLearn.Protos.V1.LeaderboardRow { TrialId = "s2-t000", Stage = 2, Status = CvLearn.Protos.V1.TrialStatus.Running, Early = true });
        board.Rows.Add(new CvLearn.Protos.V1.LeaderboardRow { TrialId = "s1-t000", Stage = 1, Status = CvLearn.Protos.V1.TrialStatus.Running });
        var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(text), Ansi = Spectre.Console.AnsiSupport.No, ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200;
        console.Write(Commands.LeaderboardRenderer.Render(board, 10));
        var lines = text.ToString().Split('\n');
        Assert.Contains("running (early)", lines.Single(l => l.Contains("s2-t000", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("early", lines.Single(l => l.Contains("s1-t000", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}
