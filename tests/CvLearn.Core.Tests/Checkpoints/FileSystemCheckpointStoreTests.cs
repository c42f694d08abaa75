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

    [Fact]
    public async Task DeleteRemovesTheDirectoriesItLeavesEmpty_ButNeverTheRoot()
    {
        await PutTextAsync("e/trial-0001/val0.5000_ep01.ckpt", "a", new Dictionary<string, string> { ["m"] = "1" });
        await PutTextAsync("e/trial-0001/val0.6000_ep02.ckpt", "b");
        await PutTextAsync("e/trial-0002/val0.7000_ep01.ckpt", "c");
        string trial1 = Path.Combine(_dir.Path, "e", "trial-0001");

        await Store.DeleteAsync("e/trial-0001/val0.5000_ep01.ckpt", Ct);
        Assert.True(Directory.Exists(trial1), "a directory that still holds an object must stay");
        await Store.DeleteAsync("e/trial-0001/val0.6000_ep02.ckpt", Ct);
        Assert.False(Directory.Exists(trial1), "the trial directory emptied by the delete must go");
        Assert.True(Directory.Exists(Path.Combine(_dir.Path, "e", "trial-0002")));
        await Store.DeleteAsync("e/trial-0002/val0.7000_ep01.ckpt", Ct);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "e")), "the experiment directory emptied by the delete must go");
        Assert.True(Directory.Exists(_dir.Path), "the store's root must stay");
        Assert.Empty(await ListAsync("e/"));

        // The store works on as before: a put creates the directories again.
        await PutTextAsync("e/trial-0001/val0.8000_ep03.ckpt", "d");
        Assert.Equal("d", await GetTextAsync("e/trial-0001/val0.8000_ep03.ckpt"));
    }

    [Fact]
    public async Task DeleteKeepsADirectoryAWriterIsWritingInto()
    {
        await PutTextAsync("e/trial-0001/val0.5000_ep01.ckpt", "a");
        // Another process's write in progress: its temp file is in the directory.
        string temp = Path.Combine(_dir.Path, "e", "trial-0001", AtomicFile.TempPrefix + "0123456789abcdef");
        await File.WriteAllTextAsync(temp, "partial");
        await Store.DeleteAsync("e/trial-0001/val0.5000_ep01.ckpt", Ct);
        Assert.True(File.Exists(temp));
    }

    [Fact]
    public async Task ConcurrentPutsAndDeletesInOneDirectory_NeverFail()
    {
        // Each delete of the only object removes the directory another thread's put is about to write into: the put
        // must create it again, never fail, and every object put and not yet deleted must be readable.
        async Task Churn(string name)
        {
            for (int i = 0; i < 300; i++)
            {
                string key = $"e/trial-0001/{name}_{i:D3}.ckpt";
                await PutTextAsync(key, name + i);
                Assert.Equal(name + i, await GetTextAsync(key));
                await Store.DeleteAsync(key, Ct);
            }
        }

        await Task.WhenAll(Task.Run(() => Churn("a")), Task.Run(() => Churn("b")), Task.Run(() => Churn("c")));
        Assert.Empty(await ListAsync(""));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "e")));
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
