using CvLearn.Master.Services;
using CvLearn.Master.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CvLearn.Master.Web;

/// <summary>The HTTP side of the master: the live dashboard page and its JSON API.</summary>
public static class DashboardEndpoints
{
    public static void Map(WebApplication app, SearchCoordinator coordinator)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/api/leaderboard", (HttpContext http) =>
        {
            int top = 0;
            if (http.Request.Query.TryGetValue("top", out var t) && (!int.TryParse(t, out top) || top < 0))
                return Results.BadRequest(new { error = $"top: must be a non-negative integer (0 = all), got '{t}'" });
            return Results.Content(LeaderboardJson.Format(ProtoMapping.ToProto(coordinator.Snapshot(), top)), "application/json; charset=utf-8");
        });
        app.MapGet("/api/health", () => Results.Ok(new { status = "ok", experiment = coordinator.Config.Experiment }));
    }
}
