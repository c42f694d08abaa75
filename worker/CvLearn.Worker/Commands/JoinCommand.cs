using CvLearn.Storage.Azure;
using System.CommandLine;
using CvLearn.Protos.Rpc;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using CvLearn.Core.Tensors;
using CvLearn.Protos.V1;
using CvLearn.Worker.Master;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace CvLearn.Worker.Commands;

/// <summary>`cvlearn-worker join`: work for a cvlearn-master search until it is finished or the worker is stopped.</summary>
public static class JoinCommand
{
    /// <summary>Environment variable with the number of workers sharing this machine (set by `cvlearn-master serve --local-workers`).</summary>
    public const string LocalWorkersVariable = "CVLEARN_LOCAL_WORKERS";

    public static Command Create()
    {
        var master = new Option<string>("--master") { Description = "The master's gRPC address: http://HOST:PORT or HOST:PORT (its --grpc-port, 50051 by default).", Required = true };
        var storage = new Option<string?>("--storage") { Description = "Checkpoint storage: a directory, file:///DIR, azblob://CONTAINER/PREFIX (CVLEARN_AZURE_CONNECTION_STRING) or an https SAS URL (default: the location the master announces; use this when the shared filesystem is mounted elsewhere here)." };
        var threads = new Option<int?>("--threads") { Description = $"Compute threads for training (default: cores / ${LocalWorkersVariable}, at least 1, so co-located workers do not oversubscribe)." };
        var name = new Option<string?>("--name") { Description = "Worker name shown on the leaderboard (default: HOSTNAME:PID)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory with the dataset files on this machine (takes precedence over the directory the master names)." };
        var giveUp = new Option<double>("--give-up-after") { Description = "Seconds one call keeps retrying an unreachable master before the worker gives up (exit code 1).", DefaultValueFactory = _ => 300 };
        var verbose = new Option<bool>("--verbose") { Description = "Debug logging (retries, waits, heartbeats)." };
        var command = new SignalHandlingCommand("join", """
            Work for a cvlearn-master search: join, then loop acquire a trial -> train it -> write each epoch's checkpoint
            to <storage>/<experiment>/trial-NNNN/valA.AAAA_epEE.ckpt -> report the epoch (the master answers continue or
            stop) -> complete. Heartbeats keep the trial's lease during long epochs; network errors are retried with
            exponential backoff. Ctrl-C / SIGTERM stops the running trial, tells the master (which requeues it from its
            last checkpoint) and exits 0. A dataset missing or unreadable here hands the trial back the same way (no failure
            counted) and exits 2 saying what to install. Exit codes: 0 search finished or stopped by a signal, 2 bad input
            (or the dataset missing here), 1 other failures (e.g. master unreachable for --give-up-after seconds). Logs go to
            stderr; stdout gets one line per epoch.
            """)
        {
            master, storage, threads, name, dataDir, giveUp, verbose,
        };
        command.SetAction((r, ct) => CliRunner.GuardAsync(() => RunAsync(new JoinSettings(
            GrpcAddress.Parse(r.GetValue(master)),
            r.GetValue(storage),
            ResolveThreads(r.GetValue(threads)),
            r.GetValue(name),
            r.GetValue(dataDir),
            GiveUp(r.GetValue(giveUp)),
            r.GetValue(verbose)), ct)));
        return command;
    }

    internal sealed record JoinSettings(Uri Master, string? Storage, int Threads, string? Name, string? DataDir, TimeSpan GiveUpAfter, bool Verbose);

    /// <summary>--threads, or cores divided by the local worker count (CVLEARN_LOCAL_WORKERS), at least 1.</summary>
    public static int ResolveThreads(int? threads)
    {
        if (threads is { } t)
        {
            if (t < 1) throw new ArgumentException($"--threads: must be at least 1, got {t}.");
            return t;
        }
        string? env = Environment.GetEnvironmentVariable(LocalWorkersVariable);
        int workers = int.TryParse(env, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n : 1;
        return Engine.DefaultThreadsFor(workers);
    }

    private static TimeSpan GiveUp(double seconds) =>
        seconds > 0 && double.IsFinite(seconds) ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException($"--give-up-after: must be a positive number of seconds, got {seconds}.");

    /// <summary>Default worker name: HOSTNAME:PID.</summary>
    public static string DefaultName() => $"{Environment.MachineName}:{Environment.ProcessId}";

    public static string Version() =>
        typeof(JoinCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(JoinCommand).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static async Task<int> RunAsync(JoinSettings settings, CancellationToken ct)
    {
        Engine.Threads = settings.Threads;
        using var loggerFactory = CreateLoggerFactory(settings.Verbose);
        AzureStorage.Register(loggerFactory.CreateLogger("cvlearn.storage")); // storage retries and circuit changes show in the log
        var logger = loggerFactory.CreateLogger("cvlearn.worker");

        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(ct);
        string? reason = null;
        void OnSignal(PosixSignalContext context, string why)
        {
            context.Cancel = true; // no default termination: we stop the trial and tell the master first
            Interlocked.CompareExchange(ref reason, why, null);
            try { shutdown.Cancel(); }
            catch (ObjectDisposedException) { }
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => OnSignal(c, "SIGTERM"));
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => OnSignal(c, "Ctrl-C"));

        var join = new JoinRequest
        {
            WorkerName = string.IsNullOrWhiteSpace(settings.Name) ? DefaultName() : settings.Name,
            Cores = Environment.ProcessorCount,
            Threads = settings.Threads,
            Version = Version(),
            Hostname = Environment.MachineName,
        };
        logger.LogInformation("cvlearn-worker {Version} joining {Master} as {Name} with {Threads} threads ({Cores} cores).",
            join.Version, settings.Master, join.WorkerName, join.Threads, join.Cores);
        using var connection = new MasterConnection(settings.Master, join, new MasterConnectionOptions { GiveUpAfter = settings.GiveUpAfter }, logger);
        var session = new WorkerSession(connection, new WorkerSessionOptions
        {
            Storage = settings.Storage,
            DataDir = settings.DataDir,
            EpochLines = Console.Out,
        }, logger);
        await session.RunAsync(() => Volatile.Read(ref reason) ?? "shutdown", shutdown.Token).ConfigureAwait(false);
        return CliRunner.Success;
    }

    internal static ILoggerFactory CreateLoggerFactory(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        builder.AddFilter("System", LogLevel.Warning);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        // Everything to stderr: stdout carries only the per-epoch lines.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
