using System.Reflection;

namespace CvLearn.Master.Web;

/// <summary>The dashboard: one self-contained page (dashboard.html, embedded) that polls /api/leaderboard.</summary>
public static class DashboardPage
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CvLearn.Master.Web.dashboard.html")
            ?? throw new InvalidOperationException("dashboard.html is not embedded in the master assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Html => Page.Value;
}
