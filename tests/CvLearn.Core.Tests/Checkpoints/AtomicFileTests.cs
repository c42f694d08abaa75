using CvLearn.Core.Checkpoints;
using CvLearn.Core.Tests.Data;

namespace CvLearn.Core.Tests.Checkpoints;

public class AtomicFileTests
{
    [Fact]
    public async Task WriteLeavesNoTempFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.ckpt");
        await CheckpointFile.SaveAsync(SampleCheckpoints.Minimal(), path);
        await CheckpointFile.SaveAsync(SampleCheckpoints.Full(), path);   // overwrite
        Assert.Equal(["a.ckpt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        SampleCheckpoints.AssertEqual(SampleCheckpoints.Full(), await CheckpointFile.LoadAsync(path));
    }

    [Fact]
    public async Task InterruptedWriteLeavesOldFileIntactAndNoTempFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.ckpt");
        byte[] old = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        await AtomicFile.WriteAllBytesAsync(path, old);

        byte[] replacement = CheckpointFile.ToBytes(SampleCheckpoints.Full());
        var ex = await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync(replacement.AsMemory(0, replacement.Length / 2), ct);
            await s.FlushAsync(ct);
            throw new IOException("simulated crash mid-write");
        }));
        Assert.Equal("simulated crash mid-write", ex.Message);
        Assert.Equal(old, await File.ReadAllBytesAsync(path));
        Assert.Equal(["a.ckpt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task CancelledWriteLeavesOldFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.bin");
        await AtomicFile.WriteAllBytesAsync(path, new byte[] { 1, 2, 3 });
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync(new byte[] { 9, 9 }, ct);
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
        }, cts.Token));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
