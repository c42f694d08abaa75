using CvLearn.Protos.Rpc;

namespace CvLearn.Master.Commands;

/// <summary>--master of leaderboard and ensemble, and the error for a master that is not there.</summary>
public static class MasterAddress
{
    /// <summary>--master: the master's gRPC address (the one rule of <see cref="GrpcAddress.Parse"/>, as cvlearn-worker join has it).</summary>
    public static Uri Parse(string? value) => GrpcAddress.Parse(value);

    /// <summary>An error that says the master is not there, rather than the transport's words alone.</summary>
    public static Exception Unreachable(Uri master, RpcException e) => e.StatusCode == StatusCode.Unavailable
        ? new IOException($"cannot reach the master at {master}: {e.Status.Detail}. Is `cvlearn-master serve` running there, and is that its --grpc-port?", e)
        : new IOException($"the master at {master} answered {e.StatusCode}: {e.Status.Detail}", e);
}
