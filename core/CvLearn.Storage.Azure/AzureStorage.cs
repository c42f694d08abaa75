using CvLearn.Core.Checkpoints;
using Microsoft.Extensions.Logging;

namespace CvLearn.Storage.Azure;

/// <summary>
/// Plugs Azure Blob Storage into <see cref="StorageLocation"/>. Hosts call <see cref="Register"/> once at start-up; then
/// <c>StorageLocation.Parse</c> accepts
/// <list type="bullet">
/// <item><c>azblob://CONTAINER/PREFIX</c> with the connection string in the environment variable
/// <c>CVLEARN_AZURE_CONNECTION_STRING</c> (never on the command line; <c>UseDevelopmentStorage=true</c> for Azurite),</item>
/// <item><c>https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS</c> (and path-style
/// <c>http://127.0.0.1:10000/devstoreaccount1/CONTAINER/PREFIX?SAS</c> for Azurite).</item>
/// </list>
/// and the host calls <see cref="ValidateAsync"/> on the parsed store to fail fast on bad credentials or endpoints.
/// </summary>
public static class AzureStorage
{
    /// <summary>Registers the "azblob", "https" and "http" schemes. Idempotent.</summary>
    /// <param name="options">Store options (logger, retries); null for defaults.</param>
    /// <param name="environment">Reads environment variables (tests substitute it); null for <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    public static void Register(AzureBlobStoreOptions? options = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        StorageLocation.RegisterScheme("azblob", uri => Create(uri.OriginalString, options, environment));
        StorageLocation.RegisterScheme("https", uri => Create(uri.OriginalString, options, environment));
        StorageLocation.RegisterScheme("http", uri => Create(uri.OriginalString, options, environment));
    }

    /// <summary>Registers with a logger for retries, circuit-breaker state and container creation.</summary>
    public static void Register(ILogger logger) => Register(new AzureBlobStoreOptions { Logger = logger });

    /// <summary>Creates a store for an azblob:// location or an http(s) SAS URL (no network access yet).</summary>
    public static AzureBlobCheckpointStore Create(string location, AzureBlobStoreOptions? options = null, Func<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        environment ??= Environment.GetEnvironmentVariable;
        BlobLocation parsed = location.StartsWith("azblob://", StringComparison.OrdinalIgnoreCase)
            ? BlobLocation.FromAzblob(location, environment(BlobLocation.ConnectionStringVariable))
            : BlobLocation.FromSasUrl(location);
        return new AzureBlobCheckpointStore(parsed, options);
    }

    /// <summary>
    /// Start-up validation for any store: Azure stores create their container if missing and list one blob; other
    /// stores need nothing. Throws <see cref="AzureStorageException"/> with a message saying what to check.
    /// </summary>
    public static Task ValidateAsync(ICheckpointStore store, CancellationToken ct)
        => store is AzureBlobCheckpointStore azure ? azure.ValidateAsync(ct) : Task.CompletedTask;

    /// <summary>
    /// What every host does with a storage argument: parse it (directories, file:///, azblob://, SAS URLs), create
    /// the Azure container when missing, then write, read back and delete a probe object (<see cref="StoreProbe"/>),
    /// so that a wrong path, bad credentials or an unreachable endpoint fail at start-up with a clear message.
    /// </summary>
    public static async Task<ICheckpointStore> OpenAsync(string location, CancellationToken ct)
    {
        var store = StorageLocation.Parse(location);
        await ValidateAsync(store, ct).ConfigureAwait(false);
        await StoreProbe.CheckAsync(store, ct).ConfigureAwait(false);
        return store;
    }
}
