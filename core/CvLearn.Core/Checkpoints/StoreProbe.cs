namespace CvLearn.Core.Checkpoints;

/// <summary>
/// Start-up check of a checkpoint store: writes, lists, reads back and deletes a tiny probe object, so that a wrong
/// path, missing permissions, bad credentials or an unreachable endpoint is reported before any training starts
/// rather than as a crash mid-search.
/// </summary>
public static class StoreProbe
{
    /// <summary>Key prefix of probe objects (never a valid experiment's trial prefix).</summary>
    public const string Prefix = "_cvlearn-probe/";

    /// <exception cref="IOException">The store is not usable; the message names it and the cause.</exception>
    public static async Task CheckAsync(ICheckpointStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        string key = Prefix + Environment.MachineName.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N");
        byte[] payload = System.Text.Encoding.ASCII.GetBytes("cvlearn storage probe " + key);
        try
        {
            using (var content = new MemoryStream(payload, writable: false)) await store.PutAsync(key, content, null, ct).ConfigureAwait(false);
            var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, ct).ConfigureAwait(false);
                if (!copy.ToArray().AsSpan().SequenceEqual(payload)) throw new IOException("the probe object read back differs from what was written");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not IOException { Source: nameof(StoreProbe) })
        {
            throw new IOException($"Storage {store.Describe} is not usable: {e.Message}", e) { Source = nameof(StoreProbe) };
        }
        finally
        {
            try
            {
                await store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The probe is harmless if it stays; the real error (if any) was reported above.
            }
        }
    }
}
