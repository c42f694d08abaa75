using CvLearn.Protos.Rpc;

namespace CvLearn.Master.Commands;

/// <summary>Parses --master and opens a client to it.</summary>
public static class MasterAddress
{
    public static Uri Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException("--master: required, e.g. --master http://HOST:50051.");
        string v = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        if (!Uri.TryCreate(v, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.IsDefaultPort && !value.Contains(":80", StringComparison.Ordinal))
            throw new ArgumentException($"--master: '{value}' is not a master address; use http://HOST:PORT (the master's --grpc-port, 50051 by default).");
        return uri;
    }

    /// <summary>An error that says the master is not there, rather than the transport's words alone.</summary>
    public static Exception Unreachable(Uri master, RpcException e) => e.StatusCode == StatusCode.Unavailable
        ? new IOException($"cannot reach the master at {master}: {e.Status.Detail}. Is `cvlearn-master serve` running there, and is that its --grpc-port?", e)
        : new IOException($"the master at {master} answered {e.StatusCode}: {e.Status.Detail}", e);
}
