using System.Security.Cryptography;
using System.Text;
using CvLearn.Core.Checkpoints;

using static CvLearn.Storage.Azure.Tests.StoreIo;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>Names, metadata and error messages against a real Azurite.</summary>
[Collection("azurite")]
public sealed class AzuriteScenarioTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => CancellationToken.None;

    public static TheoryData<string> AwkwardKeys => new()
    {
        "exp one/trial-0001/val0.5000_ep01.ckpt",
        "a+b/c+d.ckpt",
        "q&a/x&y=z.ckpt",
        "pct/100%/50%25.ckpt",
        "ünï cødé/日本語/ép 01.ckpt",
        "deep/er/and/deeper/still/x.ckpt",
        "hash#and?question/x;y,z'@!$()*.ckpt",
        "emoji/🙂 smile.ckpt",
    };

    [Theory]
    [MemberData(nameof(AwkwardKeys))]
    public async Task AwkwardKeysRoundTripAndLandUnderThePrefixVerbatim(string key)
    {
        string container = AzuriteFixture.NewContainer();
        using var store = azurite.NewStore(container, prefix: "run%20s/%C3%A9+x");
        byte[] data = Encoding.UTF8.GetBytes("content of " + key);
        await PutAsync(store, key, data, new Dictionary<string, string> { ["trial"] = "7" });
        Assert.True(await store.ExistsAsync(key, Ct));
        Assert.Equal(data, await GetAsync(store, key));
        var listed = Assert.Single(await ListAsync(store, key[..(key.IndexOf('/') + 1)]));
        Assert.Equal(key, listed.Key);
        Assert.Equal(data.Length, listed.Size);

        // Seen without the prefix, the blob's name is exactly PREFIX + key.
        using var root = azurite.NewStore(container);
        Assert.Equal("run s/é+x/" + key, Assert.Single(await ListAsync(root, "")).Key);

        await store.DeleteAsync(key, Ct);
        Assert.False(await store.ExistsAsync(key, Ct));
        Assert.Empty(await ListAsync(root, ""));
    }

    [Fact]
    public async Task CheckpointMetadataRoundTrips()
    {
        using var store = azurite.NewStore();
        var meta = new Dictionary<string, string>
        {
            ["trial"] = "42", ["epoch"] = "5", ["val_acc"] = "0.8734",
            ["experiment"] = "fmnist ü", ["padded"] = " x ", ["empty"] = "", ["lookalike"] = "=?utf-8?B?AAAA?=",
        };
        await PutAsync(store, "exp/trial-0042/val0.8734_ep05.ckpt", [1, 2, 3], meta);
        var o = Assert.Single(await ListAsync(store, "exp/"));
        Assert.Equal(meta.OrderBy(p => p.Key), o.Metadata!.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task MetadataNamesMustBeIdentifiers()
    {
        using var store = azurite.NewStore();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => PutAsync(store, "x.ckpt", [1], new Dictionary<string, string> { ["val-acc"] = "1" }));
        Assert.Contains("val_acc", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => PutAsync(store, "x.ckpt", [1], new Dictionary<string, string> { ["A"] = "1", ["a"] = "2" }));
        Assert.False(await store.ExistsAsync("x.ckpt", Ct));
    }

    [Fact]
    public async Task ListingPagesThroughNextMarker()
    {
        using var store = azurite.NewStore(options: AzuriteFixture.TestOptions() is var o ? new AzureBlobStoreOptions
        {
            ListPageSize = 3, MaxRetries = o.MaxRetries, RetryDelay = o.RetryDelay, MaxRetryDelay = o.MaxRetryDelay, CircuitMinimumThroughput = 1000,
        } : null);
        string[] keys = [.. Enumerable.Range(0, 11).Select(i => $"p/trial-{i:0000}/val0.5000_ep01.ckpt")];
        await Task.WhenAll(keys.Select(k => PutAsync(store, k, Encoding.UTF8.GetBytes(k))));
        Assert.Equal(keys, (await ListAsync(store, "p/")).Select(x => x.Key));
    }

    [Fact]
    public async Task LargeBlockUploadRoundTripsWithMd5()
    {
        using var store = azurite.NewStore(options: AzuriteFixture.TestOptions(threshold: 256 * 1024, blockSize: 100_000));
        byte[] data = RandomNumberGenerator.GetBytes(1_234_567);
        await PutAsync(store, "big/x.ckpt", data, new Dictionary<string, string> { ["epoch"] = "3" });
        Assert.Equal(data, await GetAsync(store, "big/x.ckpt"));
        var o = Assert.Single(await ListAsync(store, "big/"));
        Assert.Equal(data.Length, o.Size);
        Assert.Equal("3", o.Metadata!["epoch"]);
        // A non-seekable source works too.
        await store.PutAsync("big/y.ckpt", new NonSeekable(data), null, Ct);
        Assert.Equal(data, await GetAsync(store, "big/y.ckpt"));
    }

    [Fact]
    public async Task EmptyContentRoundTrips()
    {
        using var store = azurite.NewStore();
        await PutAsync(store, "e/empty.ckpt", []);
        Assert.Empty(await GetAsync(store, "e/empty.ckpt"));
        Assert.Equal(0, Assert.Single(await ListAsync(store, "e/")).Size);
    }

    [Fact]
    public async Task ValidateCreatesTheContainerOnce()
    {
        string container = AzuriteFixture.NewContainer();
        using var a = azurite.NewStore(container);
        await a.ValidateAsync(Ct);
        using var b = azurite.NewStore(container);
        await b.ValidateAsync(Ct);   // 409 ContainerAlreadyExists is fine
        await AzureStorage.ValidateAsync(new FileSystemCheckpointStore(Path.GetTempPath()), Ct);   // other stores: no-op
    }

    [Fact]
    public async Task WrongAccountKeyFailsValidationClearly()
    {
        string wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        using var store = azurite.NewStore(key: wrongKey);
        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => store.ValidateAsync(Ct));
        Assert.Contains("rejected the credentials (403", ex.Message);
        Assert.Contains("CVLEARN_AZURE_CONNECTION_STRING", ex.Message);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.Status);
        Assert.DoesNotContain(wrongKey, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadSasSignatureFailsValidationClearlyWithoutLeakingIt()
    {
        string container = AzuriteFixture.NewContainer();
        using (var admin = azurite.NewStore(container)) await admin.ValidateAsync(Ct);
        string sas = TestSas.ForContainer(BlobLocation.DevelopmentAccountName, container, "racwdl", RandomNumberGenerator.GetBytes(64), TimeSpan.FromHours(1));
        var logger = new ListLogger();
        using var store = AzureStorage.Create($"{azurite.Server.BlobEndpoint}/{container}/p?{sas}", AzuriteFixture.TestOptions(logger));
        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => store.ValidateAsync(Ct));
        Assert.Contains("SAS", ex.Message);
        string sig = sas[(sas.IndexOf("sig=", StringComparison.Ordinal) + 4)..];
        Assert.DoesNotContain(sig, ex.Message + string.Concat(logger.Lines) + store.Describe, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingContainerWithoutCreateRightsFailsClearly()
    {
        string container = AzuriteFixture.NewContainer();   // never created
        string sas = TestSas.ForContainer(BlobLocation.DevelopmentAccountName, container, "rl", Convert.FromBase64String(BlobLocation.DevelopmentAccountKey), TimeSpan.FromHours(1));
        using var store = AzureStorage.Create($"{azurite.Server.BlobEndpoint}/{container}/p?{sas}", AzuriteFixture.TestOptions());
        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => store.ValidateAsync(Ct));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains(container, ex.Message);
    }

    [Fact]
    public async Task UnreachableEndpointFailsClearly()
    {
        int nobody = AzuriteServer.FreePort();
        using var store = azurite.NewStore(port: nobody, options: AzuriteFixture.TestOptions(maxRetries: 2));
        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => store.ValidateAsync(Ct));
        Assert.Contains("Cannot reach Azure Blob Storage", ex.Message);
        Assert.Contains($"127.0.0.1:{nobody}", ex.Message);
        Assert.Contains("3 attempts", ex.Message);
    }

    private sealed class NonSeekable(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7000));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
