using System.Text;
using CvLearn.Core.Checkpoints;

namespace CvLearn.Core.Tests.Checkpoints;

/// <summary>
/// Behaviour every <see cref="ICheckpointStore"/> must have. Each implementation gets a subclass that creates an empty
/// store (file system in CvLearn.Core.Tests; Azure Blob on Azurite in CvLearn.Storage.Azure.Tests, which links this
/// file), so all stores are held to the same contract.
/// </summary>
public abstract class CheckpointStoreContract : IDisposable
{
    private ICheckpointStore? _store;

    /// <summary>Creates a fresh, empty store for one test.</summary>
    protected abstract ICheckpointStore CreateStore();

    /// <summary>Whether the store keeps PutAsync metadata (documented per store).</summary>
    protected virtual bool KeepsMetadata => true;

    private readonly object _storeGate = new();

    // Tests touch Store from several threads at once (concurrency tests): create exactly one per test.
    protected ICheckpointStore Store
    {
        get
        {
            lock (_storeGate) return _store ??= CreateStore();
        }
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    protected static CancellationToken Ct => CancellationToken.None;

    protected async Task PutTextAsync(string key, string text, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await Store.PutAsync(key, ms, metadata, Ct);
    }

    protected async Task<string> GetTextAsync(string key)
    {
        await using Stream s = await Store.OpenReadAsync(key, Ct);
        using var reader = new StreamReader(s, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    protected async Task<List<StoredObject>> ListAsync(string prefix)
    {
        var list = new List<StoredObject>();
        await foreach (StoredObject o in Store.ListAsync(prefix, Ct)) list.Add(o);
        return list;
    }

    [Fact]
    public async Task PutThenGetReturnsContent()
    {
        await PutTextAsync("exp/trial-0001/val0.5000_ep01.ckpt", "hello");
        Assert.Equal("hello", await GetTextAsync("exp/trial-0001/val0.5000_ep01.ckpt"));
        Assert.True(await Store.ExistsAsync("exp/trial-0001/val0.5000_ep01.ckpt", Ct));
    }

    [Fact]
    public async Task OverwriteReplacesContentAndSize()
    {
        await PutTextAsync("a/b.ckpt", "first version, long");
        await PutTextAsync("a/b.ckpt", "second");
        Assert.Equal("second", await GetTextAsync("a/b.ckpt"));
        var listed = Assert.Single(await ListAsync("a/"));
        Assert.Equal(6, listed.Size);
    }

    [Fact]
    public async Task MissingKeyThrowsNotFoundNamingTheKey()
    {
        var ex = await Assert.ThrowsAsync<CheckpointNotFoundException>(() => Store.OpenReadAsync("nope/missing.ckpt", Ct));
        Assert.Contains("nope/missing.ckpt", ex.Message);
        Assert.False(await Store.ExistsAsync("nope/missing.ckpt", Ct));
    }

    [Fact]
    public async Task ListByPrefixHandlesNestingSpacesAndUnicode()
    {
        string[] keys =
        [
            "exp/trial-0001/val0.5000_ep01.ckpt",
            "exp/trial-0001/val0.6000_ep02.ckpt",
            "exp/trial-0002/val0.7000_ep01.ckpt",
            "exp two/trial-0001/val0.1000_ep01.ckpt",
            "expérience ü/trial-0001/val0.2000_ep01.ckpt",
            "exp-other/x.ckpt",
            "top.ckpt",
        ];
        foreach (string k in keys) await PutTextAsync(k, k);

        Assert.Equal(keys.Order(StringComparer.Ordinal), (await ListAsync("")).Select(o => o.Key));
        Assert.Equal(keys[..3], (await ListAsync("exp/")).Select(o => o.Key));
        Assert.Equal(keys[..2], (await ListAsync("exp/trial-0001/")).Select(o => o.Key));
        // A plain string prefix, not only directory boundaries.
        Assert.Equal(["exp-other/x.ckpt", "exp/trial-0001/val0.5000_ep01.ckpt", "exp/trial-0001/val0.6000_ep02.ckpt", "exp/trial-0002/val0.7000_ep01.ckpt"],
            (await ListAsync("exp")).Where(o => !o.Key.StartsWith("exp ", StringComparison.Ordinal) && !o.Key.StartsWith("expé", StringComparison.Ordinal)).Select(o => o.Key));
        Assert.Equal(6, (await ListAsync("exp")).Count);   // everything except top.ckpt
        Assert.Equal(["exp two/trial-0001/val0.1000_ep01.ckpt"], (await ListAsync("exp two/")).Select(o => o.Key));
        Assert.Equal(["expérience ü/trial-0001/val0.2000_ep01.ckpt"], (await ListAsync("expérience ü/")).Select(o => o.Key));
        Assert.Equal(keys[4], await GetTextAsync(keys[4]));
        Assert.Empty(await ListAsync("exp/trial-0009/"));
        Assert.Empty(await ListAsync("nothing-here/"));
    }

    [Fact]
    public async Task ListReportsSizeAndRecentModificationTime()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow.AddMinutes(-5);
        await PutTextAsync("s/one.ckpt", "12345");
        var o = Assert.Single(await ListAsync("s/"));
        Assert.Equal(5, o.Size);
        Assert.InRange(o.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task MetadataRoundTripsWhenSupported()
    {
        if (!KeepsMetadata) return;
        var meta = new Dictionary<string, string> { ["val_acc"] = "0.8734", ["trial"] = "42", ["note"] = "ü ß" };
        await PutTextAsync("m/x.ckpt", "x", meta);
        var o = Assert.Single(await ListAsync("m/"));
        Assert.Equal(meta.OrderBy(p => p.Key), o.Metadata!.OrderBy(p => p.Key));
        await PutTextAsync("m/x.ckpt", "y");   // overwrite without metadata drops the old metadata
        Assert.Null(Assert.Single(await ListAsync("m/")).Metadata);
    }

    [Fact]
    public async Task DeleteRemovesAndIsIdempotent()
    {
        await PutTextAsync("d/x.ckpt", "x", new Dictionary<string, string> { ["k"] = "v" });
        await PutTextAsync("d/y.ckpt", "y");
        await Store.DeleteAsync("d/x.ckpt", Ct);
        await Store.DeleteAsync("d/x.ckpt", Ct);
        await Store.DeleteAsync("never/existed.ckpt", Ct);
        Assert.False(await Store.ExistsAsync("d/x.ckpt", Ct));
        Assert.Equal(["d/y.ckpt"], (await ListAsync("d/")).Select(o => o.Key));
        await Assert.ThrowsAsync<CheckpointNotFoundException>(() => Store.OpenReadAsync("d/x.ckpt", Ct));
    }

    [Fact]
    public async Task ConcurrentPutsOfDifferentKeysAllLand()
    {
        var tasks = Enumerable.Range(0, 24).Select(i => Task.Run(() => PutTextAsync($"c/trial-{i:0000}/val0.{i:0000}_ep01.ckpt", new string((char)('a' + i % 26), 1000 + i))));
        await Task.WhenAll(tasks);
        var listed = await ListAsync("c/");
        Assert.Equal(24, listed.Count);
        for (int i = 0; i < 24; i++)
            Assert.Equal(new string((char)('a' + i % 26), 1000 + i), await GetTextAsync($"c/trial-{i:0000}/val0.{i:0000}_ep01.ckpt"));
    }

    [Fact]
    public async Task ConcurrentOverwritesOfOneKeyNeverExposePartialContent()
    {
        string big(char c) => new(c, 200_000);
        await PutTextAsync("o/x.ckpt", big('a'));
        var writers = Enumerable.Range(0, 8).Select(i => Task.Run(() => PutTextAsync("o/x.ckpt", big((char)('b' + i))))).ToArray();
        while (!writers.All(w => w.IsCompleted))
        {
            string text = await GetTextAsync("o/x.ckpt");
            Assert.Equal(200_000, text.Length);
            Assert.All(text, ch => Assert.Equal(text[0], ch));
        }
        await Task.WhenAll(writers);
        Assert.Single(await ListAsync("o/"));
    }

    [Theory]
    [InlineData("../escape.ckpt")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a\\b")]
    [InlineData(".tmp-x")]
    public async Task RejectsInvalidKeys(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => PutTextAsync(key, "x"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(key, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(key, Ct));
    }

    [Fact]
    public async Task CheckpointRoundTripsThroughStore()
    {
        var cp = SampleCheckpoints.Full();
        string key = CheckpointKey.For("exp", 3, 0.8734, 5);
        using (var ms = new MemoryStream(CheckpointFile.ToBytes(cp))) await Store.PutAsync(key, ms, null, Ct);
        await using Stream s = await Store.OpenReadAsync(key, Ct);
        SampleCheckpoints.AssertEqual(cp, await CheckpointFile.ReadAsync(s, key, Ct));
    }

    [Fact]
    public void DescribeIsNotEmpty() => Assert.False(string.IsNullOrWhiteSpace(Store.Describe));
}
