using System.Net;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;

namespace CvLearn.Protos.Tests;

/// <summary>The search contract served and called through the wire layer, as master and worker will use it.</summary>
public sealed class SearchServiceContractTests
{
    [Fact]
    public async Task WorkerLoop_JoinAcquireReportComplete_AndWatchLeaderboard()
    {
        var completed = new TaskCompletionSource<TrialResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        GrpcServiceBinder binder = new GrpcServiceBinder(SearchServiceClient.Service)
            .Unary<JoinRequest, JoinResponse>("Join", (r, c) => Task.FromResult(new JoinResponse
            {
                WorkerId = "w-" + r.WorkerName, Experiment = "exp", LeaseMs = 30_000, HeartbeatIntervalMs = 5_000,
            }))
            .Unary<AcquireTrialRequest, AcquireTrialResponse>("AcquireTrial", (r, c) => Task.FromResult(new AcquireTrialResponse
            {
                Trial = new TrialAssignment
                {
                    TrialId = "t1", Attempt = 1, Epochs = 3, Seed = ulong.MaxValue,
                    Hyperparameters = new HyperParameters { LearningRate = 1e-3, Reg = 1e-4, Optimizer = Optimizer.Adam, Extra = { ["warmup"] = "2" } },
                    Dataset = new DatasetSpec { Name = "synthetic", TrainLimit = 100 },
                },
            }))
            .Unary<EpochReport, EpochReply>("ReportEpoch", (r, c) => Task.FromResult(new EpochReply
            {
                Decision = r.Epoch >= 2 ? Decision.Stop : Decision.Continue, Reason = r.Epoch >= 2 ? "early stop" : "",
            }))
            .Unary<TrialResult, CompleteReply>("CompleteTrial", (r, c) =>
            {
                completed.TrySetResult(r);
                return Task.FromResult(new CompleteReply());
            })
            .ServerStreaming<LeaderboardRequest, Leaderboard>("WatchLeaderboard", async (r, w, c) =>
            {
                for (int i = 0; i < 3; i++)
                {
                    await w.WriteAsync(new Leaderboard { TotalTrials = i + 1, Finished = i == 2 });
                }
            });

        await using GrpcServer server = await GrpcServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), null, [binder]);
        using var channel = new RpcChannel(server.Address);
        var client = new SearchServiceClient(channel);

        JoinResponse join = await client.JoinAsync(new JoinRequest { WorkerName = "a", Cores = 2 });
        Assert.Equal("w-a", join.WorkerId);
        AcquireTrialResponse acquired = await client.AcquireTrialAsync(new AcquireTrialRequest { WorkerId = join.WorkerId });
        Assert.Equal(AcquireTrialResponse.ResultOneofCase.Trial, acquired.ResultCase);
        Assert.Equal(ulong.MaxValue, acquired.Trial.Seed);
        Assert.Equal(Optimizer.Adam, acquired.Trial.Hyperparameters.Optimizer);
        Assert.Equal("2", acquired.Trial.Hyperparameters.Extra["warmup"]);

        int epoch = 0;
        EpochReply reply;
        do
        {
            epoch++;
            reply = await client.ReportEpochAsync(new EpochReport { WorkerId = join.WorkerId, TrialId = "t1", Attempt = 1, Epoch = epoch, ValAcc = 0.1 * epoch });
        }
        while (reply.Decision == Decision.Continue);
        Assert.Equal(2, epoch);
        Assert.Equal("early stop", reply.Reason);

        await client.CompleteTrialAsync(new TrialResult { WorkerId = join.WorkerId, TrialId = "t1", Attempt = 1, Status = TrialStatus.Stopped, BestValAcc = 0.2, TestAcc = 0.19 });
        TrialResult result = await completed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.HasTestAcc);
        Assert.Equal(TrialStatus.Stopped, result.Status);

        using ServerStreamingCall<Leaderboard> watch = client.WatchLeaderboard(new LeaderboardRequest { Top = 10 });
        var boards = new List<Leaderboard>();
        await foreach (Leaderboard board in watch.ReadAllAsync())
        {
            boards.Add(board);
        }

        Assert.Equal([1, 2, 3], boards.Select(b => b.TotalTrials));
        Assert.True(boards[^1].Finished);

        // Leave is not bound by this master: the generic UNIMPLEMENTED path.
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.LeaveAsync(new LeaveRequest { WorkerId = join.WorkerId }));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }
}
