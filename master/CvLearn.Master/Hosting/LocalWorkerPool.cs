using System.Diagnostics;
using System.Runtime.InteropServices;
using CvLearn.Core.Data;
using CvLearn.Master.Config;
using CvLearn.Master.Trials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Hosting;

/// <summary>What <see cref="LocalWorkerPool"/> starts.</summary>
public sealed record LocalWorkerOptions(int Count, Uri Master, string LogDirectory, string? StorageOverride, int? Threads = null);

/// <summary>
/// `serve --local-workers N`: N `cvlearn-worker join` processes on this machine, each with cores/N compute threads
/// (so they do not oversubscribe the cores), their output in LOGDIR/local-I.log. A worker that dies while the search
/// runs is restarted (a few times); all are stopped — SIGTERM, then kill after a grace period — when the master stops.
/// </summary>
public sealed partial class LocalWorkerPool(LocalWorkerOptions options, SearchCoordinator coordinator, ILogger<LocalWorkerPool> log) : BackgroundService
{
    private const int MaxRestarts = 3;

    /// <summary>cvlearn-worker's exit code for bad input (flags, storage credentials, a dataset this machine lacks).</summary>
    private const int BadInputExitCode = 2;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly List<Process> _running = [];
    private readonly object _gate = new();

    /// <summary>The worker command line: CVLEARN_WORKER (a .dll or an executable), else the build next to this master.</summary>
    public static (string FileName, IReadOnlyList<string> PrefixArgs) ResolveWorker()
    {
        string? configured = Environment.GetEnvironmentVariable("CVLEARN_WORKER");
        var candidates = new List<string>();
        if (!string.IsNullOrWhiteSpace(configured)) candidates.Add(Path.GetFullPath(configured));
        string here = AppContext.BaseDirectory;
        candidates.Add(Path.Combine(here, "cvlearn-worker.dll"));
        // Build layouts: master/CvLearn.Master/bin/<cfg>/<tfm>/ beside worker/CvLearn.Worker/bin/<cfg>/<tfm>/, and the
        // artifacts layout (CVLEARN_ARTIFACTS) <artifacts>/bin/CvLearn.Master/<cfg>/ beside <artifacts>/bin/CvLearn.Worker/<cfg>/.
        var dir = new DirectoryInfo(here);
        if (dir.Parent?.Parent?.Parent?.Parent?.Parent is { } root)
            candidates.Add(Path.Combine(root.FullName, "worker", "CvLearn.Worker", "bin", dir.Parent.Name, dir.Name, "cvlearn-worker.dll"));
        if (dir.Parent?.Parent is { } artifactsBin)
            candidates.Add(Path.Combine(artifactsBin.FullName, "CvLearn.Worker", dir.Name, "cvlearn-worker.dll"));

        foreach (var c in candidates)
        {
            if (!File.Exists(c)) continue;
            if (c.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return (DotnetHost(), [c]);
            return (c, []);
        }

        throw new FileNotFoundException(
            "--local-workers: cannot find the cvlearn-worker build; build the solution (dotnet build -c Release) or set CVLEARN_WORKER to cvlearn-worker.dll. Looked in: "
            + string.Join(", ", candidates));
    }

    /// <summary>
    /// Local workers read the dataset from this machine: it must be here before they start, or each would leave the
    /// search at its first trial.
    /// </summary>
    /// <exception cref="DatasetNotFoundException">The dataset is not on this machine (the message says where it looked and how to install it).</exception>
    public static void RequireDataset(DatasetConfig dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        try
        {
            new DatasetResolver(dataset.DataDir).Locate(dataset.Name);
        }
        catch (DatasetNotFoundException ex)
        {
            throw new DatasetNotFoundException($"--local-workers: the workers on this machine need the search's dataset. {ex.Message}") { SearchedDirectories = ex.SearchedDirectories };
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (file, prefix) = ResolveWorker();
        Directory.CreateDirectory(options.LogDirectory);
        int threads = options.Threads ?? Math.Max(1, Environment.ProcessorCount / options.Count);
        var slots = Enumerable.Range(1, options.Count).Select(i => RunSlotAsync(i, file, prefix, threads, stoppingToken)).ToArray();
        await Task.WhenAll(slots).ConfigureAwait(false);
        // Every local worker stopped for good (it could not run here, or kept crashing): say so, or the search just waits.
        if (!stoppingToken.IsCancellationRequested && !coordinator.SearchDone.IsCompleted) LogNoneLeft(options.Count, options.LogDirectory, options.Master);
    }

    private async Task RunSlotAsync(int slot, string file, IReadOnlyList<string> prefix, int threads, CancellationToken ct)
    {
        string name = $"local-{slot}";
        string logPath = Path.Combine(options.LogDirectory, name + ".log");
        for (int restarts = 0; !ct.IsCancellationRequested; restarts++)
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in prefix) psi.ArgumentList.Add(a);
            foreach (var a in new[] { "join", "--master", options.Master.ToString(), "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--name", name })
                psi.ArgumentList.Add(a);
            if (options.StorageOverride is { } s)
            {
                psi.ArgumentList.Add("--storage");
                psi.ArgumentList.Add(s);
            }

            psi.Environment["CVLEARN_LOCAL_WORKERS"] = options.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
            lock (_gate) _running.Add(process);
            LogStarted(name, process.Id, threads, prefix.Count > 0 ? prefix[0] : file, logPath);
            var logFile = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
            await using (logFile.ConfigureAwait(false))
            {
                var pump = Task.WhenAll(PumpAsync(process.StandardOutput, logFile), PumpAsync(process.StandardError, logFile));
                try
                {
                    await process.WaitForExitAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await StopAsync(process, name).ConfigureAwait(false);
                }

                await pump.ConfigureAwait(false);
            }

            lock (_gate) _running.Remove(process);
            if (ct.IsCancellationRequested) return;
            if (process.ExitCode == 0 || coordinator.SearchDone.IsCompleted)
            {
                LogExited(name, process.ExitCode);
                return;
            }

            if (process.ExitCode == BadInputExitCode)
            {
                // Bad input or this machine cannot run the trials (e.g. the dataset is missing): a restart fails the same way.
                LogCannotRun(name, LastLine(logPath), logPath);
                return;
            }

            if (restarts >= MaxRestarts)
            {
                LogGaveUp(name, process.ExitCode, restarts, logPath);
                return;
            }

            LogRestarting(name, process.ExitCode, logPath);
            await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
        }
    }

    private static async Task PumpAsync(StreamReader from, StreamWriter to)
    {
        while (await from.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (to) to.WriteLine(line);
        }
    }

    private async Task StopAsync(Process process, string name)
    {
        if (process.HasExited) return;
        if (!OperatingSystem.IsWindows()) _ = Kill(process.Id, 15); // SIGTERM: the worker leaves cleanly, requeuing its trial
        using var grace = new CancellationTokenSource(StopGrace);
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            LogStopped(name, process.ExitCode);
        }
        catch (OperationCanceledException)
        {
            LogKilled(name, StopGrace.TotalSeconds);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string DotnetHost()
    {
        string? host = Environment.ProcessPath;
        return host is not null && Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? host : "dotnet";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    // The build it runs is named: a stale CVLEARN_WORKER or a build beside an old master is then plain to see.
    [LoggerMessage(Level = LogLevel.Information, Message = "Started local worker {Name} (pid {Pid}, {Threads} threads, {Worker}); log: {LogPath}")]
    private partial void LogStarted(string name, int pid, int threads, string worker, string logPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local worker {Name} exited with code {Code}")]
    private partial void LogExited(string name, int code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local worker {Name} stopped (exit code {Code})")]
    private partial void LogStopped(string name, int code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local worker {Name} did not stop within {Seconds} s of SIGTERM: killed")]
    private partial void LogKilled(string name, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local worker {Name} exited with code {Code} while the search runs; restarting it (see {LogPath})")]
    private partial void LogRestarting(string name, int code, string logPath);

    [LoggerMessage(Level = LogLevel.Error, Message = "None of the {Count} local workers is left (see their logs in {LogDirectory}); the search waits for workers from other machines: cvlearn-worker join --master {Master}")]
    private partial void LogNoneLeft(int count, string logDirectory, Uri master);

    [LoggerMessage(Level = LogLevel.Error, Message = "Local worker {Name} cannot work here and stopped (exit code 2: {Error}); not restarting it (see {LogPath})")]
    private partial void LogCannotRun(string name, string error, string logPath);

    /// <summary>The last non-empty line of a worker's log: its error message when it exits with one.</summary>
    private static string LastLine(string logPath)
    {
        try
        {
            return File.ReadLines(logPath).LastOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Trim() ?? "(empty log)";
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Local worker {Name} exited with code {Code} after {Restarts} restarts; not restarting it again (see {LogPath})")]
    private partial void LogGaveUp(string name, int code, int restarts, string logPath);
}
