using System.Runtime.CompilerServices;

namespace CvLearn.Protos.Rpc;

/// <summary>Writes the response messages of a server-streaming call (server side).</summary>
public interface IServerStreamWriter<in T>
{
    /// <summary>
    /// Sends one message and flushes it (so a slow consumer applies HTTP/2 flow-control back-pressure
    /// here). Throws <see cref="RpcException"/> when the call is already finished (deadline, cancel).
    /// </summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>Reads the response messages of a server-streaming call (client side).</summary>
public interface IAsyncStreamReader<out T>
{
    /// <summary>The message read by the last successful <see cref="MoveNext"/>.</summary>
    T Current { get; }

    /// <summary>
    /// Advances to the next message; false at the end of a successful stream. A non-OK final status
    /// is thrown as <see cref="RpcException"/>.
    /// </summary>
    Task<bool> MoveNext(CancellationToken cancellationToken = default);
}

/// <summary>Helpers for <see cref="IAsyncStreamReader{T}"/>.</summary>
public static class AsyncStreamReaderExtensions
{
    /// <summary>Enumerates all remaining messages with <c>await foreach</c>.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(
        this IAsyncStreamReader<T> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.Current;
        }
    }
}
