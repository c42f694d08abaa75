using System.Globalization;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CvLearn.Integration.Tests.Infrastructure;
using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;
using Xunit.Abstractions;
using MasterStatus = CvLearn.Master.Scheduling.TrialStatus;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Integration.Tests;

/// <summary>A whole coarse-to-fine search: one master and two workers, each its own process, over loopback gRPC.</summary>
[Collection(ProcessCollection.Name)]
public sealed partial class SearchEndToEndTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"^val(\d\.\d{4})_ep(\d+)\.ckpt$")]
    private static partial Regex CheckpointName();

    /// <summary>The row's checkpoint name is valA.AAAA_epEE.ckpt with A.AAAA = the val_acc the worker reported for epoch EE.</summary>
    internal static (double Accuracy, int Epoch) AssertNameCarriesReportedAccuracy(Pb.LeaderboardRow row)
    {
        var m = CheckpointName().Match(Path.GetFileName(row.CheckpointKey));
        Assert.True(m.Success, $"{row.TrialId}: checkpoint name '{row.CheckpointKey}' is not valA.AAAA_epEE.ckpt");
        double nameAcc = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int epoch = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.InRange(epoch, 1, row.ValAccHistory.Count);
        Assert.Equal(Math.Round(row.ValAccHistory[epoch - 1], 4), nameAcc, 6);
        return (nameAcc, epoch);
    }

    [Fact]
    public async Task Small_search_with_two_worker_processes_runs_every_stage_and_the_ensemble()
    {
        using var world = new TestWorld(output, "search");
        await world.RunAsync(async () =>
        {
            var configJson = Configs.Search("e2e-search", [(8, 1, null), (3, 2, 4)]);
            string configPath = world.WriteConfig(configJson);
            var master = await world.StartMasterAsync(configPath, TestWorld.FreePort(), TestWorld.FreePort(),
                ["--lease-seconds", "30", "--heartbeat-seconds", "1"]);
            var w1 = world.StartWorker(master.Grpc, "w1");
            var w2 = world.StartWorker(master.Grpc, "w2");
            var client = world.Client(master.Grpc);

            var board = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(180), "the search to finish", 250);

            // Every trial finished.
            Assert.Equal(11, board.TotalTrials);
            Assert.Equal(11, board.Rows.Count);
            Assert.Equal(11, board.Rows.Select(r => r.TrialId).Distinct().Count());
            foreach (var row in board.Rows)
            {
                Assert.True(row.Status is Pb.TrialStatus.Completed or Pb.TrialStatus.Stopped or Pb.TrialStatus.Diverged,
                    $"{row.TrialId}: status {row.Status} ({row.Message})");
            }

            Assert.Equal(8, board.Rows.Count(r => r.Stage == 1));
            Assert.Equal(3, board.Rows.Count(r => r.Stage == 2));
            Assert.All(board.Rows.Where(r => r.Status == Pb.TrialStatus.Completed), r => Assert.Equal(r.EpochsTotal, r.EpochsDone));
            Assert.All(board.Rows.Where(r => r.Stage == 1), r => Assert.Equal(1, r.EpochsTotal));
            Assert.All(board.Rows.Where(r => r.Stage == 2), r => Assert.Equal(2, r.EpochsTotal));
            // Both worker processes did work (the multi-machine shape).
            Assert.Equal(2, board.Rows.Select(r => r.Worker).Distinct().Count());

            // Workers learn that the search is over and exit by themselves; the master then evaluates the final ensemble.
            Assert.Equal(0, await w1.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, await w2.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            board = await TestWorld.PollAsync(client, b => b.Ensemble is not null, TimeSpan.FromSeconds(60), "the final ensemble", 250);
            Assert.Equal(3, board.Ensemble.K);
            Assert.InRange(board.Ensemble.TopKAccuracy, 0.01, 1.0);

            AssertCheckpointsCarryReportedAccuracy(board, world.Storage, "e2e-search");
            AssertSortedByBestValidationAccuracy(board);
            AssertStageTwoSampledFromNarrowedRanges(configJson, board);

            await AssertEnsembleAsync(world, master);
            await AssertOfflineEnsembleMatchesLiveAsync(world, master);
            await AssertCliJsonMatchesHttpApiAsync(world, master);
        });
    }

    /// <summary>`ensemble --state FILE` (no master needed) picks the same top checkpoints as `ensemble --master URL`.</summary>
    private static async Task AssertOfflineEnsembleMatchesLiveAsync(TestWorld world, MasterProcess master)
    {
        static IEnumerable<string> Keys(string json) =>
            JsonNode.Parse(json.Trim().Split('\n')[^1])!["checkpoints"]!.AsArray().Select(c => c!["checkpoint_key"]!.GetValue<string>());
        var live = await world.RunMasterCliAsync("ensemble-live", ["ensemble", "--master", master.Grpc.ToString(), "--top", "3",
            "--out", Path.Combine(world.Root, "ensemble-live"), "--json"], TimeSpan.FromSeconds(60));
        Assert.True(live.ExitCode == 0, $"ensemble --master exited {live.ExitCode}: {live.Stderr}");
        var offline = await world.RunMasterCliAsync("ensemble-offline", ["ensemble", "--state", world.StatePath, "--top", "3",
            "--out", Path.Combine(world.Root, "ensemble-offline"), "--json"], TimeSpan.FromSeconds(60));
        Assert.True(offline.ExitCode == 0, $"ensemble --state exited {offline.ExitCode}: {offline.Stderr}");
        Assert.Equal(Keys(live.Stdout), Keys(offline.Stdout));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(world.Root, "ensemble-offline"), "*.ckpt").Length);
    }

    /// <summary>The checkpoint's name carries the accuracy the worker reported for that epoch, and the file exists.</summary>
    private static void AssertCheckpointsCarryReportedAccuracy(Pb.Leaderboard board, string storage, string experiment)
    {
        foreach (var row in board.Rows.Where(r => r.Status != Pb.TrialStatus.Diverged))
        {
            Assert.False(string.IsNullOrEmpty(row.CheckpointKey), $"{row.TrialId} has no checkpoint");
            Assert.StartsWith($"{experiment}/trial-", row.CheckpointKey, StringComparison.Ordinal);
            var (nameAcc, epoch) = AssertNameCarriesReportedAccuracy(row);
            // The leaderboard's best checkpoint is the best epoch.
            Assert.Equal(Math.Round(row.BestValAcc, 4), nameAcc, 6);
            Assert.Equal(row.ValAccHistory.Max(), row.BestValAcc, 9);
            Assert.True(File.Exists(Path.Combine(storage, row.CheckpointKey)), $"{row.TrialId}: {row.CheckpointKey} is not in {storage}");
        }
    }

    private static bool IsRanked(Pb.LeaderboardRow r) => r.Status is Pb.TrialStatus.Completed or Pb.TrialStatus.Stopped;

    private static void AssertSortedByBestValidationAccuracy(Pb.Leaderboard board)
    {
        var ranked = board.Rows.Where(IsRanked).ToList();
        for (int i = 1; i < ranked.Count; i++)
        {
            Assert.True(ranked[i - 1].BestValAcc >= ranked[i].BestValAcc,
                $"leaderboard not sorted: {ranked[i - 1].TrialId} {ranked[i - 1].BestValAcc} before {ranked[i].TrialId} {ranked[i].BestValAcc}");
        }

        // Ranked rows come first.
        int firstUnranked = board.Rows.ToList().FindIndex(r => !IsRanked(r));
        if (firstUnranked >= 0) Assert.DoesNotContain(board.Rows.Skip(firstUnranked), IsRanked);
    }

    /// <summary>
    /// Stage 2's hyperparameters are the master's own plan from stage 1's results (StagePlanner referenced in-process),
    /// and lie inside the span of stage 1's top `from_top` values widened by the documented margin (log10 space).
    /// </summary>
    private static void AssertStageTwoSampledFromNarrowedRanges(JsonObject configJson, Pb.Leaderboard board)
    {
        var config = SearchConfigParser.Parse(configJson.ToJsonString());
        var planner = new StagePlanner(config);
        var stage1 = planner.Plan(1, []);
        var rows1 = board.Rows.Where(r => r.Stage == 1).ToDictionary(r => r.Index);
        var results = new List<TrialResult>();
        foreach (var spec in stage1.Trials)
        {
            var row = rows1[spec.Index];
            AssertSameHyperparameters(spec.Hyperparameters, row.Hyperparameters, row.TrialId);
            results.Add(new TrialResult(spec.Key, ToMaster(row.Status), spec.Hyperparameters,
                row.Status == Pb.TrialStatus.Diverged ? null : row.BestValAcc, row.EpochsDone));
        }

        var stage2 = planner.Plan(2, results);
        var rows2 = board.Rows.Where(r => r.Stage == 2).ToDictionary(r => r.Index);
        Assert.Equal(stage2.Trials.Count, rows2.Count);
        foreach (var spec in stage2.Trials) AssertSameHyperparameters(spec.Hyperparameters, rows2[spec.Index].Hyperparameters, rows2[spec.Index].TrialId);

        var top = board.Rows.Where(r => r.Stage == 1 && IsRanked(r)).OrderByDescending(r => r.BestValAcc).Take(4).ToList();
        Assert.NotEmpty(top);
        var o = config.Narrowing;
        foreach (var (name, get, low, high) in new (string, Func<Pb.HyperParameters, double>, double, double)[]
                 { ("learning_rate", h => h.LearningRate, 1e-4, 1e-2), ("reg", h => h.Reg, 1e-6, 1e-2) })
        {
            var narrowed = (INumericRange)stage2.Space[name];
            foreach (var r in rows2.Values)
                Assert.InRange(get(r.Hyperparameters), narrowed.Low, narrowed.High);

            // Independent of RangeNarrower: span of the top values in log10, widened by the margin on each side
            // (at least MinWidthFraction of the stage-1 width); a window overhanging the configured range slides back.
            // A border warning extends the range past the config edge, so the simple check applies without one.
            if (board.BorderWarnings.Any(w => w.Parameter == name && w.Stage == 1)) continue;
            double sMin = top.Min(t => Math.Log10(get(t.Hyperparameters))), sMax = top.Max(t => Math.Log10(get(t.Hyperparameters)));
            double lo = Math.Log10(low), hi = Math.Log10(high), w = hi - lo;
            double a = sMin - o.MarginFraction * (sMax - sMin), b = sMax + o.MarginFraction * (sMax - sMin);
            if (b - a < o.MinWidthFraction * w)
            {
                double c = 0.5 * (sMin + sMax);
                a = c - 0.5 * o.MinWidthFraction * w;
                b = c + 0.5 * o.MinWidthFraction * w;
            }

            if (a < lo) (a, b) = (lo, b + (lo - a));
            if (b > hi) (a, b) = (a - (b - hi), hi);
            foreach (var r in rows2.Values)
            {
                double v = Math.Log10(get(r.Hyperparameters));
                Assert.True(v >= a - 1e-9 && v <= b + 1e-9, $"{r.TrialId}: log10 {name} = {v:F4} outside the widened top-4 span [{a:F4}, {b:F4}]");
            }

            // And the narrowed range really is narrower than stage 1's.
            Assert.True(narrowed.ToSearch(narrowed.High) - narrowed.ToSearch(narrowed.Low) < w, $"{name} was not narrowed: {narrowed.Describe()}");
        }
    }

    private static void AssertSameHyperparameters(Hyperparameters expected, Pb.HyperParameters actual, string trialId)
    {
        Assert.Equal(expected.GetNumber("learning_rate")!.Value, actual.LearningRate, 12);
        Assert.Equal(expected.GetNumber("reg")!.Value, actual.Reg, 14);
        Assert.True(actual.Model == "fc:64", $"{trialId}: model {actual.Model}");
    }

    private static MasterStatus ToMaster(Pb.TrialStatus s) => s switch
    {
        Pb.TrialStatus.Completed => MasterStatus.Completed,
        Pb.TrialStatus.Stopped => MasterStatus.Stopped,
        Pb.TrialStatus.Diverged => MasterStatus.Diverged,
        Pb.TrialStatus.Failed => MasterStatus.Failed,
        _ => throw new InvalidOperationException($"trial not finished: {s}"),
    };

    /// <summary>
    /// `ensemble --top 3 --evaluate --split test --json` pulls 3 checkpoint files and a manifest listing them, and
    /// reports accuracies in (0, 1]. Returns the command's output (for checks such as "no secret in it").
    /// </summary>
    internal static async Task<string> AssertEnsembleAsync(TestWorld world, MasterProcess master, IDictionary<string, string>? env = null)
    {
        string outDir = Path.Combine(world.Root, "ensemble");
        var (code, stdout, stderr) = await world.RunMasterCliAsync("ensemble-cli",
            ["ensemble", "--master", master.Grpc.ToString(), "--top", "3", "--out", outDir, "--evaluate", "--split", "test", "--json"], TimeSpan.FromSeconds(120), env);
        Assert.True(code == 0, $"ensemble exited {code}: {stderr}");
        var doc = JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject();
        var checkpoints = doc["checkpoints"]!.AsArray();
        Assert.Equal(3, checkpoints.Count);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!.AsObject();
        var listed = manifest["checkpoints"]!.AsArray();
        Assert.Equal(3, listed.Count);
        foreach (var c in listed)
        {
            string file = c!["file"]!.GetValue<string>();
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"manifest lists {file}, which is not in {outDir}");
        }

        Assert.Equal(3, Directory.GetFiles(outDir).Count(f => Path.GetFileName(f) != "manifest.json"));
        var evaluation = doc["evaluation"]!.AsObject();
        Assert.NotNull(evaluation["members"]);
        foreach (string key in new[] { "best_single_accuracy", "top_k_accuracy", "greedy_accuracy" })
        {
            double acc = evaluation[key]!.GetValue<double>();
            Assert.True(acc > 0 && acc <= 1, $"evaluation.{key} = {acc}");
        }

        return stdout + stderr;
    }

    /// <summary>`leaderboard --json` prints the same document shape as GET /api/leaderboard.</summary>
    private static async Task AssertCliJsonMatchesHttpApiAsync(TestWorld world, MasterProcess master)
    {
        var (code, stdout, stderr) = await world.RunMasterCliAsync("leaderboard-cli", ["leaderboard", "--master", master.Grpc.ToString(), "--json"]);
        Assert.True(code == 0, $"leaderboard --json exited {code}: {stderr}");
        var cli = JsonNode.Parse(stdout)!.AsObject();
        using var http = new HttpClient();
        var api = JsonNode.Parse(await http.GetStringAsync(new Uri(master.Http, "api/leaderboard")))!.AsObject();
        world.AddLog("leaderboard --json", stdout);
        Assert.Equal(Shape(cli), Shape(api));
        Assert.Equal(cli["rows"]!.AsArray().Select(r => r!["trial_id"]!.GetValue<string>()), api["rows"]!.AsArray().Select(r => r!["trial_id"]!.GetValue<string>()));
        Assert.True(cli["finished"]!.GetValue<bool>());
    }

    /// <summary>A document's shape: object keys (recursively; arrays by their elements' union of shapes).</summary>
    private static string Shape(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Shape(p.Value))) + "}",
        JsonArray a => "[" + string.Join("|", a.Select(Shape).Distinct().Order(StringComparer.Ordinal)) + "]",
        JsonValue v => v.GetValueKind().ToString() is "True" or "False" ? "bool" : v.GetValueKind().ToString().ToLowerInvariant(),
        _ => "null",
    };
}
