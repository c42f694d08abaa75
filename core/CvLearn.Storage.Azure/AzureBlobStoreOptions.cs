using Microsoft.Extensions.Logging;

namespace CvLearn.Storage.Azure;

/// <summary>Tuning of <see cref="AzureBlobCheckpointStore"/>; the defaults suit checkpoints of a few MB over the internet.</summary>
public sealed class AzureBlobStoreOptions
{
    /// <summary>Content up to this size is uploaded with one Put Blob; larger content with Put Block + Put Block List.</summary>
    public int SingleUploadThreshold { get; init; } = 4 * 1024 * 1024;

    /// <summary>Size of each block of a block upload (Azure allows up to 4000 MiB; 4 MiB keeps retries cheap).</summary>
    public int BlockSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Retries after the first attempt for transient failures (408, 429, 5xx, timeouts, connection errors).</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>First retry delay; doubles per retry, with jitter, capped by <see cref="MaxRetryDelay"/>. A Retry-After header wins.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Time limit of one attempt (until the response headers arrive).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>TCP connect timeout.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The circuit opens when this share of at least <see cref="CircuitMinimumThroughput"/> attempts within 30 s fails.</summary>
    public double CircuitFailureRatio { get; init; } = 0.9;

    public int CircuitMinimumThroughput { get; init; } = 20;

    /// <summary>How long an open circuit rejects requests before letting a probe through.</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>x-ms-version sent with every request.</summary>
    public string ApiVersion { get; init; } = "2021-08-06";

    /// <summary>Page size of List Blobs (the service caps it at 5000).</summary>
    public int ListPageSize { get; init; } = 5000;

    public ILogger? Logger { get; init; }
}
