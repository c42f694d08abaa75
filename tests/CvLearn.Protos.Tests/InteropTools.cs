using System.Diagnostics;
using System.Reflection;
using System.Text;
using CvLearn.Protos.Testing;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace CvLearn.Protos.Tests;

/// <summary>
/// Locates and runs the interop scripts in tests/interop against implementations we did not write
/// (Debian python3-grpcio, npm @grpc/grpc-js). A missing tool FAILS the test with install advice —
/// these tests are evidence of spec conformance and must never be skipped silently.
/// </summary>
internal static class InteropTools
{
    public const string PythonPath = "/usr/bin/python3";
    private const string SetupHint = "Run `bash tests/interop/setup.sh` (as root; it apt-installs python3-grpcio/python3-protobuf and nodejs/npm when missing and runs `npm ci` in tests/interop/node).";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string InteropDir => Path.Combine(RepoRoot, "tests", "interop");

    public static string PythonScript(string name) => Path.Combine(InteropDir, "python", name);

    /// <summary>Fails (not skips) when /usr/bin/python3 cannot import grpc.</summary>
    public static void RequirePythonGrpc()
    {
        if (!File.Exists(PythonPath))
        {
            Assert.Fail($"{PythonPath} is missing. {SetupHint}");
        }

        (int code, string stdout, string stderr) = Run(PythonPath, ["-c", "import grpc, google.protobuf; print(grpc.__version__)"], RepoRoot, TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            Assert.Fail($"{PythonPath} cannot import grpc/google.protobuf ({stderr.Trim()}). {SetupHint}");
        }

        _ = stdout;
    }

    /// <summary>Fails (not skips) when node or the npm packages are missing; returns the node executable.</summary>
    public static string RequireNodeGrpc()
    {
        string? node = FindOnPath("node");
        if (node is null)
        {
            Assert.Fail($"`node` is not on PATH. {SetupHint}");
        }

        string grpcJs = Path.Combine(InteropDir, "node", "node_modules", "@grpc", "grpc-js", "package.json");
        string loader = Path.Combine(InteropDir, "node", "node_modules", "@grpc", "proto-loader", "package.json");
        if (!File.Exists(grpcJs) || !File.Exists(loader))
        {
            Assert.Fail($"tests/interop/node/node_modules lacks @grpc/grpc-js or @grpc/proto-loader. {SetupHint}");
        }

        return node!;
    }

    /// <summary>Writes echo.proto's descriptors (as compiled into CvLearn.Protos) as a FileDescriptorSet for Python.</summary>
    public static string WriteEchoDescriptorSet()
    {
        var set = new FileDescriptorSet();
        set.File.Add(FileDescriptorProto.Parser.ParseFrom(EchoReflection.Descriptor.SerializedData));
        string path = Path.Combine(Path.GetTempPath(), $"cvlearn-echo-{Environment.ProcessId}-{Guid.NewGuid():N}.pb");
        File.WriteAllBytes(path, set.ToByteArray());
        return path;
    }

    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Loopback traffic only: make sure no proxy setting of the environment reroutes it.
        foreach (string v in new[] { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy", "all_proxy", "ALL_PROXY" })
        {
            psi.Environment.Remove(v);
        }

        psi.Environment["no_proxy"] = "127.0.0.1,localhost";
        psi.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return psi;
    }

    /// <summary>Runs a process to completion (killed after <paramref name="timeout"/>).</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string fileName, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        using var process = Process.Start(StartInfo(fileName, args, workingDirectory))
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, stdout.Result, stderr.Result + $"\n[killed after {timeout.TotalSeconds:F0} s]");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Asserts that a script printed "PASS case" and exited 0; shows everything it printed otherwise.</summary>
    public static void AssertPassed(string caseName, (int ExitCode, string Stdout, string Stderr) result)
    {
        bool passed = result.ExitCode == 0 && result.Stdout.Split('\n').Any(l => l.Trim() == "PASS " + caseName);
        Assert.True(passed, $"interop case '{caseName}' failed (exit {result.ExitCode}).\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
    }

    private static string FindRepoRoot()
    {
        string? root = typeof(InteropTools).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        if (root is null || !File.Exists(Path.Combine(root, "CvLearn.Distributed.sln")))
        {
            throw new InvalidOperationException($"Repository root '{root}' (baked in at build time) does not contain CvLearn.Distributed.sln; rebuild the test project in place.");
        }

        return root;
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>The Python grpcio echo server (tests/interop/python/echo_server.py) as a child process.</summary>
public sealed class PythonEchoServerFixture : IAsyncLifetime, IDisposable
{
    private readonly List<string> _events = [];
    private readonly SemaphoreSlim _eventSignal = new(0);
    private Process? _process;
    private string? _descriptorSet;
    private readonly StringBuilder _stderr = new();

    public Uri Address { get; private set; } = null!;

    public Task InitializeAsync()
    {
        InteropTools.RequirePythonGrpc();
        _descriptorSet = InteropTools.WriteEchoDescriptorSet();
        _process = Process.Start(InteropTools.StartInfo(InteropTools.PythonPath,
            [InteropTools.PythonScript("echo_server.py"), "--descriptors", _descriptorSet], InteropTools.InteropDir))
            ?? throw new InvalidOperationException("Could not start echo_server.py");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                port.TrySetException(new InvalidOperationException("echo_server.py exited before printing its port.\n" + Stderr));
                return;
            }

            if (e.Data.StartsWith("PORT ", StringComparison.Ordinal))
            {
                port.TrySetResult(int.Parse(e.Data.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (e.Data.StartsWith("EVENT ", StringComparison.Ordinal))
            {
                lock (_events)
                {
                    _events.Add(e.Data[6..]);
                }

                _eventSignal.Release();
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!port.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException("echo_server.py did not print its port within 60 s.\n" + Stderr);
        }

        Address = new Uri($"http://127.0.0.1:{port.Task.Result}");
        return Task.CompletedTask;
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>True when the server reported <paramref name="name"/> since the last <see cref="ClearEvents"/>.</summary>
    public bool HasEvent(string name)
    {
        lock (_events)
        {
            return _events.Contains(name);
        }
    }

    /// <summary>Waits for the server to report <paramref name="name"/> (e.g. "stream-cancelled").</summary>
    public async Task<bool> WaitForEventAsync(string name, TimeSpan timeout)
    {
        DateTime until = DateTime.UtcNow + timeout;
        while (!HasEvent(name))
        {
            TimeSpan left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            await _eventSignal.WaitAsync(left);
        }

        return true;
    }

    public void ClearEvents()
    {
        lock (_events)
        {
            _events.Clear();
        }
    }

    public Task DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            _process.Dispose();
        }

        if (_descriptorSet is not null)
        {
            File.Delete(_descriptorSet);
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _eventSignal.Dispose();
}
