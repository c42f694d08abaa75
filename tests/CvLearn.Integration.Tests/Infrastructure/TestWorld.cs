using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;
using Xunit.Abstractions;

namespace CvLearn.Integration.Tests.Infrastructure;

/// <summary>
/// One test's world: a temp directory, the child processes it started (all killed on dispose, so nothing leaks) and
/// their logs, which <see cref="RunAsync"/> prints (and puts in the failure message) when the test fails.
/// </summary>
internal sealed class TestWorld : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<ChildProcess> _children = [];
    private readonly List<RpcChannel> _channels = [];
    private readonly List<string> _extraLogs = [];

    public TestWorld(ITestOutputHelper output, string name)
    {
        _output = output;
        Root = Path.Combine(Path.GetTempPath(), $"cvlearn-e2e-{name}-{Guid.NewGuid():N}"[..30]);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(LogDir);
    }

    public string Root { get; }

    public string LogDir => Path.Combine(Root, "logs");

    public string Storage => Path.Combine(Root, "storage");

    public string StatePath => Path.Combine(Root, "state", "master.db");

    /// <summary>A port that was free a moment ago (bound and released).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public string WriteConfig(JsonObject config, string name = "search.json")
    {
        string path = Path.Combine(Root, name);
        File.WriteAllText(path, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>Starts `cvlearn-master serve` on loopback and waits until it prints its gRPC and dashboard addresses.</summary>
    /// <param name="storage">The --storage argument (default: <see cref="Storage"/>, a directory).</param>
    /// <param name="env">Extra environment variables (e.g. CVLEARN_AZURE_CONNECTION_STRING: secrets never go on a command line).</param>
    public async Task<MasterProcess> StartMasterAsync(string configPath, int grpcPort, int httpPort, IEnumerable<string>? extra = null, string name = "master",
        string? storage = null, IDictionary<string, string>? env = null)
    {
        string[] args =
        [
            "serve", "--config", configPath, "--grpc-port", grpcPort.ToString(), "--http-port", httpPort.ToString(),
            "--bind", "127.0.0.1", "--storage", storage ?? Storage, "--state", StatePath, .. extra ?? [],
        ];
        var p = Track(ChildProcess.Dotnet(name, Builds.MasterDll, args, Root, Path.Combine(LogDir, name + ".log"), env));
        string grpcLine = await p.WaitForLineAsync(l => l.TrimStart().StartsWith("gRPC ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "its gRPC address");
        string httpLine = await p.WaitForLineAsync(l => l.TrimStart().StartsWith("dashboard ", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "its dashboard address");
        var grpc = new Uri(grpcLine.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        var http = new Uri(httpLine.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal(grpcPort, grpc.Port);
        Assert.Equal(httpPort, http.Port);
        return new MasterProcess(p, grpc, http);
    }

    /// <summary>Starts `cvlearn-worker join` as its own process (as on another machine).</summary>
    public ChildProcess StartWorker(Uri master, string name, int threads = 1, IEnumerable<string>? extra = null, IDictionary<string, string>? env = null) =>
        Track(ChildProcess.Dotnet(name, Builds.WorkerDll,
            ["join", "--master", master.ToString(), "--threads", threads.ToString(), "--name", name, .. extra ?? []],
            Root, Path.Combine(LogDir, name + ".log"), env));

    /// <summary>Runs a command to completion (killed after <paramref name="timeout"/>).</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string name, string fileName, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var p = Track(new ChildProcess(name, fileName, args, Root, Path.Combine(LogDir, name + ".log"), env));
        int code = await p.ExitCodeAsync(timeout);
        return (code, p.Stdout, p.Stderr);
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> RunMasterCliAsync(string name, IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null) =>
        RunAsync(name, Builds.DotnetHost, [Builds.MasterDll, .. args], timeout ?? TimeSpan.FromSeconds(60), env);

    public Task<(int ExitCode, string Stdout, string Stderr)> RunWorkerCliAsync(string name, IEnumerable<string> args, TimeSpan? timeout = null) =>
        RunAsync(name, Builds.DotnetHost, [Builds.WorkerDll, .. args], timeout ?? TimeSpan.FromSeconds(60));

    public SearchServiceClient Client(Uri master)
    {
        var channel = new RpcChannel(master);
        lock (_channels) _channels.Add(channel);
        return new SearchServiceClient(channel);
    }

    public void AddLog(string title, string text)
    {
        lock (_extraLogs) _extraLogs.Add($"===== {title} =====\n{text}");
    }

    /// <summary>Polls the leaderboard until <paramref name="until"/> holds; fails with the last snapshot on timeout.</summary>
    public static async Task<Leaderboard> PollAsync(SearchServiceClient client, Func<Leaderboard, bool> until, TimeSpan timeout, string what, int intervalMs = 100)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        Leaderboard? last = null;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await client.GetLeaderboardAsync(new LeaderboardRequest { Top = 0 }, CallOptions.WithTimeout(TimeSpan.FromSeconds(5)));
                if (until(last)) return last;
            }
            catch (RpcException e)
            {
                lastError = e;
            }

            await Task.Delay(intervalMs);
        }

        throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}; last leaderboard: {last}; last error: {lastError?.Message}");
    }

    /// <summary>Runs the test body; on failure prints every child's log and appends it to the failure message.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            string logs = DescribeLogs();
            _output.WriteLine(logs);
            throw new TestFailedException($"{e.GetType().Name}: {e.Message}\n\n{logs}", e);
        }
    }

    public string DescribeLogs()
    {
        var sb = new StringBuilder();
        lock (_children)
        {
            foreach (var c in _children)
            {
                string state = c.HasExited ? $"exited {c.ExitCode}" : "running";
                sb.AppendLine($"===== {c.Name} (pid {c.Pid}, {state}) {c.CommandLine}");
                string text = c.Output;
                sb.AppendLine(text.Length > 12_000 ? "...\n" + text[^12_000..] : text);
            }
        }

        foreach (string f in Directory.Exists(Path.Combine(Root, "state", "workers")) ? Directory.GetFiles(Path.Combine(Root, "state", "workers")) : [])
            sb.AppendLine($"===== {f}\n{File.ReadAllText(f)}");
        lock (_extraLogs) foreach (string l in _extraLogs) sb.AppendLine(l);
        return sb.ToString();
    }

    private ChildProcess Track(ChildProcess p)
    {
        lock (_children) _children.Add(p);
        return p;
    }

    public void Dispose()
    {
        lock (_channels)
        {
            foreach (var c in _channels) c.Dispose();
        }

        lock (_children)
        {
            foreach (var c in _children) c.Dispose();
        }

        // CVLEARN_E2E_KEEP=1 keeps the directory (logs, storage, state) for a look afterwards.
        if (Environment.GetEnvironmentVariable("CVLEARN_E2E_KEEP") == "1") return;
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

internal sealed record MasterProcess(ChildProcess Process, Uri Grpc, Uri Http);

internal sealed class TestFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>All end-to-end tests share one collection: they start several processes each, on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "real processes";
}
