using System.Text;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Tests.Data;

namespace CvLearn.Core.Tests.Checkpoints;

/// <summary>The storage contract on a temporary directory, plus file-system specifics.</summary>
public sealed class FileSystemCheckpointStoreTests : CheckpointStoreContract
{
    private readonly TempDirectory _dir = new();

    protected override ICheckpointStore CreateStore() => new FileSystemCheckpointStore(_dir.Path);

    public override void Dispose()
    {
        _dir.Dispose();
        base.Dispose();
    }

    [Fact]
    public async Task TempFilesAndSidecarsAreNeverListed()
    {
        await PutTextAsync("e/trial-0001/val0.5000_ep01.ckpt", "x", new Dictionary<string, string> { ["a"] = "b" });
        // A crashed writer's leftover temp file:
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "e", "trial-0001", ".tmp-0123456789abcdef"), "partial");
        Assert.Equal(["e/trial-0001/val0.5000_ep01.ckpt"], (await ListAsync("")).Select(o => o.Key));
    }

    [Fact]
    public async Task FailedPutLeavesNoTempFileAndOldContent()
    {
        await PutTextAsync("f/x.ckpt", "old");
        var failing = new FailingStream(Encoding.UTF8.GetBytes(new string('n', 100_000)), failAfter: 50_000);
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("f/x.ckpt", failing, null, Ct));
        Assert.Equal("old", await GetTextAsync("f/x.ckpt"));
        Assert.Equal(["x.ckpt"], Directory.GetFiles(Path.Combine(_dir.Path, "f")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task KeysMapToRelativePathsUnderRoot()
    {
        await PutTextAsync("exp/trial-0001/val0.5000_ep01.ckpt", "x");
        Assert.True(File.Exists(Path.Combine(_dir.Path, "exp", "trial-0001", "val0.5000_ep01.ckpt")));
        var store = (FileSystemCheckpointStore)Store;
        Assert.StartsWith("file:///", store.Describe);
        Assert.Equal(Path.Combine(_dir.Path, "a", "b"), store.PathOf("a/b"));
    }

    [Fact]
    public async Task SecondStoreInstanceOnSameRootSeesWrites()
    {
        await PutTextAsync("shared/x.ckpt", "from process A");
        var other = new FileSystemCheckpointStore(_dir.Path);
        await using var s = await other.OpenReadAsync("shared/x.ckpt", Ct);
        Assert.Equal("from process A", await new StreamReader(s).ReadToEndAsync());
    }

    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAfter) throw new IOException("source stream failed");
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, 8192)], cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= failAfter) throw new IOException("source stream failed");
            return base.Read(buffer, offset, Math.Min(count, 8192));
        }
    }
}
