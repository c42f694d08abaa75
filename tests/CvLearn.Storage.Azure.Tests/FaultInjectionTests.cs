using System.Security.Cryptography;
using CvLearn.Core.Checkpoints;

using static CvLearn.Storage.Azure.Tests.StoreIo;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>
/// The store behind a misbehaving network (<see cref="FaultProxy"/> between it and Azurite): uploads succeed through
/// resets, drops and delays, or fail with a clear error; nothing partial ever becomes visible; no checkpoint is lost.
/// </summary>
[Collection("azurite")]
public sealed class FaultInjectionTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => CancellationToken.None;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectionsResetMidUploadAreRetriedUntilTheUploadLands(bool blocks)
    {
        string container = AzuriteFixture.NewContainer();
        using var direct = azurite.NewStore(container);
        await direct.ValidateAsync(Ct);
        // The first four connections die after 30 kB of request: in the middle of a body.
        await using var proxy = new FaultProxy(azurite.Server.Port, n => n < 4 ? new Fault.ResetAfter(30_000) : new Fault.Pass());
        var log = new ListLogger();
        using var store = azurite.NewStore(container, port: proxy.Port,
            options: blocks ? AzuriteFixture.TestOptions(log, threshold: 50_000, blockSize: 64_000) : AzuriteFixture.TestOptions(log));
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        await PutAsync(store, "exp/trial-0001/val0.5000_ep01.ckpt", data, new Dictionary<string, string> { ["epoch"] = "1" });
        Assert.Equal(data, await GetAsync(direct, "exp/trial-0001/val0.5000_ep01.ckpt"));
        Assert.True(proxy.Connections >= 5);
        Assert.Contains(log.Lines, l => l.Contains("retry 1/", StringComparison.Ordinal) && l.Contains(blocks ? "Put Block on" : "Put Blob on", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASequenceOfCheckpointsThroughAFlakyNetworkLosesNothing()
    {
        string container = AzuriteFixture.NewContainer();
        using var direct = azurite.NewStore(container);
        // Every third connection is reset after a random amount of request, every fifth dropped, every seventh slow.
        var rng = new Random(7);
        await using var proxy = new FaultProxy(azurite.Server.Port, n => (n % 3, n % 5, n % 7) switch
        {
            (0, _, _) => new Fault.ResetAfter(rng.Next(100, 80_000)),
            (_, 0, _) => new Fault.Drop(),
            (_, _, 0) => new Fault.Delay(TimeSpan.FromMilliseconds(300)),
            _ => new Fault.Pass(),
        });
        using var store = azurite.NewStore(container, port: proxy.Port, options: AzuriteFixture.TestOptions(maxRetries: 10, threshold: 40_000, blockSize: 30_000));
        var written = new Dictionary<string, byte[]>();
        for (int epoch = 1; epoch <= 12; epoch++)
        {
            string key = CheckpointKey.For("flaky", 3, 0.5 + epoch / 100.0, epoch);
            byte[] data = RandomNumberGenerator.GetBytes(20_000 + epoch * 7_000);
            await PutAsync(store, key, data, new Dictionary<string, string> { ["trial"] = "3", ["epoch"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            written[key] = data;
        }
        var listed = await ListAsync(store, "flaky/");
        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
        foreach (var (key, data) in written)
        {
            Assert.Equal(data, await GetAsync(direct, key));
            Assert.Equal(data.Length, listed.Single(o => o.Key == key).Size);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APermanentlyBrokenNetworkFailsClearlyAndExposesNothingPartial(bool blocks)
    {
        string container = AzuriteFixture.NewContainer();
        using var direct = azurite.NewStore(container);
        byte[] old = RandomNumberGenerator.GetBytes(100_000);
        await PutAsync(direct, "exp/x.ckpt", old);
        // Connections live long enough for small requests (container creation, first blocks) but never for a whole upload.
        await using var proxy = new FaultProxy(azurite.Server.Port, _ => new Fault.ResetAfter(150_000));
        using var store = azurite.NewStore(container, port: proxy.Port,
            options: blocks ? AzuriteFixture.TestOptions(maxRetries: 3, threshold: 50_000, blockSize: 200_000) : AzuriteFixture.TestOptions(maxRetries: 3));
        byte[] fresh = RandomNumberGenerator.GetBytes(400_000);

        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => PutAsync(store, "exp/x.ckpt", fresh));
        Assert.Contains("Cannot reach Azure Blob Storage", ex.Message);
        ex = await Assert.ThrowsAsync<AzureStorageException>(() => PutAsync(store, "exp/new.ckpt", fresh));
        Assert.Contains("after 4 attempts", ex.Message);

        // The old content is intact, the new key does not exist, nothing half-written is listed.
        Assert.Equal(old, await GetAsync(direct, "exp/x.ckpt"));
        Assert.False(await direct.ExistsAsync("exp/new.ckpt", Ct));
        var listed = Assert.Single(await ListAsync(direct, ""));
        Assert.Equal(("exp/x.ckpt", (long)old.Length), (listed.Key, listed.Size));
    }

    [Fact]
    public async Task DroppedConnectionsAndSlowAnswersBeyondTheTimeoutAreRetried()
    {
        string container = AzuriteFixture.NewContainer();
        await using var proxy = new FaultProxy(azurite.Server.Port, n => n switch
        {
            < 2 => new Fault.Drop(),
            < 4 => new Fault.Delay(TimeSpan.FromSeconds(3)),
            _ => new Fault.Pass(),
        });
        var log = new ListLogger();
        using var store = azurite.NewStore(container, port: proxy.Port, options: AzuriteFixture.TestOptions(log, maxRetries: 8, attemptTimeoutSeconds: 1));
        await store.ValidateAsync(Ct);
        byte[] data = RandomNumberGenerator.GetBytes(5_000);
        await PutAsync(store, "slow/x.ckpt", data);
        Assert.Equal(data, await GetAsync(store, "slow/x.ckpt"));
        Assert.Contains(log.Lines, l => l.Contains("TimeoutRejectedException", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("HttpRequestException", StringComparison.Ordinal) || l.Contains("IOException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadersNeverSeeAHalfBlobWhileUploadsBreakOff()
    {
        string container = AzuriteFixture.NewContainer();
        using var direct = azurite.NewStore(container);
        byte[] a = new byte[300_000];
        Array.Fill(a, (byte)'a');
        await PutAsync(direct, "r/x.ckpt", a);
        await using var proxy = new FaultProxy(azurite.Server.Port, n => n % 2 == 0 ? new Fault.ResetAfter(120_000) : new Fault.Pass());
        using var store = azurite.NewStore(container, port: proxy.Port, options: AzuriteFixture.TestOptions(maxRetries: 10, threshold: 64_000, blockSize: 64_000));
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < 6; i++)
            {
                byte[] b = new byte[300_000];
                Array.Fill(b, (byte)('b' + i));
                await PutAsync(store, "r/x.ckpt", b);
            }
        });
        int reads = 0;
        while (!writer.IsCompleted || reads == 0)
        {
            byte[] seen = await GetAsync(direct, "r/x.ckpt");
            Assert.Equal(300_000, seen.Length);
            Assert.All(seen, ch => Assert.Equal(seen[0], ch));
            Assert.Single(await ListAsync(direct, "r/"));
            reads++;
        }
        await writer;
        Assert.All(await GetAsync(direct, "r/x.ckpt"), ch => Assert.Equal((byte)'g', ch));
    }
}

/// <summary>Retry-After, the circuit breaker and log redaction.</summary>
[Collection("azurite")]
public sealed class ResiliencePolicyTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task RetryAfterIsHonoured()
    {
        await using var proxy = new FaultProxy(azurite.Server.Port, n => n == 0 ? new Fault.Answer(503, 2) : new Fault.Pass());
        var log = new ListLogger();
        using var store = azurite.NewStore(port: proxy.Port, options: AzuriteFixture.TestOptions(log));   // own backoff: 0.1 s
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await store.ValidateAsync(Ct);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"took {clock.Elapsed}");
        Assert.Contains(log.Lines, l => l.Contains("503", StringComparison.Ordinal) && l.Contains("in 2.00 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NonTransientStatusIsNotRetried()
    {
        await using var proxy = new FaultProxy(azurite.Server.Port, _ => new Fault.Answer(400, null));
        var log = new ListLogger();
        using var store = azurite.NewStore(port: proxy.Port, options: AzuriteFixture.TestOptions(log));
        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => store.ValidateAsync(Ct));
        Assert.Contains("400", ex.Message);
        Assert.Equal(1, proxy.Connections);
        Assert.DoesNotContain(log.Lines, l => l.Contains("retry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CircuitOpensAfterRepeatedFailuresWithAClearMessage()
    {
        await using var proxy = new FaultProxy(azurite.Server.Port, _ => new Fault.Answer(503, null));
        var log = new ListLogger();
        var options = new AzureBlobStoreOptions
        {
            MaxRetries = 8, RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(50),
            CircuitFailureRatio = 0.5, CircuitMinimumThroughput = 3, CircuitBreakDuration = TimeSpan.FromSeconds(30), Logger = log,
        };
        string cs = azurite.Server.ConnectionString(proxy.Port);
        using var store = AzureStorage.Create($"azblob://{AzuriteFixture.NewContainer()}/p", options, _ => cs);
        var ex = await Assert.ThrowsAsync<AzureStorageException>(() => store.ValidateAsync(Ct));
        Assert.Contains("circuit breaker", ex.Message);
        Assert.Contains(log.Lines, l => l.Contains("circuit open", StringComparison.Ordinal));
        int connections = proxy.Connections;
        await Assert.ThrowsAsync<AzureStorageException>(() => store.ExistsAsync("x.ckpt", Ct));
        Assert.Equal(connections, proxy.Connections);   // rejected without touching the network
    }

    [Fact]
    public async Task RetriesOfSasRequestsAreLoggedWithoutTheSignature()
    {
        string container = AzuriteFixture.NewContainer();
        using (var admin = azurite.NewStore(container)) await admin.ValidateAsync(Ct);
        string sas = TestSas.ForContainer(BlobLocation.DevelopmentAccountName, container, "racwdl", Convert.FromBase64String(BlobLocation.DevelopmentAccountKey), TimeSpan.FromHours(1));
        await using var proxy = new FaultProxy(azurite.Server.Port, n => n < 3 ? new Fault.ResetAfter(100) : new Fault.Pass());
        var log = new ListLogger();
        using var store = AzureStorage.Create($"http://127.0.0.1:{proxy.Port}/{BlobLocation.DevelopmentAccountName}/{container}/p?{sas}", AzuriteFixture.TestOptions(log));
        using (var ms = new MemoryStream([1, 2, 3])) await store.PutAsync("x.ckpt", ms, null, Ct);
        Assert.True(await store.ExistsAsync("x.ckpt", Ct));
        Assert.Contains(log.Lines, l => l.Contains("retry", StringComparison.Ordinal));
        string sig = Uri.UnescapeDataString(sas[(sas.IndexOf("sig=", StringComparison.Ordinal) + 4)..]);
        Assert.DoesNotContain(log.Lines, l => l.Contains(sig, StringComparison.Ordinal) || l.Contains(Uri.EscapeDataString(sig), StringComparison.Ordinal) || l.Contains("sig=", StringComparison.Ordinal));
    }
}

/// <summary>Azurite restarted in the middle of a trial's checkpoint sequence (data on disk): the store carries on.</summary>
public sealed class AzuriteRestartTests
{
    [Fact]
    public async Task StoreRecoversWhenAzuriteRestartsMidSequence()
    {
        await using var server = await AzuriteServer.StartAsync();
        var log = new ListLogger();
        var options = new AzureBlobStoreOptions
        {
            MaxRetries = 40, RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(500),
            AttemptTimeout = TimeSpan.FromSeconds(10), ConnectTimeout = TimeSpan.FromSeconds(2), CircuitMinimumThroughput = 1000, Logger = log,
        };
        string cs = server.ConnectionString();
        using var store = AzureStorage.Create("azblob://restart/exp", options, _ => cs);
        await store.ValidateAsync(CancellationToken.None);
        var written = new Dictionary<string, byte[]>();

        async Task WriteAsync(int epoch)
        {
            string key = CheckpointKey.For("fmnist", 1, 0.8 + epoch / 100.0, epoch);
            byte[] data = RandomNumberGenerator.GetBytes(50_000 + epoch);
            using var ms = new MemoryStream(data);
            await store.PutAsync(key, ms, new Dictionary<string, string> { ["epoch"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture) }, CancellationToken.None);
            lock (written) written[key] = data;
        }

        for (int epoch = 1; epoch <= 3; epoch++) await WriteAsync(epoch);
        await server.StopAsync();
        Task during = WriteAsync(4);           // retried while the service is down
        await Task.Delay(1500);
        Assert.False(during.IsCompleted);
        await server.StartAgainAsync();
        await during;
        for (int epoch = 5; epoch <= 6; epoch++) await WriteAsync(epoch);
        await server.RestartAsync();
        await WriteAsync(7);

        var listed = new List<StoredObject>();
        await foreach (var o in store.ListAsync("fmnist/", CancellationToken.None)) listed.Add(o);
        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
        foreach (var (key, data) in written)
        {
            await using Stream s = await store.OpenReadAsync(key, CancellationToken.None);
            var ms = new MemoryStream();
            await s.CopyToAsync(ms);
            Assert.Equal(data, ms.ToArray());
        }
        Assert.Contains(log.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("retry", StringComparison.Ordinal));
    }
}
