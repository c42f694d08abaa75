using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using CvLearn.Storage.Azure;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>
/// A real Azurite blob service (npm package "azurite", installed by tests/storage/setup.sh into
/// tests/storage/node_modules) on a loopback port it picks itself (port 0: no race with other processes for a port
/// chosen beforehand), with its data in a temp directory (so it survives <see cref="RestartAsync"/>, on the same
/// port), telemetry disabled, killed on dispose. A missing Azurite fails loudly, never skips.
/// </summary>
public sealed partial class AzuriteServer : IAsyncDisposable, IDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    private AzuriteServer(string executable, string location, int port)
    {
        Executable = executable;
        Location = location;
        Port = port;
    }

    public string Executable { get; }

    /// <summary>Azurite's data directory (deleted on dispose).</summary>
    public string Location { get; }

    /// <summary>The port Azurite listens on (0 until it said so at the first start).</summary>
    public int Port { get; private set; }

    /// <summary>The blob endpoint, path-style: http://127.0.0.1:PORT/devstoreaccount1.</summary>
    public string BlobEndpoint => $"http://127.0.0.1:{Port}/{BlobLocation.DevelopmentAccountName}";

    /// <summary>A standard connection string with the well-known development key (port: another endpoint such as a proxy).</summary>
    public string ConnectionString(int? port = null, string? key = null)
        => $"DefaultEndpointsProtocol=http;AccountName={BlobLocation.DevelopmentAccountName};AccountKey={key ?? BlobLocation.DevelopmentAccountKey};" +
           $"BlobEndpoint=http://127.0.0.1:{port ?? Port}/{BlobLocation.DevelopmentAccountName};";

    public static string RepoRoot =>
        typeof(AzuriteServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    /// <summary>Path of azurite-blob: $CVLEARN_AZURITE, else tests/storage/node_modules/.bin/azurite-blob.</summary>
    public static string FindExecutable() => FindExecutable(Environment.GetEnvironmentVariable("CVLEARN_AZURITE"));

    internal static string FindExecutable(string? fromEnv)
    {
        string path = !string.IsNullOrEmpty(fromEnv) ? fromEnv : Path.Combine(RepoRoot, "tests", "storage", "node_modules", ".bin", "azurite-blob");
        if (!File.Exists(path))
            throw new InvalidOperationException(
                $"Azurite is not installed: '{path}' does not exist. The Azure Blob store tests need a real Azurite: run 'bash tests/storage/setup.sh' " +
                "(npm install of the pinned azurite into tests/storage/node_modules; tests/run-all.sh does this), or set CVLEARN_AZURITE to an azurite-blob executable.");
        return path;
    }

    public static async Task<AzuriteServer> StartAsync()
    {
        string exe = FindExecutable();
        string location = Path.Combine(Path.GetTempPath(), "cvlearn-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        var server = new AzuriteServer(exe, location, 0);
        await server.LaunchAsync().ConfigureAwait(false);
        return server;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LaunchAsync()
    {
        int seen = Output.Length; // a restart's output follows the previous run's
        string port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture); // 0 at the first start: Azurite picks one
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Location,
        };
        foreach (string a in new[] { "--blobHost", "127.0.0.1", "--blobPort", port,
                     "--location", Location, "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry" })
            psi.ArgumentList.Add(a);
        psi.Environment["AZURITE_DISABLE_TELEMETRY"] = "true";
        var p = Process.Start(psi) ?? throw new InvalidOperationException("Could not start " + Executable);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        // Ready when this process says it listens ("Azurite Blob service successfully listens on http://127.0.0.1:PORT"):
        // a TCP connect alone could reach another process that took a port picked beforehand.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            string output = Output;
            var m = ListeningLine().Match(output, seen);
            if (m.Success)
            {
                Port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
            if (p.HasExited) throw new InvalidOperationException($"Azurite exited with code {p.ExitCode} at start-up: {output}");
            await Task.Delay(50).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"Azurite did not say it listens within 60 s: {Output}");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"successfully listens on https?://[^:\s]+:(\d+)")]
    private static partial System.Text.RegularExpressions.Regex ListeningLine();

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// Stops the server like an operator would (SIGTERM: Azurite saves its metadata database and exits); kills it
    /// if it is still running after 15 s. The data directory stays.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is not { } p) return;
        _process = null;
        try
        {
            if (!p.HasExited && OperatingSystem.IsLinux() && Kill(p.Id, 15) == 0)
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try { await p.WaitForExitAsync(grace.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        await p.WaitForExitAsync().ConfigureAwait(false);
        p.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Starts it again on the same port and data directory.</summary>
    public Task StartAgainAsync() => LaunchAsync();

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAgainAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try { Directory.Delete(Location, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>One Azurite shared by the tests of the "azurite" collection.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    public AzuriteServer Server => _server ?? throw new InvalidOperationException("Azurite did not start.");

    public async Task InitializeAsync() => _server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    /// <summary>A new, unique (hence empty) container name.</summary>
    public static string NewContainer() => "t" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>A store on a fresh container of this Azurite (optionally through another port, e.g. a fault proxy).</summary>
    public AzureBlobCheckpointStore NewStore(string? container = null, string prefix = "", AzureBlobStoreOptions? options = null, int? port = null, string? key = null)
    {
        string cs = Server.ConnectionString(port, key);
        return AzureStorage.Create($"azblob://{container ?? NewContainer()}/{prefix}", options ?? TestOptions(), name => name == BlobLocation.ConnectionStringVariable ? cs : null);
    }

    /// <summary>Fast retries for tests.</summary>
    public static AzureBlobStoreOptions TestOptions(Microsoft.Extensions.Logging.ILogger? logger = null, int maxRetries = 6, double attemptTimeoutSeconds = 20, int threshold = 4 * 1024 * 1024, int blockSize = 4 * 1024 * 1024) => new()
    {
        MaxRetries = maxRetries,
        RetryDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromSeconds(2),
        AttemptTimeout = TimeSpan.FromSeconds(attemptTimeoutSeconds),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        CircuitMinimumThroughput = 1000,
        SingleUploadThreshold = threshold,
        BlockSize = blockSize,
        Logger = logger,
    };
}

[CollectionDefinition("azurite")]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;
