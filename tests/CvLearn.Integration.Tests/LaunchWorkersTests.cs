using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CvLearn.Integration.Tests.Infrastructure;
using Xunit.Abstractions;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Integration.Tests;

/// <summary>
/// deploy/launch-workers.sh against a real master. ssh is replaced (CVLEARN_SSH) by a script that drops the ssh
/// options and the host and runs the remote command here with `bash -c`, so everything but the network hop runs as
/// it would on a cluster. The "checkout" (--dir) has a space in its path.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class LaunchWorkersTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(Builds.RepoRoot, "deploy", "launch-workers.sh");

    [GeneratedRegex(@"^(\S+): started (\S+) \(pid (\d+)\), log (.+)$", RegexOptions.Multiline)]
    private static partial Regex StartedLine();

    [Fact]
    public async Task Launch_starts_named_workers_on_each_host_that_finish_the_search_and_exit()
    {
        using var world = new TestWorld(output, "launch");
        var remote = new RemoteSide(world);
        await RunAsync(world, remote, async () =>
        {
            // Long enough that both hosts' workers are still running at the launch script's 1-s check: it starts the
            // hosts one after the other, and 16 epochs of 2,000 images once ended 0.2 s after the second worker joined
            // (a 4-epoch trial of 6,000 images takes ~0.13 s; 30-epoch ones keep the search going for seconds).
            string config = world.WriteConfig(Configs.Search("e2e-launch", [(8, 30, null)], trainLimit: 6000, ensembleTop: 2));
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "30", "--heartbeat-seconds", "1"]);
            var client = world.Client(master.Grpc);

            var (code, stdout, stderr) = await remote.LaunchAsync("launch", ["--master", master.Grpc.ToString(), "--per-host", "1", "hostA", "hostB"]);
            Assert.True(code == 0, $"launch-workers.sh exited {code}: {stderr}");
            var started = StartedLine().Matches(stdout).ToDictionary(m => m.Groups[2].Value);
            Assert.Equal(["hostA-1", "hostB-1"], started.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, m) in started)
            {
                Assert.Equal(name[..^2], m.Groups[1].Value);
                Assert.Equal(remote.LogPath(name), m.Groups[4].Value.TrimEnd());
                Assert.Equal(m.Groups[3].Value, File.ReadAllText(remote.PidPath(name)).Trim());
            }

            await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(180), "the search to finish", 250);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            var board = JsonNode.Parse(await http.GetStringAsync(new Uri(master.Http, "api/leaderboard")))!.AsObject();
            world.AddLog("GET /api/leaderboard", board.ToJsonString());
            var names = board["workers"]!.AsArray().Select(w => w!["worker_name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["hostA-1", "hostB-1"], names);
            Assert.All(board["rows"]!.AsArray(), r => Assert.Contains(r!["worker"]!.GetValue<string>(), names));

            // Each worker learns that the search is over and exits by itself.
            foreach (var (name, m) in started)
                await RemoteSide.WaitForExitAsync(int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), name, TimeSpan.FromSeconds(30));

            // A worker launched after the end leaves at once with code 0: that is no failure of the launch.
            int finishedBefore = Occurrences(File.ReadAllText(remote.LogPath("hostA-1")), "The search is finished");
            (code, stdout, stderr) = await remote.LaunchAsync("late", ["--master", master.Grpc.ToString(), "hostA"]);
            Assert.True(code == 0, $"launch-workers.sh exited {code} for a worker joining a finished search: {stderr}");
            Assert.True(stdout.Contains("hostA: hostA-1 exited at once with code 0 (the search is finished", StringComparison.Ordinal)
                || stdout.Contains("hostA: started hostA-1", StringComparison.Ordinal), stdout); // it may outlive the script's 1 s check
            await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(5), "the search to stay finished", 250);
            await WaitForLogAsync(remote.LogPath("hostA-1"), "The search is finished", finishedBefore + 1, TimeSpan.FromSeconds(30));
        });
    }

    /// <summary>Waits until <paramref name="text"/> occurs <paramref name="times"/> times in the (appended-to) log.</summary>
    private static async Task WaitForLogAsync(string path, string text, int times, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(File.Exists(path) && Occurrences(await File.ReadAllTextAsync(path), text) >= times))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{text}' did not appear {times} times in {path}");
            await Task.Delay(100);
        }
    }

    private static int Occurrences(string haystack, string needle)
    {
        int n = 0;
        for (int i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public async Task Stop_sends_sigterm_and_the_workers_leave_the_master()
    {
        using var world = new TestWorld(output, "launchstop");
        var remote = new RemoteSide(world);
        await RunAsync(world, remote, async () =>
        {
            // Two long trials, one per worker; a long lease, so a requeue can only come from the workers leaving.
            string config = world.WriteConfig(Configs.Search("e2e-launch-stop", [(2, 30, null)], trainLimit: 30000, model: "fc:256", ensembleTop: 1));
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "120", "--heartbeat-seconds", "1"]);
            var client = world.Client(master.Grpc);

            var (code, stdout, stderr) = await remote.LaunchAsync("launch", ["--master", master.Grpc.ToString(), "--threads", "1", "hostA", "hostB"]);
            Assert.True(code == 0, $"launch-workers.sh exited {code}: {stderr}");
            var pids = new[] { "hostA-1", "hostB-1" }.ToDictionary(n => n, n => int.Parse(File.ReadAllText(remote.PidPath(n)).Trim(), CultureInfo.InvariantCulture));

            await TestWorld.PollAsync(client, b => b.Rows.Count(r => r.Status == Pb.TrialStatus.Running) == 2 && b.Workers.Count(w => w.Alive) == 2,
                TimeSpan.FromSeconds(90), "both workers to run a trial", 100);

            (code, stdout, stderr) = await remote.LaunchAsync("stop", ["--stop", "hostA", "hostB"]);
            Assert.True(code == 0, $"launch-workers.sh --stop exited {code}: {stderr}");
            Assert.Contains("hostA: stopped hostA-1 (pid " + pids["hostA-1"] + ")", stdout, StringComparison.Ordinal);
            Assert.Contains("hostB: stopped hostB-1 (pid " + pids["hostB-1"] + ")", stdout, StringComparison.Ordinal);
            foreach (var (name, pid) in pids)
            {
                Assert.False(ChildProcess.IsAlive(pid), $"{name} (pid {pid}) still runs after --stop");
                Assert.False(File.Exists(remote.PidPath(name)), $"{remote.PidPath(name)} left behind");
                Assert.Contains("Left the master (SIGTERM)", File.ReadAllText(remote.LogPath(name)), StringComparison.Ordinal);
                Assert.Contains("requeued: True", File.ReadAllText(remote.LogPath(name)), StringComparison.Ordinal);
            }

            // They said goodbye: not alive any more, their trials back in the queue at once (the lease is 120 s).
            var after = await TestWorld.PollAsync(client,
                b => b.Workers.Count == 2 && b.Workers.All(w => !w.Alive)
                     && b.Rows.All(r => r.Status == Pb.TrialStatus.Pending && r.Message == $"worker {r.Worker} left (SIGTERM)"),
                TimeSpan.FromSeconds(10), "the workers to have left and their trials to be requeued");
            Assert.False(after.Finished);
            Assert.Equal(["hostA-1", "hostB-1"], after.Workers.Select(w => w.WorkerName).Order(StringComparer.Ordinal));

            // A second --stop finds nothing to do.
            (code, stdout, _) = await remote.LaunchAsync("stop-again", ["--stop", "hostA"]);
            Assert.Equal(0, code);
            Assert.Contains("hostA: no workers started by launch-workers.sh", stdout, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Bad_input_and_failing_hosts_give_clear_errors()
    {
        using var world = new TestWorld(output, "launchbad");
        var remote = new RemoteSide(world);
        await RunAsync(world, remote, async () =>
        {
            var (code, stdout, stderr) = await remote.LaunchAsync("no-master", ["hostA"]);
            Assert.Equal(2, code);
            Assert.Contains("--master is required", stderr, StringComparison.Ordinal);

            (code, _, stderr) = await remote.LaunchAsync("bad-master", ["--master", "http://MASTER", "hostA"]); // no port
            Assert.Equal(2, code);
            Assert.Contains("--master 'http://MASTER' is malformed", stderr, StringComparison.Ordinal);

            (code, stdout, _) = await remote.LaunchAsync("help", ["--help"]);
            Assert.Equal(0, code);
            Assert.Contains("Usage: deploy/launch-workers.sh --master", stdout, StringComparison.Ordinal);

            // ssh itself fails: the host is named.
            (code, _, stderr) = await remote.LaunchAsync("bad-ssh", ["--master", "http://127.0.0.1:1", "hostA"], new Dictionary<string, string> { ["CVLEARN_SSH"] = "false" });
            Assert.NotEqual(0, code);
            Assert.Contains("hostA: ssh failed", stderr, StringComparison.Ordinal);

            // No worker build on the host.
            (code, _, stderr) = await remote.LaunchAsync("no-build", ["--master", "http://127.0.0.1:1", "hostA"],
                new Dictionary<string, string> { ["CVLEARN_WORKER"] = Path.Combine(world.Root, "missing", "cvlearn-worker.dll") });
            Assert.Equal(1, code);
            Assert.Contains("hostA: worker build missing", stderr, StringComparison.Ordinal);
            Assert.Contains("run `dotnet build -c Release` there", stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(remote.Dir, "runs", "workers")) && Directory.GetFiles(Path.Combine(remote.Dir, "runs", "workers"), "*.pid").Length > 0);
        });
    }

    /// <summary>Runs the body with the workers' logs in the failure report; kills any worker the body left running.</summary>
    private static async Task RunAsync(TestWorld world, RemoteSide remote, Func<Task> body)
    {
        try
        {
            await world.RunAsync(async () =>
            {
                try
                {
                    await body();
                }
                finally
                {
                    remote.AttachLogs();
                }
            });
        }
        finally
        {
            remote.KillLeftovers();
        }
    }

    /// <summary>The "hosts": a checkout directory with a space in its path and the fake ssh, both in the test's temp dir.</summary>
    private sealed class RemoteSide
    {
        private readonly TestWorld _world;
        private readonly string _fakeSsh;

        public RemoteSide(TestWorld world)
        {
            _world = world;
            Dir = Path.Combine(world.Root, "shared checkout");
            Directory.CreateDirectory(Dir);
            _fakeSsh = Path.Combine(world.Root, "fake-ssh");
            File.WriteAllText(_fakeSsh, """
                #!/usr/bin/env bash
                # ssh stand-in: drop the options and the host, run the remote command on this machine.
                while [ $# -gt 0 ]; do case $1 in -o) shift 2 ;; --) shift; break ;; -*) shift ;; *) break ;; esac; done
                shift
                exec bash -c "$*"

                """.ReplaceLineEndings("\n"));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_fakeSsh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        public string Dir { get; }

        public string LogPath(string name) => Path.Combine(Dir, "runs", "workers", name + ".log");

        public string PidPath(string name) => Path.Combine(Dir, "runs", "workers", name + ".pid");

        public Task<(int ExitCode, string Stdout, string Stderr)> LaunchAsync(string name, string[] args, IDictionary<string, string>? env = null)
        {
            var e = new Dictionary<string, string>
            {
                ["CVLEARN_SSH"] = _fakeSsh,
                // "Remote side" settings, inherited through the fake ssh: the build under test and its dotnet host.
                ["CVLEARN_WORKER"] = Builds.WorkerDll,
                ["CVLEARN_DOTNET"] = Builds.DotnetHost,
            };
            foreach (var (k, v) in env ?? new Dictionary<string, string>()) e[k] = v;
            string[] full = args.Contains("--help") ? args : ["--dir", Dir, .. args];
            return _world.RunAsync(name, "bash", [Script, .. full], TimeSpan.FromSeconds(60), e);
        }

        /// <summary>The workers' logs go into the failure report.</summary>
        public void AttachLogs()
        {
            string workers = Path.Combine(Dir, "runs", "workers");
            if (!Directory.Exists(workers)) return;
            foreach (string log in Directory.GetFiles(workers, "*.log")) _world.AddLog(log, File.ReadAllText(log));
        }

        /// <summary>Kills the workers still running (they are not children of the test, so TestWorld cannot).</summary>
        public void KillLeftovers()
        {
            string workers = Path.Combine(Dir, "runs", "workers");
            if (!Directory.Exists(workers)) return;
            foreach (string pidFile in Directory.GetFiles(workers, "*.pid"))
            {
                if (!int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) || !ChildProcess.IsAlive(pid)) continue;
                string name = Path.GetFileNameWithoutExtension(pidFile);
                if (CommandLine(pid)?.Contains("--name " + name, StringComparison.Ordinal) != true) continue;
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        public static string? CommandLine(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            }
            catch (IOException)
            {
                return null;
            }
        }

        public static async Task WaitForExitAsync(int pid, string name, TimeSpan timeout)
        {
            DateTime until = DateTime.UtcNow + timeout;
            while (ChildProcess.IsAlive(pid))
            {
                if (DateTime.UtcNow > until) throw new TimeoutException($"{name} (pid {pid}) did not exit within {timeout.TotalSeconds:F0} s");
                await Task.Delay(200);
            }
        }
    }
}
