using System.Diagnostics;
using System.Text;

namespace CvLearn.Integration.Tests.Infrastructure;

/// <summary>
/// A child process whose stdout/stderr lines are collected (and tee'd to a log file) so tests can wait for a line
/// and print everything on failure. Disposing kills the process tree if it is still running.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _lineSignal = new(0);

    // Safety net: if the test host goes down without disposing a test (crash, runner timeout), no child outlives it.
    private static readonly List<ChildProcess> s_live = [];

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            ChildProcess[] live;
            lock (s_live) live = [.. s_live];
            foreach (var c in live) c.Kill();
        };
    }

    public ChildProcess(string name, string fileName, IEnumerable<string> args, string workingDirectory, string logPath, IDictionary<string, string>? env = null)
    {
        Name = name;
        LogPath = logPath;
        CommandLine = fileName + " " + string.Join(" ", args);
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string v in new[] { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy", "all_proxy", "ALL_PROXY" })
            psi.Environment.Remove(v);
        psi.Environment["no_proxy"] = "127.0.0.1,localhost";
        psi.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        // Wide, uncoloured console output: the tests parse it.
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "250";
        if (env is not null)
        {
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }

        _log = new StreamWriter(logPath, append: true, Encoding.UTF8) { AutoFlush = true };
        _log.WriteLine($"# {DateTime.Now:HH:mm:ss.fff} start: {CommandLine}");
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, _stdout, "", _outputClosed);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, _stderr, "[stderr] ", _errorClosed);
        if (!_process.Start()) throw new InvalidOperationException($"could not start {CommandLine}");
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Pid = _process.Id;
        lock (s_live) s_live.Add(this);
    }

    public string Name { get; }

    public string LogPath { get; }

    public string CommandLine { get; }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout
    {
        get
        {
            lock (_lines) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lines) return _stderr.ToString();
        }
    }

    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    /// <summary>Running (not gone, not a zombie), for processes that are not our children (workers a script or a
    /// master started), so /proc tells.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Starts `dotnet DLL args`.</summary>
    public static ChildProcess Dotnet(string name, string dll, IEnumerable<string> args, string workingDirectory, string logPath, IDictionary<string, string>? env = null) =>
        new(name, Builds.DotnetHost, [dll, .. args], workingDirectory, logPath, env);

    private void OnLine(string? line, StringBuilder sink, string prefix, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            _lineSignal.Release();
            return;
        }

        lock (_lines)
        {
            _lines.Add(prefix + line);
            sink.AppendLine(line);
            try
            {
                _log.WriteLine(prefix + line);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _lineSignal.Release();
    }

    /// <summary>Waits for an output line matching <paramref name="predicate"/>; fails when the process exits first or on timeout.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, string what)
    {
        DateTime until = DateTime.UtcNow + timeout;
        int seen = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (predicate(_lines[seen])) return _lines[seen];
                }
            }

            if (_outputClosed.Task.IsCompleted && _errorClosed.Task.IsCompleted && _process.HasExited)
                throw new InvalidOperationException($"{Name} exited (code {_process.ExitCode}) before printing {what}");
            TimeSpan left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{Name} did not print {what} within {timeout.TotalSeconds:F0} s");
            await _lineSignal.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>Waits for the process to exit and its output to be drained; false on timeout (the process keeps running).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    /// <summary>Waits for the exit code; kills the process and fails on timeout.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        if (!await WaitForExitAsync(timeout))
        {
            Kill();
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:F0} s");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM (graceful stop).</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGKILL of this process only (a crashed machine: no goodbye to the master).</summary>
    public void KillHard()
    {
        Note("SIGKILL");
        _process.Kill(entireProcessTree: false);
    }

    private void Signal(string signal)
    {
        Note("SIG" + signal);
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill(1)");
        kill.WaitForExit();
    }

    public void Note(string text)
    {
        lock (_lines)
        {
            _lines.Add($"# {DateTime.Now:HH:mm:ss.fff} test: {text}");
            try
            {
                _log.WriteLine($"# {DateTime.Now:HH:mm:ss.fff} test: {text}");
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Kills the whole process tree if it still runs.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                Note("kill (cleanup)");
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        lock (s_live) s_live.Remove(this);
        _process.Dispose();
        lock (_lines) _log.Dispose();
        _lineSignal.Dispose();
    }
}
