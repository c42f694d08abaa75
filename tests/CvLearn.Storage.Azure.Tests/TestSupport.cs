using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CvLearn.Core.Checkpoints;
using Microsoft.Extensions.Logging;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>Collects log lines for assertions (e.g. retries are logged, secrets are not).</summary>
public sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}

/// <summary>Service SAS for a container (version 2021-08-06 string-to-sign of "Create a service SAS"), for the tests only.</summary>
public static class TestSas
{
    public static string ForContainer(string account, string container, string permissions, byte[] key, TimeSpan validFor, string version = "2021-08-06")
    {
        string expiry = DateTimeOffset.UtcNow.Add(validFor).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        string stringToSign = string.Join('\n',
            permissions, "", expiry, $"/blob/{account}/{container}", "", "", "", version, "c", "", "", "", "", "", "", "");
        string sig = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return $"sv={version}&sr=c&sp={permissions}&se={Uri.EscapeDataString(expiry)}&sig={Uri.EscapeDataString(sig)}";
    }
}

/// <summary>Whole-object store calls for the scenario tests: put bytes, get bytes, list a prefix.</summary>
public static class StoreIo
{
    public static async Task PutAsync(ICheckpointStore store, string key, byte[] data, IReadOnlyDictionary<string, string>? meta = null)
    {
        using var ms = new MemoryStream(data);
        await store.PutAsync(key, ms, meta, CancellationToken.None);
    }

    public static async Task<byte[]> GetAsync(ICheckpointStore store, string key)
    {
        await using Stream s = await store.OpenReadAsync(key, CancellationToken.None);
        var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }

    public static async Task<List<StoredObject>> ListAsync(ICheckpointStore store, string prefix)
    {
        var list = new List<StoredObject>();
        await foreach (var o in store.ListAsync(prefix, CancellationToken.None)) list.Add(o);
        return list;
    }
}
