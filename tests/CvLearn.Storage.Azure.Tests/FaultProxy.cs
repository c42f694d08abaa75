using System.Net;
using System.Net.Sockets;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>What the proxy does with one accepted connection.</summary>
public abstract record Fault
{
    /// <summary>Forward both ways untouched.</summary>
    public sealed record Pass : Fault;

    /// <summary>Close the connection right after accepting it.</summary>
    public sealed record Drop : Fault;

    /// <summary>Forward this many client→server bytes, then reset (RST) both sides: a request broken off mid-body.</summary>
    public sealed record ResetAfter(long Bytes) : Fault;

    /// <summary>Hold back the server's answer this long (beyond a client timeout, for example).</summary>
    public sealed record Delay(TimeSpan By) : Fault;

    /// <summary>Answer the first request itself with this status (e.g. 503 with Retry-After) and close the connection.</summary>
    public sealed record Answer(int Status, int? RetryAfterSeconds) : Fault;
}

/// <summary>
/// A loopback TCP proxy between the store and Azurite that can drop, delay or reset connections, chosen per accepted
/// connection by <see cref="Policy"/> (argument: 0-based connection number).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;
    private readonly Task _acceptLoop;
    private int _connections;

    public FaultProxy(int targetPort, Func<int, Fault>? policy = null)
    {
        _target = targetPort;
        Policy = policy ?? (_ => new Fault.Pass());
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Func<int, Fault> Policy { get; set; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            int n = Interlocked.Increment(ref _connections) - 1;
            _ = Task.Run(() => HandleAsync(client, Policy(n)));
        }
    }

    private async Task HandleAsync(Socket client, Fault fault)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (fault is Fault.Drop)
            {
                Reset(client);
                return;
            }
            if (fault is Fault.Answer answer)
            {
                // Read the request head, then answer without asking the server.
                var head = new List<byte>();
                var one = new byte[1];
                while (head.Count < 65536 && !(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
                {
                    if (await client.ReceiveAsync(one, SocketFlags.None, _stop.Token) == 0) break;
                    head.Add(one[0]);
                }
                string response = $"HTTP/1.1 {answer.Status} Injected\r\nContent-Length: 0\r\nConnection: close\r\n" +
                                  (answer.RetryAfterSeconds is int ra ? $"Retry-After: {ra}\r\n" : "") + "\r\n";
                await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(response), SocketFlags.None, _stop.Token);
                client.Shutdown(SocketShutdown.Both);
                return;
            }
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            long limit = fault is Fault.ResetAfter r ? r.Bytes : long.MaxValue;
            TimeSpan delay = fault is Fault.Delay d ? d.By : TimeSpan.Zero;
            Task up = PumpAsync(client, server, limit, TimeSpan.Zero, linked.Token);
            Task down = PumpAsync(server, client, long.MaxValue, delay, linked.Token);
            Task first = await Task.WhenAny(up, down);
            if ((fault is Fault.ResetAfter && up.IsCompletedSuccessfully) || first.IsFaulted || first.IsCanceled)
            {
                Reset(client);
                Reset(server);
                linked.Cancel();
            }
            try { await Task.WhenAll(up, down); } catch (Exception) { /* connection ended */ }
        }
        catch (Exception) { /* a broken connection is the point of this class */ }
        finally
        {
            try { client.Dispose(); } catch (ObjectDisposedException) { }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, long limit, TimeSpan firstDelay, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        long total = 0;
        bool delayed = firstDelay == TimeSpan.Zero;
        while (true)
        {
            int max = (int)Math.Min(buffer.Length, limit - total);
            if (max <= 0) return;   // limit reached: the caller resets
            int n = await from.ReceiveAsync(buffer.AsMemory(0, max), SocketFlags.None, ct);
            if (n == 0)
            {
                try { to.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
                return;
            }
            if (!delayed)
            {
                await Task.Delay(firstDelay, ct);
                delayed = true;
            }
            await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
            total += n;
        }
    }

    private static void Reset(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0);   // close with RST, like a dying middlebox
            s.Close();
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _acceptLoop; } catch (Exception) { }
        _stop.Dispose();
    }
}
