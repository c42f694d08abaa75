namespace CvLearn.Master.Tests;

/// <summary>The hand-made sample leaderboard (Fixtures/dashboard-leaderboard.json): 3 stages, 21 trials, diverged and failed trials, border warnings, an ensemble.</summary>
internal static class DashboardFixture
{
    public static string SamplePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "dashboard-leaderboard.json");

    public static string SampleJson => File.ReadAllText(SamplePath);

    /// <summary>A search that has not produced any trial yet.</summary>
    public const string EmptyJson = """
        {"experiment":"empty-search","rows":[],"stages":[{"stage":1,"total":12,"pending":12,"running":0,"done":0,"best_val_acc":0,"epochs":2}],
         "workers":[],"border_warnings":[],"finished":false,"updated_unix_ms":"1796154000000","total_trials":0}
        """;
}
