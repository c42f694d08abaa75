namespace CvLearn.Protos.Rpc;

/// <summary>
/// A call failed with a non-OK gRPC status. Thrown by the client for every failed call; thrown by a
/// server handler to fail the call with that status and message (other exceptions become UNKNOWN).
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception for <paramref name="status"/>.</summary>
    public RpcException(Status status, Exception? innerException = null)
        : this(status, null, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="status"/> with the trailers the server sent.</summary>
    public RpcException(Status status, Metadata? trailers, Exception? innerException = null)
        : base($"Status(StatusCode=\"{status.StatusCode}\", Detail=\"{status.Detail}\")", innerException)
    {
        Status = status;
        Trailers = trailers ?? new Metadata();
    }

    /// <summary>Shorthand for <c>new RpcException(new Status(code, detail))</c>.</summary>
    public RpcException(StatusCode code, string detail)
        : this(new Status(code, detail))
    {
    }

    /// <summary>The status of the failed call.</summary>
    public Status Status { get; }

    /// <summary>The status code of the failed call.</summary>
    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>Response trailers (custom metadata) received with the status; empty on the server side.</summary>
    public Metadata Trailers { get; }
}
