using CvLearn.Master.Web;
using Google.Protobuf;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Tests;

/// <summary>The embedded dashboard page: served as a whole, self-contained, with every section the script fills.</summary>
public class DashboardPageTests
{
    /// <summary>Element ids the page's script renders into (one per dashboard section).</summary>
    public static readonly string[] SectionIds =
    [
        "conn-banner", "experiment", "state", "total-trials", "updated",
        "warnings", "warnings-body", "stages", "stages-body", "ensemble", "ensemble-body",
        "curves", "curves-chart", "curves-legend", "scatter-lr", "scatter-lr-chart", "scatter-reg", "scatter-reg-chart",
        "leaderboard", "leaderboard-table", "leaderboard-body", "workers", "workers-body",
    ];

    [Fact]
    public void Html_IsTheEmbeddedDashboard_WithTheScriptThatPollsTheLeaderboardApi()
    {
        string html = DashboardPage.Html;
        Assert.StartsWith("<!doctype html>", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<script>", html);
        Assert.Contains("'/api/leaderboard?top=", html);
        Assert.Contains("fetch(API", html);
        Assert.Contains("setTimeout(poll, POLL_MS)", html);
        Assert.Contains("board.finished", html);          // stops polling once the search is over
    }

    [Fact]
    public void Html_HasAnElementForEverySection()
    {
        string html = DashboardPage.Html;
        foreach (var id in SectionIds) Assert.True(html.Contains($"id=\"{id}\"", StringComparison.Ordinal), $"dashboard.html has no element id=\"{id}\"");
    }

    [Fact]
    public void Html_IsSelfContained_NoExternalResources()
    {
        string html = DashboardPage.Html;
        foreach (var bad in new[] { "src=\"http", "href=\"http", "src='http", "href='http", "@import", "<link", "//cdn" })
            Assert.False(html.Contains(bad, StringComparison.OrdinalIgnoreCase), $"dashboard.html must not load external resources, found '{bad}'");
    }

    [Fact]
    public void Html_EscapesTextBeforeInsertingIt()
    {
        string html = DashboardPage.Html;
        Assert.Contains("function esc(", html);
        Assert.Contains("'&lt;'", html);
        Assert.Contains("esc(r.message", html);          // worker-supplied messages
    }

    [Fact]
    public void Fixture_IsAValidLeaderboardInTheApiJsonShape()
    {
        var board = JsonParser.Default.Parse<Pb.Leaderboard>(DashboardFixture.SampleJson);
        Assert.Equal("fmnist-conv", board.Experiment);
        Assert.Equal(3, board.Stages.Count);
        Assert.True(board.Rows.Count >= 20);
        Assert.Contains(board.Rows, r => r.Status == Pb.TrialStatus.Diverged);
        Assert.Contains(board.Rows, r => r.Status == Pb.TrialStatus.Failed);
        Assert.NotEmpty(board.BorderWarnings);
        Assert.NotNull(board.Ensemble);
        Assert.Equal(board.Rows.Count, board.TotalTrials);
    }
}
