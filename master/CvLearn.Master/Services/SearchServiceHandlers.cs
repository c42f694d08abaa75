using CvLearn.Master.Trials;
using CvLearn.Protos.Rpc;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Services;

/// <summary>
/// The gRPC face of <see cref="SearchCoordinator"/>: thin adapters that translate messages (<see cref="ProtoMapping"/>)
/// and coordinator refusals into status codes (NOT_FOUND: join again; INVALID_ARGUMENT: fix the request).
/// </summary>
public sealed class SearchServiceHandlers
{
    /// <summary>WatchLeaderboard sends at most this many snapshots a second per watcher, however busy the search.</summary>
    private static readonly TimeSpan MinWatchInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// An AcquireTrial with nothing to hand out is held this long (less than any sane client deadline), answered as soon
    /// as a trial becomes ready — e.g. the next stage is planned — so idle workers start at once instead of polling.
    /// </summary>
    public static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(5);

    private readonly SearchCoordinator _coordinator;
    private readonly Func<long, CancellationToken, Task> _persisted;

    /// <param name="coordinator">The search.</param>
    /// <param name="persisted">
    /// Completes once the coordinator's changes up to a version are saved (StatePersister.WhenPersistedAsync): calls that
    /// change the search answer only then. Null: nothing is saved (tests, benchmarks of the logic alone).
    /// </param>
    public SearchServiceHandlers(SearchCoordinator coordinator, Func<long, CancellationToken, Task>? persisted = null)
    {
        _coordinator = coordinator ?? throw new ArgumentNullException(nameof(coordinator));
        _persisted = persisted ?? ((_, _) => Task.CompletedTask);
    }

    /// <summary>Binds every method of cvlearn.v1.SearchService.</summary>
    public GrpcServiceBinder Bind() => new GrpcServiceBinder(SearchServiceClient.Service)
        // Join and AcquireTrial answer at once: a worker forgotten by a crashed master joins again (NOT_FOUND), and a
        // lease handed out just before a crash is safe to lose (see SearchCoordinator.Restore). Reports, results and
        // goodbyes are saved before they are acknowledged.
        .Unary<Pb.JoinRequest, Pb.JoinResponse>("Join", (r, _) => Run(() => Join(r)))
        .Unary<Pb.AcquireTrialRequest, Pb.AcquireTrialResponse>("AcquireTrial", AcquireAsync)
        .Unary<Pb.EpochReport, Pb.EpochReply>("ReportEpoch", (r, c) => Durable(Run(() => Report(r)), c))
        .Unary<Pb.TrialResult, Pb.CompleteReply>("CompleteTrial", (r, c) => Durable(CompleteAsync(r, c), c))
        .Unary<Pb.HeartbeatRequest, Pb.HeartbeatReply>("Heartbeat", (r, _) => Run(() => Heartbeat(r)))
        .Unary<Pb.LeaderboardRequest, Pb.Leaderboard>("GetLeaderboard", (r, _) => Run(() => ProtoMapping.ToProto(_coordinator.Snapshot(), Top(r.Top))))
        .ServerStreaming<Pb.LeaderboardRequest, Pb.Leaderboard>("WatchLeaderboard", WatchAsync)
        .Unary<Pb.TopCheckpointsRequest, Pb.TopCheckpoints>("GetTopCheckpoints", (r, _) => Run(() => TopCheckpoints(r)))
        .Unary<Pb.LeaveRequest, Pb.LeaveReply>("Leave", (r, c) => Durable(Run(() => new Pb.LeaveReply
        {
            Requeued = _coordinator.Leave(r.WorkerId, r.TrialId, r.Attempt, r.Reason),
        }), c));

    /// <summary>Answers once the change the call made is saved, so a crash after the answer cannot forget it.</summary>
    private async Task<T> Durable<T>(Task<T> call, ServerCallContext context)
    {
        var reply = await call.ConfigureAwait(false);
        await _persisted(_coordinator.Version, context.CancellationToken).ConfigureAwait(false);
        return reply;
    }

    private Pb.JoinResponse Join(Pb.JoinRequest r)
    {
        if (r.Cores < 0 || r.Threads < 0) throw new CoordinatorException(CoordinatorErrorKind.InvalidArgument, "cores/threads: must not be negative.");
        var info = _coordinator.Join(new WorkerHello(r.WorkerName, r.Cores, r.Threads, r.Version, r.Hostname));
        return new Pb.JoinResponse
        {
            WorkerId = info.WorkerId,
            Experiment = info.Experiment,
            StorageHint = info.StorageHint,
            HeartbeatIntervalMs = (int)info.HeartbeatInterval.TotalMilliseconds,
            LeaseMs = (int)info.Lease.TotalMilliseconds,
            AcceptsFinalEpoch = true,
        };
    }

    private async Task<Pb.AcquireTrialResponse> AcquireAsync(Pb.AcquireTrialRequest r, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var now = DateTime.UtcNow;
        var until = now + LongPoll;
        if (context.Deadline - TimeSpan.FromSeconds(1) < until) until = context.Deadline - TimeSpan.FromSeconds(1);
        while (true)
        {
            long seen = _coordinator.Version;
            var outcome = await Run(() => _coordinator.Acquire(r.WorkerId)).ConfigureAwait(false);
            var left = until - DateTime.UtcNow;
            if (outcome is not AcquireOutcome.Wait || left <= TimeSpan.Zero) return ToProto(outcome);
            try
            {
                await _coordinator.WaitForChangeAsync(seen, ct).WaitAsync(left, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return ToProto(outcome);
            }
        }
    }

    private static Pb.AcquireTrialResponse ToProto(AcquireOutcome outcome) => outcome switch
    {
        AcquireOutcome.Assigned a => new Pb.AcquireTrialResponse { Trial = ProtoMapping.ToProto(a.Assignment) },
        AcquireOutcome.Wait w => new Pb.AcquireTrialResponse { Wait = new Pb.WaitHint { RetryAfterMs = (int)w.RetryAfter.TotalMilliseconds, Reason = w.Reason } },
        AcquireOutcome.Finished f => new Pb.AcquireTrialResponse { Finished = new Pb.SearchFinished { Reason = f.Reason } },
        _ => throw new InvalidOperationException("unknown acquire outcome"),
    };

    private Pb.EpochReply Report(Pb.EpochReport r)
    {
        var v = _coordinator.ReportEpoch(r.WorkerId, r.TrialId, r.Attempt, ProtoMapping.FromProto(r), r.CheckpointKey);
        return new Pb.EpochReply { Decision = Decision(v), Reason = v.Reason, LeaseDeadlineUnixMs = v.LeaseDeadline.ToUnixTimeMilliseconds() };
    }

    private Pb.HeartbeatReply Heartbeat(Pb.HeartbeatRequest r)
    {
        var v = _coordinator.Heartbeat(r.WorkerId, r.TrialId, r.Attempt, r.EpochFraction > 0 ? r.RunningLoss : null);
        return new Pb.HeartbeatReply { Decision = Decision(v), Reason = v.Reason, LeaseDeadlineUnixMs = v.LeaseDeadline.ToUnixTimeMilliseconds() };
    }

    private async Task<Pb.CompleteReply> CompleteAsync(Pb.TrialResult r, ServerCallContext context)
    {
        // The last epoch inside the result: recorded as its own ReportEpoch would be (its answer no longer matters:
        // training is over), and both are saved by the one durable acknowledgement of this call.
        if (r.FinalEpoch is { } last)
            await Run(() => _coordinator.ReportEpoch(r.WorkerId, r.TrialId, r.Attempt, ProtoMapping.FromProto(last), last.CheckpointKey)).ConfigureAwait(false);
        await Run(() => _coordinator.Complete(new Completion(r.WorkerId, r.TrialId, r.Attempt, ProtoMapping.FromProto(r.Status), r.Message, r.EpochsDone)))
            .ConfigureAwait(false);
        var reply = new Pb.CompleteReply();
        if (r.AcquireNext) reply.Next = await AcquireAsync(new Pb.AcquireTrialRequest { WorkerId = r.WorkerId }, context).ConfigureAwait(false);
        return reply;
    }

    private Pb.TopCheckpoints TopCheckpoints(Pb.TopCheckpointsRequest r)
    {
        var reply = new Pb.TopCheckpoints { Storage = _coordinator.Options.StorageHint };
        reply.Entries.AddRange(_coordinator.TopCheckpoints(r.K).Select(ProtoMapping.ToCheckpointEntry));

        return reply;
    }

    private async Task WatchAsync(Pb.LeaderboardRequest r, IServerStreamWriter<Pb.Leaderboard> writer, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        int top = Top(r.Top);
        while (!ct.IsCancellationRequested)
        {
            var snapshot = _coordinator.Snapshot();
            await writer.WriteAsync(ProtoMapping.ToProto(snapshot, top), ct).ConfigureAwait(false);
            if (snapshot.Finished) return;
            await Task.Delay(MinWatchInterval, ct).ConfigureAwait(false);
            await _coordinator.WaitForChangeAsync(snapshot.Version, ct).ConfigureAwait(false);
        }
    }

    private static int Top(int top) => top >= 0 ? top : throw new RpcException(StatusCode.InvalidArgument, $"top: must be >= 0 (0 = all), got {top}.");

    private static Pb.Decision Decision(Verdict v) => v.Stop ? Pb.Decision.Stop : Pb.Decision.Continue;

    private static Task<bool> Run(Action call) => Run(() =>
    {
        call();
        return true;
    });

    private static Task<T> Run<T>(Func<T> call)
    {
        try
        {
            return Task.FromResult(call());
        }
        catch (CoordinatorException e)
        {
            throw new RpcException(e.Kind == CoordinatorErrorKind.NotFound ? StatusCode.NotFound : StatusCode.InvalidArgument, e.Message);
        }
    }
}
