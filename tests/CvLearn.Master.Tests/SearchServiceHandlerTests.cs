using System.Net;
using CvLearn.Master.Services;
using CvLearn.Protos.Rpc;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Tests;

/// <summary>The gRPC handlers over a real loopback server: acquire_next, the long poll, status codes of refusals.</summary>
public sealed class SearchServiceHandlerTests : IAsyncLifetime, IDisposable
{
    private GrpcServer? _server;
    private RpcChannel? _channel;
    private Trials.SearchCoordinator _coordinator = null!;

    private SearchServiceClient Client => new(_channel!);

    public async Task InitializeAsync()
    {
        // Two stages: 8 one-epoch trials, then 4 two-epoch trials planned from them once all 8 are done (stage 2 is not
        // started early, so that a worker can be left with nothing to do: EarlyStageTests covers starting it early).
        _coordinator = Drive.New(json: Drive.JsonNotEarly);
        _server = await GrpcServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), null, [new SearchServiceHandlers(_coordinator).Bind()]);
        _channel = new RpcChannel(_server.Address);
    }

    public async Task DisposeAsync()
    {
        Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    public void Dispose() => _channel?.Dispose();

    private async Task<string> JoinAsync(string name) => (await Client.JoinAsync(new Pb.JoinRequest { WorkerName = name, Cores = 2, Threads = 1 })).WorkerId;

    private static Pb.TrialResult Done(string worker, Pb.TrialAssignment t, bool next) => new()
    {
        WorkerId = worker, TrialId = t.TrialId, Attempt = t.Attempt, Status = Pb.TrialStatus.Completed, EpochsDone = t.Epochs, AcquireNext = next,
    };

    private async Task ReportAsync(string worker, Pb.TrialAssignment t)
    {
        for (int e = 1; e <= t.Epochs; e++)
        {
            var reply = await Client.ReportEpochAsync(new Pb.EpochReport
            {
                WorkerId = worker, TrialId = t.TrialId, Attempt = t.Attempt, Epoch = e, TrainLoss = 1, ValAcc = 0.5 + 0.01 * t.Index,
                CheckpointKey = t.CheckpointPrefix + Core.Checkpoints.CheckpointName.Format(0.5 + 0.01 * t.Index, e),
            });
            Assert.Equal(Pb.Decision.Continue, reply.Decision);
        }
    }

    [Fact]
    public async Task CompleteWithAcquireNext_HandsOutTheNextTrial_WithoutIt_NoneIsHandedOut()
    {
        string w = await JoinAsync("w");
        var first = (await Client.AcquireTrialAsync(new Pb.AcquireTrialRequest { WorkerId = w })).Trial;
        Assert.Equal("coord/trial-0000/", first.CheckpointPrefix);
        await ReportAsync(w, first);
        var reply = await Client.CompleteTrialAsync(Done(w, first, next: true));
        Assert.Equal(Pb.AcquireTrialResponse.ResultOneofCase.Trial, reply.Next.ResultCase);
        var second = reply.Next.Trial;
        Assert.NotEqual(first.TrialId, second.TrialId);
        Assert.Equal(Scheduling.TrialStatus.Running, _coordinator.Snapshot().Trials.Single(t => t.Id == second.TrialId).Status);

        await ReportAsync(w, second);
        var plain = await Client.CompleteTrialAsync(Done(w, second, next: false));
        Assert.Null(plain.Next);
    }

    [Fact]
    public async Task AnIdleWorker_IsAnsweredAsSoonAsTheNextStageIsPlanned_NotAfterPolling()
    {
        // w1..w8 hold all of stage 1; the idle worker's AcquireTrial is held until stage 2 exists (not started early here).
        var holders = new List<(string Worker, Pb.TrialAssignment Trial)>();
        for (int i = 0; i < 8; i++)
        {
            string w = await JoinAsync("w" + i);
            holders.Add((w, (await Client.AcquireTrialAsync(new Pb.AcquireTrialRequest { WorkerId = w })).Trial));
        }

        string idle = await JoinAsync("idle");
        var waiting = Client.AcquireTrialAsync(new Pb.AcquireTrialRequest { WorkerId = idle }, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "with nothing to hand out the call is held, not answered with a wait hint at once");
        foreach (var (w, t) in holders)
        {
            await ReportAsync(w, t);
            await Client.CompleteTrialAsync(Done(w, t, next: false));
        }

        var got = await waiting; // a long poll that ran out would answer a wait hint instead
        Assert.Equal(Pb.AcquireTrialResponse.ResultOneofCase.Trial, got.ResultCase);
        Assert.Equal(2, got.Trial.Stage);
    }

    [Fact]
    public async Task TheLastEpochInsideCompleteTrial_IsRecordedAsAReport_AndOneOutOfOrderRefusesTheWholeResult()
    {
        var join = await Client.JoinAsync(new Pb.JoinRequest { WorkerName = "w", Cores = 2, Threads = 1 });
        Assert.True(join.AcceptsFinalEpoch);
        string w = join.WorkerId;
        var t = (await Client.AcquireTrialAsync(new Pb.AcquireTrialRequest { WorkerId = w })).Trial;
        Assert.Equal(1, t.Epochs);
        Pb.EpochReport Epoch(int e) => new()
        {
            Epoch = e, TrainLoss = 0.7, ValAcc = 0.625, CheckpointKey = t.CheckpointPrefix + Core.Checkpoints.CheckpointName.Format(0.625, e),
        };

        var wrong = Done(w, t, next: false);
        wrong.FinalEpoch = Epoch(2); // the trial has one epoch
        var refused = await Assert.ThrowsAsync<RpcException>(() => Client.CompleteTrialAsync(wrong));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("epoch", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(Scheduling.TrialStatus.Running, _coordinator.Snapshot().Trials.Single(v => v.Id == t.TrialId).Status);

        var result = Done(w, t, next: false);
        result.FinalEpoch = Epoch(1); // no ReportEpoch before it: the result carries the trial's only epoch
        await Client.CompleteTrialAsync(result);
        var view = _coordinator.Snapshot().Trials.Single(v => v.Id == t.TrialId);
        Assert.Equal(Scheduling.TrialStatus.Completed, view.Status);
        Assert.Equal([1], view.History.Select(h => h.Epoch));
        Assert.Equal(0.625, view.BestValidationAccuracy);
        Assert.Equal(result.FinalEpoch.CheckpointKey, view.BestCheckpointKey);
    }

    [Fact]
    public async Task Refusals_MapToStatusCodes()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.AcquireTrialAsync(new Pb.AcquireTrialRequest { WorkerId = "w-nobody" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Join", unknown.Status.Detail, StringComparison.Ordinal);

        string w = await JoinAsync("w");
        var t = (await Client.AcquireTrialAsync(new Pb.AcquireTrialRequest { WorkerId = w })).Trial;
        var bad = await Assert.ThrowsAsync<RpcException>(() => Client.CompleteTrialAsync(new Pb.TrialResult
        {
            WorkerId = w, TrialId = t.TrialId, Attempt = t.Attempt, Status = Pb.TrialStatus.Running,
        }));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var top = await Assert.ThrowsAsync<RpcException>(() => Client.GetTopCheckpointsAsync(new Pb.TopCheckpointsRequest { K = 0 }));
        Assert.Equal(StatusCode.InvalidArgument, top.StatusCode);
    }
}
