using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CvLearn.Core.Checkpoints;
using CvLearn.Protos.V1;
using CvLearn.Worker.Commands;
using CvLearn.Worker.Master;

namespace CvLearn.Worker.Tests;

/// <summary>The join loop against a scripted in-process master, on a tiny generated dataset.</summary>
public sealed class JoinLoopTests : IDisposable
{
    private readonly TempDir _data = new();
    private readonly TempDir _store = new();
    private readonly ListLogger _log = new();

    public JoinLoopTests()
    {
        Trials.Init();
        TinyDataset.Write(_data.Path);
    }

    public void Dispose()
    {
        _data.Dispose();
        _store.Dispose();
    }

    private (MasterConnection Connection, WorkerSession Session) Connect(Uri address, TimeSpan? giveUp = null)
    {
        var connection = new MasterConnection(address,
            new JoinRequest { WorkerName = "test-worker", Cores = Environment.ProcessorCount, Threads = 1, Version = "test", Hostname = "localhost" },
            new MasterConnectionOptions
            {
                CallTimeout = TimeSpan.FromSeconds(5),
                GiveUpAfter = giveUp ?? TimeSpan.FromSeconds(60),
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(500),
                BreakDuration = TimeSpan.FromMilliseconds(500),
            }, _log);
        return (connection, new WorkerSession(connection, new WorkerSessionOptions(), _log));
    }

    private async Task<bool> RunSessionAsync(Uri address, TimeSpan? giveUp = null)
    {
        var (connection, session) = Connect(address, giveUp);
        using (connection)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            return await session.RunAsync(() => "test timeout", timeout.Token);
        }
    }

    private string Log => string.Join("\n", _log.Lines);

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the master takes the last epoch inside CompleteTrial
    public async Task RunsATrialAndStoresEachEpochsCheckpointUnderThePrefixNamedByTheReportedAccuracy(bool acceptsFinalEpoch)
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        master.AcceptsFinalEpoch = acceptsFinalEpoch;
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 3));

        Assert.True(await RunSessionAsync(master.Address), Log);

        var result = Assert.Single(master.Results);
        Assert.Equal(acceptsFinalEpoch ? [1, 2] : [1, 2, 3], master.Reports.Select(r => r.Epoch));
        Assert.Equal(acceptsFinalEpoch, result.FinalEpoch is not null);
        var reports = acceptsFinalEpoch ? [.. master.Reports, result.FinalEpoch!] : master.Reports;
        Assert.Equal([1, 2, 3], reports.Select(r => r.Epoch));
        foreach (var r in reports)
        {
            Assert.Equal(r == result.FinalEpoch ? "" : "w-1", r.WorkerId); // inside the result, the result's ids apply
            Assert.Equal("trial-0001", r.TrialId);
            Assert.Equal(1, r.Attempt);
            Assert.StartsWith("exp/trial-0001/", r.CheckpointKey, StringComparison.Ordinal);
            Assert.True(CheckpointName.TryParse(r.CheckpointKey, out double acc, out int epoch), r.CheckpointKey);
            Assert.Equal(r.Epoch, epoch);
            Assert.Equal(r.ValAcc.ToString("0.0000", CultureInfo.InvariantCulture), acc.ToString("0.0000", CultureInfo.InvariantCulture));
            string path = Path.Combine(_store.Path, r.CheckpointKey);
            Assert.True(File.Exists(path), path);
            var checkpoint = await CheckpointFile.LoadAsync(path);
            Assert.Equal("trial-0001", checkpoint.Metadata["trial"]);
            Assert.Equal(r.Epoch.ToString(CultureInfo.InvariantCulture), checkpoint.Metadata["epoch"]);
            Assert.Equal("7", checkpoint.Metadata["split_seed"]);
            Assert.Equal("step:1:0.95", checkpoint.Hyperparameters["lr_schedule"]); // = lr_decay:0.95
        }
        Assert.Equal(0.003 * 0.95 * 0.95, reports[2].LearningRate, 9);

        Assert.Equal(TrialStatus.Completed, result.Status);
        Assert.Equal(3, result.EpochsDone);
        var best = reports.MaxBy(r => r.ValAcc)!;
        Assert.Equal(best.ValAcc, result.BestValAcc);
        Assert.Equal(best.CheckpointKey, result.BestCheckpointKey);
        Assert.True(result.BestValAcc > 0.5, $"best val_acc {result.BestValAcc}");
        Assert.Empty(master.Leaves);
    }

    [Fact]
    public async Task StopInAnEpochReplyStopsTrainingAndCompletesAsStopped()
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        master.OnReport = r => new EpochReply { Decision = r.Epoch >= 2 ? Decision.Stop : Decision.Continue, Reason = "early stop" };
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 10));

        Assert.True(await RunSessionAsync(master.Address), Log);

        Assert.Equal([1, 2], master.Reports.Select(r => r.Epoch));
        var result = Assert.Single(master.Results);
        Assert.Equal(TrialStatus.Stopped, result.Status);
        Assert.Equal(2, result.EpochsDone);
        Assert.Equal("early stop", result.Message);
        Assert.NotEmpty(result.BestCheckpointKey);
    }

    [Fact]
    public async Task HeartbeatsReportProgressAndAStopAnswerCancelsTheEpochPromptly()
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        master.HeartbeatIntervalMs = 20;
        int beats = 0;
        // Stop once training is under way (the first beats may come while the data is being prepared).
        master.OnHeartbeat = h => new HeartbeatReply
        {
            Decision = Interlocked.Increment(ref beats) >= 3 && h.EpochFraction > 0 ? Decision.Stop : Decision.Continue,
            Reason = "lease lost",
        };
        // Batch size 1 on a wider net: one epoch takes about a second even with the code already compiled (an earlier
        // test trained), some 15 times as long as three heartbeats.
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 5, model: "fc:512-512", batch: 1));

        var clock = Stopwatch.StartNew();
        Assert.True(await RunSessionAsync(master.Address), Log);

        var result = Assert.Single(master.Results);
        Assert.Equal(TrialStatus.Stopped, result.Status);
        Assert.Equal(0, result.EpochsDone);
        Assert.Equal("lease lost", result.Message);
        Assert.Empty(master.Reports);
        var heartbeats = master.Heartbeats;
        Assert.True(heartbeats.Count >= 3);
        Assert.All(heartbeats, h =>
        {
            Assert.Equal("trial-0001", h.TrialId);
            Assert.Equal(1, h.Attempt);
            Assert.Equal(1, h.Epoch);
            Assert.InRange(h.EpochFraction, 0, 1);
        });
        Assert.Contains(heartbeats, h => h.EpochFraction > 0 && double.IsFinite(h.RunningLoss) && h.RunningLoss > 0);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ResumesFromTheResumeKeyAtTheNextEpoch()
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 2, trialId: "trial-0002"));
        Assert.True(await RunSessionAsync(master.Address), Log);
        var first = master.Reports;
        Assert.Equal([1, 2], first.Select(r => r.Epoch));

        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 4, trialId: "trial-0002", attempt: 2, resumeKey: first[1].CheckpointKey));
        Assert.True(await RunSessionAsync(master.Address), Log);

        var second = master.Reports.Where(r => r.Attempt == 2).ToList();
        Assert.True(second.Select(r => r.Epoch).SequenceEqual([3, 4]), string.Join(",", second.Select(r => r.Epoch)) + "\n" + Log);
        var result = master.Results.Single(r => r.Attempt == 2);
        Assert.Equal(TrialStatus.Completed, result.Status);
        Assert.Equal(4, result.EpochsDone);
        double bestAcc = first.Concat(second).Max(r => r.ValAcc);
        Assert.Equal(bestAcc, result.BestValAcc);
        Assert.Equal(first.Concat(second).First(r => r.ValAcc == bestAcc).CheckpointKey, result.BestCheckpointKey);
        Assert.Contains("resuming from", Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACorruptResumeCheckpointIsLoggedAndTheTrialStartsFresh()
    {
        string key = "exp/trial-0003/val0.5000_ep02.ckpt";
        Directory.CreateDirectory(Path.Combine(_store.Path, "exp", "trial-0003"));
        await File.WriteAllTextAsync(Path.Combine(_store.Path, key), "not a checkpoint");
        await using var master = await FakeMaster.StartAsync(_store.Path);
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 2, trialId: "trial-0003", attempt: 2, resumeKey: key));
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 1, trialId: "trial-0004", attempt: 2, resumeKey: "exp/trial-0004/val0.9000_ep01.ckpt"));

        Assert.True(await RunSessionAsync(master.Address), Log);

        Assert.Equal([1, 2, 1], master.Reports.Select(r => r.Epoch));
        Assert.All(master.Results, r => Assert.Equal(TrialStatus.Completed, r.Status));
        Assert.Equal(2, _log.Lines.Count(l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("starting fresh", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RetriesWhileTheMasterIsUnavailableAndCarriesOnWhenItIsBack()
    {
        int port = Net.FreePort();
        await using var master = new FakeMaster(_store.Path);
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 1));
        var (connection, session) = Connect(new Uri($"http://127.0.0.1:{port}"));
        using (connection)
        {
            var run = session.RunAsync(() => "test", CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(run.IsCompleted);
            await master.StartServerAsync(port);
            var done = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.Same(run, done);
            Assert.True(await run, Log);
        }
        Assert.Equal(TrialStatus.Completed, Assert.Single(master.Results).Status);
        Assert.Contains(_log.Lines, l => l.Contains("Join to", StringComparison.Ordinal) && l.Contains("Unavailable", StringComparison.Ordinal) && l.Contains("retry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GivesUpWithAClearErrorWhenTheMasterStaysAway()
    {
        int port = Net.FreePort();
        var (connection, session) = Connect(new Uri($"http://127.0.0.1:{port}"), giveUp: TimeSpan.FromSeconds(2));
        using (connection)
        {
            var ex = await Assert.ThrowsAsync<MasterUnavailableException>(() => session.RunAsync(() => "test", CancellationToken.None));
            Assert.Contains("did not answer Join", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NotFoundForTheWorkerIdMakesTheWorkerJoinAgainAndCarryOn()
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        master.HeartbeatIntervalMs = 60_000;
        master.OnReport = r =>
        {
            if (r.Epoch == 1) master.ForgetWorkers(); // "restart": the next call with w-1 gets NOT_FOUND
            return new EpochReply { Decision = Decision.Continue };
        };
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 3));

        Assert.True(await RunSessionAsync(master.Address), Log);

        Assert.Equal(2, master.Joins.Count);
        Assert.Equal(["w-1", "w-2", "w-2"], master.Reports.Select(r => r.WorkerId));
        var result = Assert.Single(master.Results);
        Assert.Equal("w-2", result.WorkerId);
        Assert.Equal(TrialStatus.Completed, result.Status);
        Assert.Equal(3, result.EpochsDone);
    }

    [Fact]
    public async Task CancellationStopsTheTrialAndLeavesWithIt()
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 500));
        var (connection, session) = Connect(master.Address);
        using (connection)
        {
            using var shutdown = new CancellationTokenSource();
            var run = session.RunAsync(() => "Ctrl-C", shutdown.Token);
            await master.FirstReport.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var clock = Stopwatch.StartNew();
            await shutdown.CancelAsync();
            Assert.False(await run.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }
        var leave = Assert.Single(master.Leaves);
        Assert.Equal("w-1", leave.WorkerId);
        Assert.Equal("trial-0001", leave.TrialId);
        Assert.Equal(1, leave.Attempt);
        Assert.Equal("Ctrl-C", leave.Reason);
        Assert.Empty(master.Results);
    }

    [Fact]
    public async Task JoinCommandExitsZeroWhenTheSearchIsFinishedAndTwoOnABadMasterAddress()
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 1));
        var root = new RootCommand { JoinCommand.Create() };
        int code = await CliRunner.RunAsync(root, ["join", "--master", master.Address.ToString(), "--threads", "1", "--data-dir", _data.Path, "--name", "cli"]);
        Assert.Equal(0, code);
        var join = Assert.Single(master.Joins);
        Assert.Equal("cli", join.WorkerName);
        Assert.Equal(1, join.Threads);
        Assert.Equal(Environment.ProcessorCount, join.Cores);
        Assert.False(string.IsNullOrEmpty(join.Version));
        Assert.Equal(TrialStatus.Completed, Assert.Single(master.Results).Status);

        Assert.Equal(2, await CliRunner.RunAsync(new RootCommand { JoinCommand.Create() }, ["join", "--master", "http://localhost"]));
        Assert.Equal(2, await CliRunner.RunAsync(new RootCommand { JoinCommand.Create() }, ["join", "--master", "http://x:1", "--threads", "0"]));
    }

    [Fact]
    public void ThreadsDefaultToCoresPerLocalWorker()
    {
        Assert.Equal(3, JoinCommand.ResolveThreads(3));
        string? saved = Environment.GetEnvironmentVariable(JoinCommand.LocalWorkersVariable);
        try
        {
            Environment.SetEnvironmentVariable(JoinCommand.LocalWorkersVariable, "1000");
            Assert.Equal(1, JoinCommand.ResolveThreads(null));
            Environment.SetEnvironmentVariable(JoinCommand.LocalWorkersVariable, null);
            Assert.Equal(Environment.ProcessorCount, JoinCommand.ResolveThreads(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable(JoinCommand.LocalWorkersVariable, saved);
        }
    }
}
