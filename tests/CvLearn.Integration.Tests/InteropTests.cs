using System.Text.Json.Nodes;
using CvLearn.Integration.Tests.Infrastructure;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Xunit.Abstractions;

namespace CvLearn.Integration.Tests;

/// <summary>
/// gRPC implementations nobody here wrote — Python grpcio (Debian python3-grpcio) and Node @grpc/grpc-js — act as
/// workers of a real `cvlearn-master serve` process (started without workers). A missing tool fails with install advice.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class InteropTests(ITestOutputHelper output)
{
    private const string PythonPath = "/usr/bin/python3";
    private const string SetupHint = "Run `bash tests/interop/setup.sh` as root (apt-installs python3-grpcio/python3-protobuf and nodejs/npm, runs `npm ci` in tests/interop/node), or tests/run-all.sh.";

    [Fact]
    public async Task Python_grpcio_worker_drives_every_method_of_the_master()
    {
        using var world = new TestWorld(output, "py");
        await world.RunAsync(async () =>
        {
            await RequirePythonAsync(world);
            string descriptors = Path.Combine(world.Root, "search.pb");
            var set = new FileDescriptorSet();
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(SearchReflection.Descriptor.SerializedData));
            await File.WriteAllBytesAsync(descriptors, set.ToByteArray());
            var master = await StartMasterAsync(world, "e2e-py");

            var (code, stdout, stderr) = await world.RunAsync("python-search-client", PythonPath,
                [Path.Combine(Builds.InteropDir, "python", "search_client.py"), "--target", $"127.0.0.1:{master.Grpc.Port}", "--descriptors", descriptors],
                TimeSpan.FromSeconds(90));
            Assert.True(code == 0, $"search_client.py exited {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
            var o = LastJson(stdout);

            Assert.False(string.IsNullOrEmpty(o["join"]!["worker_id"]!.GetValue<string>()));
            Assert.Equal("e2e-py", o["join"]!["experiment"]!.GetValue<string>());
            Assert.Equal(world.Storage, o["join"]!["storage_hint"]!.GetValue<string>().TrimEnd('/'));
            Assert.Equal(1000, o["join"]!["heartbeat_interval_ms"]!.GetValue<int>());
            Assert.Equal(20000, o["join"]!["lease_ms"]!.GetValue<int>());
            Assert.Equal("trial", o["acquire_result"]!.GetValue<string>());

            var trial = o["trial"]!;
            string trialId = trial["trial_id"]!.GetValue<string>();
            string prefix = trial["checkpoint_prefix"]!.GetValue<string>();
            Assert.StartsWith("e2e-py/trial-", prefix, StringComparison.Ordinal);
            Assert.EndsWith("/", prefix, StringComparison.Ordinal);
            Assert.Equal(1, trial["attempt"]!.GetValue<int>());
            Assert.Equal(1, trial["stage"]!.GetValue<int>()); // stages are 1-based on the wire
            Assert.Equal(0, trial["index"]!.GetValue<int>());
            Assert.Equal(1, trial["epochs"]!.GetValue<int>());
            Assert.Equal("fc:64", trial["model"]!.GetValue<string>());
            Assert.Equal("OPTIMIZER_ADAM", trial["optimizer"]!.GetValue<string>());
            Assert.Equal(128, trial["batch_size"]!.GetValue<int>());
            Assert.False(trial["has_dropout"]!.GetValue<bool>(), "dropout is not searched, so it must be absent (proto3 optional)");
            Assert.InRange(trial["learning_rate"]!.GetValue<double>(), 1e-4, 1e-2);
            Assert.Equal("fashion-mnist", trial["dataset"]!.GetValue<string>());
            Assert.True(trial["lease_deadline_unix_ms"]!.GetValue<long>() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000);

            Assert.Equal("TRIAL_STATUS_RUNNING", o["watch_first_status"]![0]!.GetValue<string>());
            Assert.Equal("DECISION_CONTINUE", o["heartbeat"]!["decision"]!.GetValue<string>());
            Assert.Equal("DECISION_CONTINUE", o["report"]!["decision"]!.GetValue<string>());
            Assert.True(o["report"]!["lease_deadline_unix_ms"]!.GetValue<long>() >= trial["lease_deadline_unix_ms"]!.GetValue<long>());
            string key = o["report"]!["key"]!.GetValue<string>();
            Assert.Equal(0.625, o["watch_completed"]!["best_val_acc"]!.GetValue<double>(), 9);
            Assert.Equal(key, o["watch_completed"]!["checkpoint_key"]!.GetValue<string>());

            var lb = o["leaderboard"]!;
            Assert.Equal("e2e-py", lb["experiment"]!.GetValue<string>());
            Assert.Equal(3, lb["total_trials"]!.GetValue<int>());
            Assert.Equal("TRIAL_STATUS_COMPLETED", lb["row"]!["status"]!.GetValue<string>());
            Assert.Equal(0.625, lb["row"]!["best_val_acc"]!.GetValue<double>(), 9);
            Assert.Equal("python-grpcio", lb["row"]!["worker"]!.GetValue<string>());
            Assert.Equal(key, lb["row"]!["checkpoint_key"]!.GetValue<string>());
            Assert.Equal(1, lb["row"]!["epochs_done"]!.GetValue<int>());
            Assert.Contains("python-grpcio", lb["workers"]!.AsArray().Select(w => w!.GetValue<string>()));

            var top = o["top_checkpoints"]!;
            var entries = top["entries"]!.AsArray();
            Assert.Single(entries);
            Assert.Equal(trialId, entries[0]!["trial_id"]!.GetValue<string>());
            Assert.Equal(key, entries[0]!["checkpoint_key"]!.GetValue<string>());
            Assert.Equal(0.625, entries[0]!["val_acc"]!.GetValue<double>(), 9);
            Assert.Equal(1, entries[0]!["epoch"]!.GetValue<int>());
            Assert.False(string.IsNullOrEmpty(top["storage"]!.GetValue<string>()));

            Assert.Equal("""{"report_outside_prefix":"INVALID_ARGUMENT","acquire_unknown_worker":"NOT_FOUND","top_checkpoints_k0":"INVALID_ARGUMENT"}""",
                o["errors"]!.ToJsonString());
            Assert.Equal("DECISION_STOP", o["late_report_decision"]!.GetValue<string>());
            Assert.False(o["leave"]!["requeued"]!.GetValue<bool>());

            // The master agrees, seen through our own client.
            var board = await world.Client(master.Grpc).GetLeaderboardAsync(new LeaderboardRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
            var row = board.Rows.Single(r => r.TrialId == trialId);
            Assert.Equal(TrialStatus.Completed, row.Status);
            Assert.Equal([0.625], row.ValAccHistory);
            Assert.Equal(2, board.Rows.Count(r => r.Status == TrialStatus.Pending));
            Assert.Contains(board.Workers, w => w.WorkerName == "python-grpcio" && !w.Alive);
        });
    }

    [Fact]
    public async Task Node_grpc_js_worker_joins_acquires_reads_the_leaderboard_and_leaves()
    {
        using var world = new TestWorld(output, "node");
        await world.RunAsync(async () =>
        {
            string node = RequireNode();
            var master = await StartMasterAsync(world, "e2e-node");
            var (code, stdout, stderr) = await world.RunAsync("node-search-client", node,
                [Path.Combine(Builds.InteropDir, "node", "search_client.js"), "--target", $"127.0.0.1:{master.Grpc.Port}"], TimeSpan.FromSeconds(90));
            Assert.True(code == 0, $"search_client.js exited {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
            var o = LastJson(stdout);
            Assert.False(string.IsNullOrEmpty(o["join"]!["worker_id"]!.GetValue<string>()));
            Assert.Equal("e2e-node", o["join"]!["experiment"]!.GetValue<string>());
            Assert.Equal(20000, o["join"]!["lease_ms"]!.GetValue<int>());
            Assert.Equal("trial", o["acquire_result"]!.GetValue<string>());
            var trial = o["trial"]!;
            Assert.StartsWith("e2e-node/trial-", trial["checkpoint_prefix"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("fc:64", trial["model"]!.GetValue<string>());
            Assert.Equal("OPTIMIZER_ADAM", trial["optimizer"]!.GetValue<string>());
            Assert.Equal(1, trial["attempt"]!.GetValue<int>());
            // int64 arrives as a decimal string (longs: String) — and is a plausible time.
            long lease = long.Parse(trial["lease_deadline_unix_ms"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(lease > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000);

            var lb = o["leaderboard"]!;
            Assert.Equal("e2e-node", lb["experiment"]!.GetValue<string>());
            Assert.Equal(3, lb["total_trials"]!.GetValue<int>());
            Assert.Equal(3, lb["rows"]!.GetValue<int>());
            Assert.Equal("TRIAL_STATUS_RUNNING", lb["row"]!["status"]!.GetValue<string>());
            Assert.Equal("node-grpc-js", lb["row"]!["worker"]!.GetValue<string>());
            Assert.Contains("node-grpc-js", lb["workers"]!.AsArray().Select(w => w!.GetValue<string>()));
            Assert.Equal("NOT_FOUND", o["errors"]!["acquire_unknown_worker"]!.GetValue<string>());
            Assert.Equal("INVALID_ARGUMENT", o["errors"]!["complete_pending_status"]!.GetValue<string>());
            Assert.True(o["leave"]!["requeued"]!.GetValue<bool>(), "Leave with a running trial must requeue it");

            var board = await world.Client(master.Grpc).GetLeaderboardAsync(new LeaderboardRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
            var row = board.Rows.Single(r => r.TrialId == trial["trial_id"]!.GetValue<string>());
            Assert.Equal(TrialStatus.Pending, row.Status);
        });
    }

    private static Task<MasterProcess> StartMasterAsync(TestWorld world, string experiment)
    {
        string config = world.WriteConfig(Configs.Search(experiment, [(3, 1, null)], ensembleTop: 1));
        return world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "20", "--heartbeat-seconds", "1"]);
    }

    private static JsonObject LastJson(string stdout) =>
        JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject() is var o && o["exception"] is null
            ? o
            : throw new InvalidOperationException("the script failed: " + stdout);

    private static async Task RequirePythonAsync(TestWorld world)
    {
        if (!File.Exists(PythonPath)) Assert.Fail($"{PythonPath} is missing. {SetupHint}");
        var (code, _, stderr) = await world.RunAsync("python-check", PythonPath, ["-c", "import grpc, google.protobuf"], TimeSpan.FromSeconds(60));
        if (code != 0) Assert.Fail($"{PythonPath} cannot import grpc/google.protobuf ({stderr.Trim()}). {SetupHint}");
    }

    private static string RequireNode()
    {
        string? node = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        if (node is null) Assert.Fail($"`node` is not on PATH. {SetupHint}");
        foreach (string package in new[] { "grpc-js", "proto-loader" })
        {
            if (!File.Exists(Path.Combine(Builds.InteropDir, "node", "node_modules", "@grpc", package, "package.json")))
                Assert.Fail($"tests/interop/node/node_modules lacks @grpc/{package}. {SetupHint}");
        }

        return node!;
    }
}
