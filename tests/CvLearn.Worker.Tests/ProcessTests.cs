using System.Diagnostics;
using System.Text;
using CvLearn.Protos.V1;

namespace CvLearn.Worker.Tests;

/// <summary>The real `cvlearn-worker join` executable against the scripted master.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempDir _data = new();
    private readonly TempDir _store = new();

    public ProcessTests() => TinyDataset.Write(_data.Path);

    public void Dispose()
    {
        _data.Dispose();
        _store.Dispose();
    }

    [Theory]
    [InlineData("-TERM", "SIGTERM")]
    [InlineData("-INT", "Ctrl-C")]
    public async Task ASignalStopsTheTrialLeavesTheMasterWithItAndExitsZero(string signal, string reason)
    {
        await using var master = await FakeMaster.StartAsync(_store.Path);
        FakeMaster.Trial(master, Trials.Assignment(_data.Path, epochs: 500));

        string dll = Path.Combine(AppContext.BaseDirectory, "cvlearn-worker.dll");
        Assert.True(File.Exists(dll), dll);
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "join", "--master", master.Address.ToString(), "--threads", "1", "--name", "proc" }) psi.ArgumentList.Add(a);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await master.FirstReport.Task.WaitAsync(TimeSpan.FromSeconds(90));
            var clock = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            string logs = $"stdout:\n{stdout}\nstderr:\n{stderr}";
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{logs}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}\n{logs}");
            var leave = Assert.Single(master.Leaves);
            Assert.Equal("trial-0001", leave.TrialId);
            Assert.Equal(1, leave.Attempt);
            Assert.Equal(reason, leave.Reason);
            Assert.Empty(master.Results);
            Assert.Contains("trial-0001 epoch 1/500 val_acc", stdout.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("info:", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains(reason, stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
