using CvLearn.Protos.Rpc;

namespace CvLearn.Master.Commands;

/// <summary>The error for a master that is not there (--master itself is parsed by <see cref="GrpcAddress.Parse"/>).</summary>
public static class MasterAddress
{
    /// <summary>An error that says the master is not there, rather than the transport's words alone.</summary>
    public static Exception Unreachable(Uri master, RpcException e) => e.StatusCode == StatusCode.Unavailable
        ? new IOException($"cannot reach the master at {master}: {e.Status.Detail}. Is `cvlearn-master serve` running there, and is that its --grpc-port?", e)
        : new IOException($"the master at {master} answered {e.StatusCode}: {e.Status.Detail}", e);
}
