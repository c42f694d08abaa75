using System.Diagnostics;
using System.Text.Json;
using CvLearn.Master.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Tests;

/// <summary>
/// Renders the real dashboard page in headless Chromium against a tiny server that answers /api/leaderboard with a
/// fixture, and checks the DOM the script built. Needs Chromium (tests/run-all.sh installs it); fails, never skips,
/// when it is missing.
/// </summary>
public class DashboardBrowserTests
{
    [Fact]
    public async Task Dashboard_RendersTheFixture_InHeadlessChromium()
    {
        string json = DashboardFixture.SampleJson;
        string dom = await RenderAsync(json);

        using var doc = JsonDocument.Parse(json);
        foreach (var row in doc.RootElement.GetProperty("rows").EnumerateArray())
        {
            string id = row.GetProperty("trial_id").GetString()!;
            Assert.True(dom.Contains($"<td class=\"mono\">{id}</td>", StringComparison.Ordinal), $"the rendered leaderboard has no row for trial {id}");
        }

        Assert.Contains("fmnist-conv", dom);
        Assert.Contains("class=\"st diverged\"", dom);                           // diverged trials visibly marked
        Assert.Contains("class=\"st failed\"", dom);
        Assert.Contains("<span class=\"early\"", dom);                             // a trial of a stage started early
        Assert.Contains("learning_rate · stage 2 · high edge", dom);               // border warning
        Assert.Contains("greedy selection", dom);                                 // ensemble summary
        Assert.Contains("<polyline class=\"curve\"", dom);                        // learning curves drawn
        Assert.Contains("learning rate (log)", dom);                              // log-x scatter
        Assert.Contains("node-a:4121", dom);                                      // workers
        Assert.Contains("&lt;script&gt;alert", dom);                              // worker text escaped...
        Assert.DoesNotContain("<script>alert", dom);                              // ...never injected
        Assert.DoesNotContain("class=\"show\"", dom);                             // no connection-lost banner
    }

    [Fact]
    public async Task Dashboard_RendersTheEmptyState_InHeadlessChromium()
    {
        string dom = await RenderAsync(DashboardFixture.EmptyJson);
        Assert.Contains("empty-search", dom);
        Assert.Contains("No trials yet.", dom);
        Assert.Contains("No epochs reported yet.", dom);
        Assert.Contains("No workers have joined yet.", dom);
        Assert.Contains("0/12 done", dom.Replace("<b>", "", StringComparison.Ordinal).Replace("</b>", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dashboard_ShowsTheConnectionLostBanner_WhenTheApiFails()
    {
        string dom = await RenderAsync(null);
        Assert.Contains("id=\"conn-banner\" role=\"alert\" class=\"show\"", dom);
        Assert.Contains("Connection to the master lost (HTTP 503)", dom);
        Assert.Contains("no connection", dom);
    }

    /// <summary>
    /// Serves the page and <paramref name="leaderboardJson"/> (null: the API answers 503), loads the page in Chromium and
    /// returns the DOM after a few polls.
    /// </summary>
    private static async Task<string> RenderAsync(string? leaderboardJson)
    {
        string chromium = FindChromium() ?? throw new InvalidOperationException(
            "Chromium is needed for the dashboard browser tests but was not found (looked for $CVLEARN_CHROMIUM, chromium, chromium-browser, google-chrome on PATH). "
            + "Install it with `apt-get install -y chromium` or run tests/run-all.sh, which installs it.");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/api/leaderboard", () => leaderboardJson is null
            ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
            : Results.Content(leaderboardJson, "application/json; charset=utf-8"));
        await app.StartAsync();
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";

        string profile = Directory.CreateTempSubdirectory("cvlearn-chromium-").FullName;
        try
        {
            var psi = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--user-data-dir={profile}",
                         "--virtual-time-budget=5000", "--window-size=1400,2000", "--dump-dom", url })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {chromium}");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{chromium} --dump-dom {url} did not finish within 90 s");
            }

            string dom = await stdout;
            Assert.True(p.ExitCode == 0 && dom.Length > 0, $"{chromium} exited with {p.ExitCode}; stderr:\n{await stderr}");
            return dom;
        }
        finally
        {
            await app.StopAsync();
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("CVLEARN_CHROMIUM") is { Length: > 0 } configured && File.Exists(configured)) return configured;
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        }

        return null;
    }
}
