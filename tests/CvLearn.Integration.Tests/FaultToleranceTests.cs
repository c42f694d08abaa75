using CvLearn.Integration.Tests.Infrastructure;
using Xunit.Abstractions;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Integration.Tests;

/// <summary>Workers that die or leave, and a master that restarts, in the middle of a search.</summary>
[Collection(ProcessCollection.Name)]
public sealed class FaultToleranceTests(ITestOutputHelper output)
{
    private static bool Finished(Pb.LeaderboardRow r) =>
        r.Status is Pb.TrialStatus.Completed or Pb.TrialStatus.Stopped or Pb.TrialStatus.Diverged or Pb.TrialStatus.Failed;

    /// <summary>
    /// kill -9 of the worker running a trial (after its first epoch's checkpoint is reported): the lease runs out, the
    /// trial is requeued as attempt 2 and the other worker resumes it from the latest checkpoint.
    /// </summary>
    // Images per epoch of the single-trial tests below: enough for ~3 s of training in 8 epochs, so that the trial is
    // still running when the test has seen its first checkpoint and stops a worker (with 10,000 images, once
    // checkpoints got cheap, a clean-clone CI run saw the whole trial finish before its first poll).
    private const int TrialImages = 40_000;

    /// <summary>
    /// A worker on a machine without the search's dataset hands its trial back (Leave: requeued, no failure counted)
    /// and exits 2 saying what is missing, instead of failing trial after trial; a worker that has the data then runs
    /// every trial of the search.
    /// </summary>
    [Fact]
    public async Task Worker_without_the_dataset_hands_its_trial_back_and_exits_2_and_a_worker_with_it_runs_the_search()
    {
        using var world = new TestWorld(output, "nodata");
        await world.RunAsync(async () =>
        {
            // The search is on "mnist" in a directory of its own (Fashion-MNIST's files under MNIST's names); the bare
            // worker looks elsewhere (--data-dir overrides the trial's data_dir), and no machine here has MNIST installed.
            string mnist = Path.Combine(world.Root, "mnist-here");
            Directory.CreateDirectory(mnist);
            foreach (string f in Directory.GetFiles(Configs.FashionMnistDir)) File.CreateSymbolicLink(Path.Combine(mnist, Path.GetFileName(f)), f);
            var cfg = Configs.Search("e2e-nodata", [(3, 1, null)], ensembleTop: 2);
            cfg["dataset"]!["name"] = "mnist";
            cfg["dataset"]!["data_dir"] = mnist;
            var master = await world.StartMasterAsync(world.WriteConfig(cfg), TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "30", "--heartbeat-seconds", "1"]);
            var client = world.Client(master.Grpc);

            string empty = Path.Combine(world.Root, "empty");
            Directory.CreateDirectory(empty);
            var bare = world.StartWorker(master.Grpc, "bare", extra: ["--data-dir", empty]);
            Assert.True(await bare.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the worker without the dataset kept running");
            Assert.Equal(2, bare.ExitCode);
            Assert.Contains("this machine cannot run the trials of experiment 'e2e-nodata'", bare.Stderr, StringComparison.Ordinal);
            Assert.Contains("Dataset 'mnist' not found", bare.Stderr, StringComparison.Ordinal);
            Assert.Contains(empty, bare.Stderr, StringComparison.Ordinal);
            Assert.Contains("went back to the master's queue", bare.Stderr, StringComparison.Ordinal);

            var board = await client.GetLeaderboardAsync(new Pb.LeaderboardRequest());
            Assert.Equal(3, board.Rows.Count);
            Assert.All(board.Rows, r => Assert.Equal(Pb.TrialStatus.Pending, r.Status)); // none failed, none still leased to the bare worker
            Assert.DoesNotContain(board.Workers, w => w.WorkerName == "bare" && w.Alive);

            world.StartWorker(master.Grpc, "good");
            var done = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(120), "the search to finish");
            Assert.All(done.Rows, r =>
            {
                Assert.Equal(Pb.TrialStatus.Completed, r.Status);
                Assert.Equal("good", r.Worker);
            });
        });
    }

    /// <summary>
    /// A local worker that exits 2 (bad input, or this machine cannot run the trials) is not restarted, since it would
    /// fail the same way; with none left the master says so and names the command for workers elsewhere.
    /// </summary>
    [Fact]
    public async Task Local_worker_exiting_2_is_not_restarted_and_the_master_says_none_is_left()
    {
        using var world = new TestWorld(output, "exit2");
        await world.RunAsync(async () =>
        {
            string runs = Path.Combine(world.Root, "runs.txt");
            string fake = Path.Combine(world.Root, "fake-worker.sh");
            await File.WriteAllTextAsync(fake, $"#!/bin/sh\necho started >> '{runs}'\necho 'error: --storage: this machine has no such mount' >&2\nexit 2\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string config = world.WriteConfig(Configs.Search("e2e-exit2", [(2, 1, null)]));
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--local-workers", "1"],
                env: new Dictionary<string, string> { ["CVLEARN_WORKER"] = fake });
            string stopped = await master.Process.WaitForLineAsync(l => l.Contains("Local worker local-1 cannot work here and stopped", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "the local worker's stop");
            Assert.Contains("error: --storage: this machine has no such mount", stopped, StringComparison.Ordinal);
            await master.Process.WaitForLineAsync(l => l.Contains("None of the 1 local workers is left", StringComparison.Ordinal)
                && l.Contains("cvlearn-worker join --master http://127.0.0.1:", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "that no local worker is left");
            await Task.Delay(3000); // a restart would come 2 s after the exit
            Assert.Single(await File.ReadAllLinesAsync(runs));
            Assert.False(master.Process.HasExited, "the master stopped instead of waiting for other workers");
        });
    }

    [Fact]
    public async Task Killed_worker_its_trial_is_requeued_and_resumed_by_the_other_worker()
    {
        using var world = new TestWorld(output, "deadworker");
        await world.RunAsync(async () =>
        {
            const int Epochs = 8;
            string config = world.WriteConfig(Configs.Search("e2e-dead", [(1, Epochs, null)], trainLimit: TrialImages, model: "fc:256", ensembleTop: 1));
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "4", "--heartbeat-seconds", "1"]);
            var workers = new Dictionary<string, ChildProcess> { ["w1"] = world.StartWorker(master.Grpc, "w1"), ["w2"] = world.StartWorker(master.Grpc, "w2") };
            var client = world.Client(master.Grpc);

            var before = await TestWorld.PollAsync(client,
                b => b.Rows.Count == 1 && b.Rows[0].Status == Pb.TrialStatus.Running && b.Rows[0].EpochsDone >= 1 && !string.IsNullOrEmpty(b.Rows[0].CheckpointKey),
                TimeSpan.FromSeconds(90), "the first epoch's checkpoint to be reported", 50);
            var row = before.Rows[0];
            Assert.True(row.EpochsDone < Epochs - 1, $"the trial ran too fast to be killed mid-trial (epochs_done {row.EpochsDone})");
            Assert.Equal(1, row.Attempt);
            string victim = row.Worker, survivor = victim == "w1" ? "w2" : "w1";
            Assert.True(workers.ContainsKey(victim), $"trial runs on unknown worker '{victim}'");
            var firstEpochs = row.ValAccHistory.ToList();
            workers[victim].KillHard();
            Assert.True(await workers[victim].WaitForExitAsync(TimeSpan.FromSeconds(10)));

            var requeued = await TestWorld.PollAsync(client, b => b.Rows[0].Attempt >= 2, TimeSpan.FromSeconds(30), "the trial to be requeued (attempt 2)", 100);
            Assert.Equal(2, requeued.Rows[0].Attempt);
            var done = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(90), "the search to finish");
            var final = done.Rows[0];
            Assert.Equal(Pb.TrialStatus.Completed, final.Status);
            Assert.Equal(2, final.Attempt);
            Assert.Equal(survivor, final.Worker);
            Assert.Equal(final.EpochsTotal, final.EpochsDone);
            Assert.Equal(Epochs, final.ValAccHistory.Count);
            // Resumed, not restarted: the epochs the first attempt reported are kept and the survivor says it resumed.
            for (int e = 0; e < firstEpochs.Count; e++) Assert.Equal(firstEpochs[e], final.ValAccHistory[e], 9);
            string resumed = await workers[survivor].WaitForLineAsync(l => l.Contains("resuming from", StringComparison.Ordinal) && l.Contains(row.TrialId, StringComparison.Ordinal),
                TimeSpan.FromSeconds(5), "that it resumes the trial from its checkpoint");
            // From the latest checkpoint: its name's epoch is the resume epoch, at least the epochs seen before the kill.
            var m = System.Text.RegularExpressions.Regex.Match(resumed, @"resuming from (\S+_ep(\d+)\.ckpt) \(epoch (\d+)\)");
            Assert.True(m.Success, "unexpected resume line: " + resumed);
            int keyEpoch = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            int resumeEpoch = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(keyEpoch, resumeEpoch);
            Assert.True(resumeEpoch >= firstEpochs.Count, $"resumed after epoch {resumeEpoch}, but {firstEpochs.Count} epoch(s) were reported before the kill");
            Assert.StartsWith(row.CheckpointKey[..(row.CheckpointKey.LastIndexOf('/') + 1)], m.Groups[1].Value, StringComparison.Ordinal);
            Assert.False(workers[survivor].Output.Contains("starting fresh", StringComparison.Ordinal), "the survivor could not use the resume checkpoint");
            Assert.Equal(0, await workers[survivor].ExitCodeAsync(TimeSpan.FromSeconds(30)));
        });
    }

    /// <summary>SIGTERM of the worker running a trial: it leaves at once (exit 0), the master requeues without waiting for the lease.</summary>
    [Fact]
    public async Task Sigterm_worker_leaves_cleanly_and_the_trial_moves_to_the_other_worker_at_once()
    {
        using var world = new TestWorld(output, "graceful");
        await world.RunAsync(async () =>
        {
            const int Epochs = 8;
            string config = world.WriteConfig(Configs.Search("e2e-leave", [(1, Epochs, null)], trainLimit: TrialImages, model: "fc:256", ensembleTop: 1));
            // A long lease: a requeue within a few seconds can only come from Leave.
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "60", "--heartbeat-seconds", "1"]);
            var workers = new Dictionary<string, ChildProcess> { ["w1"] = world.StartWorker(master.Grpc, "w1"), ["w2"] = world.StartWorker(master.Grpc, "w2") };
            var client = world.Client(master.Grpc);

            var before = await TestWorld.PollAsync(client, b => b.Rows.Count == 1 && b.Rows[0].Status == Pb.TrialStatus.Running && b.Rows[0].EpochsDone >= 1,
                TimeSpan.FromSeconds(90), "the first epoch to be reported", 50);
            string leaver = before.Rows[0].Worker, other = leaver == "w1" ? "w2" : "w1";
            Assert.True(before.Rows[0].EpochsDone < Epochs - 1, $"the trial ran too fast (epochs_done {before.Rows[0].EpochsDone})");
            var signalled = DateTime.UtcNow;
            workers[leaver].Terminate();
            int code = await workers[leaver].ExitCodeAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, code);
            Assert.True(DateTime.UtcNow - signalled < TimeSpan.FromSeconds(8), $"the worker took {(DateTime.UtcNow - signalled).TotalSeconds:F1} s to leave");

            var moved = await TestWorld.PollAsync(client, b => b.Rows[0].Attempt >= 2 && b.Rows[0].Worker == other, TimeSpan.FromSeconds(10),
                "the trial to be requeued at once and picked up by the other worker");
            Assert.Equal(2, moved.Rows[0].Attempt);
            var done = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(90), "the search to finish");
            Assert.Equal(Pb.TrialStatus.Completed, done.Rows[0].Status);
            Assert.Equal(other, done.Rows[0].Worker);
            Assert.Equal(Epochs, done.Rows[0].EpochsDone);
            Assert.Equal(Epochs, done.Rows[0].ValAccHistory.Count);
            Assert.Contains("requeued: True", workers[leaver].Output, StringComparison.Ordinal);
            Assert.Equal(0, await workers[other].ExitCodeAsync(TimeSpan.FromSeconds(30)));
        });
    }

    /// <summary>
    /// The master is stopped (SIGTERM) after some trials finished and started again with the same command: the worker
    /// rides it out, the search finishes, every trial is there exactly once and earlier results are kept.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Restarted_master_carries_on_from_its_state_file(bool killHard)
    {
        using var world = new TestWorld(output, killHard ? "restart9" : "restart");
        await world.RunAsync(async () =>
        {
            const int Trials = 8;
            // Trials long enough (~0.5 s of training each on this machine) that most of them are still to run when the
            // master goes down, 0.6 s after the second one finished: with 8,000 images a trial took 0.18 s once
            // checkpoints got cheaper, and the whole search could end before the kill.
            string config = world.WriteConfig(Configs.Search("e2e-restart", [(Trials, 2, null)], trainLimit: 30000, model: "fc:256", ensembleTop: 2));
            int grpcPort = TestWorld.FreePort(), httpPort = TestWorld.FreePort();
            string[] flags = ["--lease-seconds", "10", "--heartbeat-seconds", "1"];
            var master1 = await world.StartMasterAsync(config, grpcPort, httpPort, flags, "master-1");
            var worker = world.StartWorker(master1.Grpc, "w1");
            var client = world.Client(master1.Grpc);

            var early = await TestWorld.PollAsync(client, b => b.Rows.Count(r => r.Status == Pb.TrialStatus.Completed) >= 2,
                TimeSpan.FromSeconds(120), "two finished trials", 100);
            if (killHard)
            {
                // A crash: only what the master had persisted survives. Give the state persister a moment first.
                early = await client.GetLeaderboardAsync(new Pb.LeaderboardRequest(), CvLearn.Protos.Rpc.CallOptions.WithTimeout(TimeSpan.FromSeconds(5)));
                await Task.Delay(600);
                master1.Process.KillHard();
                Assert.True(await master1.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            }
            else
            {
                master1.Process.Terminate();
                Assert.Equal(0, await master1.Process.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            }

            Assert.True(early.Rows.Count(r => r.Status == Pb.TrialStatus.Pending) >= 2, "too few trials left for the restarted master: " + early);
            // What the first master had recorded when it stopped (the state file is saved on shutdown and as it changes).
            var finishedBefore = early.Rows.Where(r => r.Status == Pb.TrialStatus.Completed).ToDictionary(r => r.TrialId);
            Assert.False(worker.HasExited, "the worker gave up while the master was down");

            var master2 = await world.StartMasterAsync(config, grpcPort, httpPort, flags, "master-2");
            Assert.Contains("resumed from the saved state", master2.Process.Output, StringComparison.Ordinal);
            var done = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(120), "the search to finish after the restart", 250);
            Assert.Equal(0, await worker.ExitCodeAsync(TimeSpan.FromSeconds(30)));

            Assert.Equal(Trials, done.TotalTrials);
            Assert.Equal(Trials, done.Rows.Count);
            Assert.Equal(Enumerable.Range(0, Trials).ToHashSet(), done.Rows.Select(r => r.Index).ToHashSet());
            Assert.All(done.Rows, r => Assert.True(r.Status == Pb.TrialStatus.Completed, $"{r.TrialId}: {r.Status} {r.Message}"));
            foreach (var (id, before) in finishedBefore)
            {
                var after = done.Rows.Single(r => r.TrialId == id);
                Assert.Equal(before.BestValAcc, after.BestValAcc, 12);
                Assert.Equal(before.CheckpointKey, after.CheckpointKey);
                Assert.Equal(before.Attempt, after.Attempt);
                Assert.Equal(before.ValAccHistory, after.ValAccHistory);
            }

            // Exactly once: one checkpoint directory per trial, and trials finished before the restart were not run again
            // (a rerun would have written another epoch-1 checkpoint next to the first).
            string experimentDir = Path.Combine(world.Storage, "e2e-restart");
            Assert.Equal(Trials, Directory.GetDirectories(experimentDir).Length);
            foreach (var before in finishedBefore.Values)
            {
                string trialDir = Path.GetDirectoryName(Path.Combine(world.Storage, before.CheckpointKey))!;
                Assert.Equal(2, Directory.GetFiles(trialDir, "*.ckpt").Length);
            }
        });
    }
}
