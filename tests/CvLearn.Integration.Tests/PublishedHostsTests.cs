using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using CvLearn.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CvLearn.Integration.Tests;

/// <summary>
/// The main job's path: deploy/publish.sh publishes both hosts ReadyToRun into one directory, and that master's
/// `serve --local-workers 2 --exit-when-done` finds the worker beside itself, runs a search with it to the end and
/// exits 0 with its workers gone. The publish builds into its own artifacts directory (CVLEARN_ARTIFACTS), so it
/// does not touch the build the other tests run.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class PublishedHostsTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"Started local worker (local-\d) \(pid (\d+), 1 threads, (.+?)\); log: (\S+)")]
    private static partial Regex StartedLine();

    [Fact]
    public async Task Published_master_runs_a_search_with_the_published_workers_beside_it_and_exits_0()
    {
        using var world = new TestWorld(output, "publish");
        await world.RunAsync(async () =>
        {
            string bin = Path.Combine(world.Root, "bin");
            var (code, stdout, stderr) = await world.RunAsync("publish", "bash", [Path.Combine(Builds.RepoRoot, "deploy", "publish.sh"), bin],
                TimeSpan.FromMinutes(8), new Dictionary<string, string> { ["CVLEARN_ARTIFACTS"] = Path.Combine(world.Root, "artifacts") });
            Assert.True(code == 0, $"deploy/publish.sh exited {code}: {stderr}");
            Assert.Equal(bin, stdout.Trim());

            // Precompiled: our assemblies and the IL-only packages carry a ReadyToRun header (the managed native header).
            foreach (string dll in new[] { "cvlearn-master.dll", "cvlearn-worker.dll", "CvLearn.Core.dll", "CvLearn.Protos.dll", "Google.Protobuf.dll", "System.CommandLine.dll" })
            {
                using var pe = new PEReader(File.OpenRead(Path.Combine(bin, dll)));
                Assert.True(pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 }, $"{dll} in {bin} is not ReadyToRun");
            }

            string config = world.WriteConfig(Configs.Search("e2e-published", [(4, 1, null), (2, 1, 2)], ensembleTop: 2));
            string state = Path.Combine(world.Root, "published-state", "state.db");
            (code, stdout, stderr) = await world.RunAsync("published-master", Builds.DotnetHost,
                [Path.Combine(bin, "cvlearn-master.dll"), "serve", "--config", config, "--local-workers", "2", "--worker-threads", "1", "--bind", "127.0.0.1",
                    "--grpc-port", TestWorld.FreePort().ToString(), "--http-port", TestWorld.FreePort().ToString(), "--storage", world.Storage, "--state", state,
                    "--exit-when-done"],
                TimeSpan.FromMinutes(4), new Dictionary<string, string> { ["CVLEARN_WORKER"] = "" }); // not set: the worker beside the master
            Assert.True(code == 0, $"the published master exited {code}: {stderr}");
            string log = stdout + stderr;

            var started = StartedLine().Matches(log).ToList();
            Assert.Equal(["local-1", "local-2"], started.Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal));
            int completed = 0;
            foreach (Match m in started)
            {
                Assert.Equal(Path.Combine(bin, "cvlearn-worker.dll"), m.Groups[3].Value);
                string workerLog = File.ReadAllText(m.Groups[4].Value);
                world.AddLog(m.Groups[1].Value, workerLog);
                Assert.Contains("Joined master", workerLog, StringComparison.Ordinal);
                Assert.False(ChildProcess.IsAlive(int.Parse(m.Groups[2].Value)), $"{m.Groups[1].Value} (pid {m.Groups[2].Value}) outlived its master");
                completed += Regex.Count(workerLog, "Completed after 1 epochs");
            }

            // Stage 2 may start early; a trial of it that is re-planned may then have run to its end twice.
            var settled = Regex.Match(log, @"Stage 2 was started early: (\d+) of its (\d+) trials stand");
            int replanned = settled.Success ? int.Parse(settled.Groups[2].Value) - int.Parse(settled.Groups[1].Value) : 0;
            Assert.InRange(completed, 6, 6 + replanned);
            Assert.Contains("all 6 trials finished", log, StringComparison.Ordinal);
            // Retention keeps every checkpoint here (per_experiment 500) but deletes those of re-planned trials, even
            // just before the master exits: checkpoints of exactly the 6 trials that stand are left.
            var trialDirs = Directory.EnumerateFiles(world.Storage, "*.ckpt", SearchOption.AllDirectories).Select(Path.GetDirectoryName).Distinct().ToList();
            Assert.True(trialDirs.Count == 6, $"checkpoints of {trialDirs.Count} trials are left: {string.Join(", ", trialDirs)}");
            // ... and no empty directory of a trial whose checkpoints were deleted.
            var allTrialDirs = Directory.EnumerateDirectories(world.Storage, "trial-*", SearchOption.AllDirectories).ToList();
            Assert.True(allTrialDirs.Count == 6, $"{allTrialDirs.Count} trial directories are left: {string.Join(", ", allTrialDirs)}");
            Assert.Matches(@"Ensemble on the validation split: top-2 average 0\.\d{4}", log);
        });
    }
}
