using CvLearn.Core.Checkpoints;
using CvLearn.Core.Tests.Checkpoints;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>The storage contract (the same suite the file-system store passes) on a real Azurite, Shared Key, with an awkward prefix.</summary>
[Collection("azurite")]
public sealed class AzureBlobStoreContractTests(AzuriteFixture azurite) : CheckpointStoreContract
{
    // Created up front: the contract's lazy Store getter may be hit by several threads at once.
    private readonly AzureBlobCheckpointStore _store = azurite.NewStore(prefix: "pre%20fix/%C3%BC%2B%26%25");

    protected override ICheckpointStore CreateStore() => _store;

    [Fact]
    public void PrefixIsDecodedAndKeysStayRelative()
    {
        Assert.Equal("pre fix/ü+&%/", _store.Location.Prefix);
        Assert.DoesNotContain("Eby8", _store.Describe, StringComparison.Ordinal);
    }

    public override void Dispose()
    {
        _store.Dispose();
        base.Dispose();
    }
}

/// <summary>The contract with tiny upload thresholds: every non-trivial put goes through Put Block + Put Block List.</summary>
[Collection("azurite")]
public sealed class AzureBlobStoreBlockUploadContractTests(AzuriteFixture azurite) : CheckpointStoreContract
{
    private readonly AzureBlobCheckpointStore _store = azurite.NewStore(options: AzuriteFixture.TestOptions(threshold: 1000, blockSize: 64 * 1024 + 7));

    protected override ICheckpointStore CreateStore() => _store;

    public override void Dispose()
    {
        _store.Dispose();
        base.Dispose();
    }
}

/// <summary>The contract through a container SAS URL (path-style, as Azurite serves it) instead of Shared Key.</summary>
[Collection("azurite")]
public sealed class AzureBlobStoreSasContractTests(AzuriteFixture azurite) : CheckpointStoreContract, IAsyncLifetime
{
    private AzureBlobCheckpointStore? _store;

    protected override ICheckpointStore CreateStore() => _store ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        string container = AzuriteFixture.NewContainer();
        // The SAS cannot create containers: create it with the account key first.
        using (var admin = azurite.NewStore(container)) await admin.ValidateAsync(CancellationToken.None);
        string sas = TestSas.ForContainer(BlobLocation.DevelopmentAccountName, container, "racwdl", Convert.FromBase64String(BlobLocation.DevelopmentAccountKey), TimeSpan.FromHours(1));
        _store = AzureStorage.Create($"{azurite.Server.BlobEndpoint}/{container}/sas%20runs?{sas}", AzuriteFixture.TestOptions());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public override void Dispose()
    {
        _store?.Dispose();
        base.Dispose();
    }
}
