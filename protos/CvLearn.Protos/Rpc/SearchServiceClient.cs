using Google.Protobuf.Reflection;
using CvLearn.Protos.V1;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// Typed client of <c>cvlearn.v1.SearchService</c>: one method per RPC, paths taken from the
/// generated descriptor. Failures throw <see cref="RpcException"/> (UNAVAILABLE when the master is
/// unreachable, DEADLINE_EXCEEDED, ...). Thread-safe; shares the channel's connections.
/// </summary>
public sealed class SearchServiceClient
{
    /// <summary>The service descriptor from search.proto.</summary>
    public static readonly ServiceDescriptor Service = SearchReflection.Descriptor.FindTypeByName<ServiceDescriptor>("SearchService");

    private static readonly MethodDescriptor JoinMethod = Method("Join");
    private static readonly MethodDescriptor AcquireTrialMethod = Method("AcquireTrial");
    private static readonly MethodDescriptor ReportEpochMethod = Method("ReportEpoch");
    private static readonly MethodDescriptor CompleteTrialMethod = Method("CompleteTrial");
    private static readonly MethodDescriptor HeartbeatMethod = Method("Heartbeat");
    private static readonly MethodDescriptor GetLeaderboardMethod = Method("GetLeaderboard");
    private static readonly MethodDescriptor WatchLeaderboardMethod = Method("WatchLeaderboard");
    private static readonly MethodDescriptor GetTopCheckpointsMethod = Method("GetTopCheckpoints");
    private static readonly MethodDescriptor LeaveMethod = Method("Leave");

    private readonly RpcChannel _channel;

    /// <summary>Creates a client over <paramref name="channel"/> (not owned).</summary>
    public SearchServiceClient(RpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
    }

    /// <summary>Registers this worker.</summary>
    public Task<JoinResponse> JoinAsync(JoinRequest request, CallOptions options = default)
        => _channel.CallUnaryAsync<JoinRequest, JoinResponse>(JoinMethod, request, options);

    /// <summary>Asks for the next trial.</summary>
    public Task<AcquireTrialResponse> AcquireTrialAsync(AcquireTrialRequest request, CallOptions options = default)
        => _channel.CallUnaryAsync<AcquireTrialRequest, AcquireTrialResponse>(AcquireTrialMethod, request, options);

    /// <summary>Reports a finished epoch.</summary>
    public Task<EpochReply> ReportEpochAsync(EpochReport request, CallOptions options = default)
        => _channel.CallUnaryAsync<EpochReport, EpochReply>(ReportEpochMethod, request, options);

    /// <summary>Reports the end of a trial.</summary>
    public Task<CompleteReply> CompleteTrialAsync(TrialResult request, CallOptions options = default)
        => _channel.CallUnaryAsync<TrialResult, CompleteReply>(CompleteTrialMethod, request, options);

    /// <summary>Extends the lease of the running trial.</summary>
    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CallOptions options = default)
        => _channel.CallUnaryAsync<HeartbeatRequest, HeartbeatReply>(HeartbeatMethod, request, options);

    /// <summary>One leaderboard snapshot.</summary>
    public Task<Leaderboard> GetLeaderboardAsync(LeaderboardRequest request, CallOptions options = default)
        => _channel.CallUnaryAsync<LeaderboardRequest, Leaderboard>(GetLeaderboardMethod, request, options);

    /// <summary>Leaderboard snapshots as the search progresses; dispose the call to stop watching.</summary>
    public ServerStreamingCall<Leaderboard> WatchLeaderboard(LeaderboardRequest request, CallOptions options = default)
        => _channel.CallServerStreaming<LeaderboardRequest, Leaderboard>(WatchLeaderboardMethod, request, options);

    /// <summary>The k best checkpoints.</summary>
    public Task<TopCheckpoints> GetTopCheckpointsAsync(TopCheckpointsRequest request, CallOptions options = default)
        => _channel.CallUnaryAsync<TopCheckpointsRequest, TopCheckpoints>(GetTopCheckpointsMethod, request, options);

    /// <summary>Says the worker is stopping so its trial is requeued.</summary>
    public Task<LeaveReply> LeaveAsync(LeaveRequest request, CallOptions options = default)
        => _channel.CallUnaryAsync<LeaveRequest, LeaveReply>(LeaveMethod, request, options);

    private static MethodDescriptor Method(string name) =>
        Service.FindMethodByName(name) ?? throw new InvalidOperationException($"search.proto has no method {name}: the generated code is out of date.");
}
