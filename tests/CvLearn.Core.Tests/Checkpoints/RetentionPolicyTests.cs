using CvLearn.Core.Checkpoints;
using CvLearn.Core.Tests.Data;

namespace CvLearn.Core.Tests.Checkpoints;

public class RetentionPolicyTests
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    private static string K(int trial, double acc, int epoch) => CheckpointKey.For("exp", trial, acc, epoch);

    [Fact]
    public void KeepsTopKPerTrial()
    {
        string[] keys = [K(1, 0.50, 1), K(1, 0.60, 2), K(1, 0.55, 3), K(1, 0.70, 4), K(2, 0.40, 1), K(2, 0.45, 2)];
        var delete = new RetentionPolicy(2, null).SelectForDeletion(keys, "exp", None);
        Assert.Equal([K(1, 0.50, 1), K(1, 0.55, 3)], delete.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ExperimentLimitKeepsGlobalBestWithAtMostKPerTrial()
    {
        string[] keys = [K(1, 0.90, 1), K(1, 0.91, 2), K(1, 0.92, 3), K(2, 0.80, 1), K(3, 0.70, 1), K(3, 0.85, 2)];
        var delete = new RetentionPolicy(2, 3).SelectForDeletion(keys, "exp", None);
        // Ranked: .92(t1) .91(t1) [.90 t1 exceeds per-trial] .85(t3) | .80(t2) .70(t3) beyond the top 3 slots.
        var kept = keys.Except(delete).Order(StringComparer.Ordinal);
        Assert.Equal([K(1, 0.91, 2), K(1, 0.92, 3), K(3, 0.85, 2)], kept);
    }

    [Fact]
    public void ProtectedKeysSurvive()
    {
        string resume = K(1, 0.30, 9);   // newest epoch of a running trial, but bad accuracy
        string[] keys = [K(1, 0.90, 1), K(1, 0.80, 2), resume];
        Assert.Equal(resume, RetentionPolicy.NewestByEpoch(keys));
        var delete = new RetentionPolicy(1, 1).SelectForDeletion(keys, "exp", new HashSet<string> { resume });
        Assert.Equal([K(1, 0.80, 2)], delete);
    }

    [Fact]
    public void ForeignKeysAndOtherExperimentsAreNeverDeleted()
    {
        string[] keys = [K(1, 0.9, 1), K(1, 0.8, 2), "exp/notes.txt", "exp/trial-0001/log.txt", CheckpointKey.For("other", 1, 0.1, 1)];
        var delete = new RetentionPolicy(1, null).SelectForDeletion(keys, "exp", None);
        Assert.Equal([K(1, 0.8, 2)], delete);
    }

    [Fact]
    public void InvalidLimitsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionPolicy(0, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionPolicy(1, 0));
    }

    [Fact]
    public async Task ApplyDeletesThroughTheStore()
    {
        using var dir = new TempDirectory();
        var store = new FileSystemCheckpointStore(dir.Path);
        string[] keys = [K(1, 0.50, 1), K(1, 0.60, 2), K(1, 0.55, 3), K(2, 0.70, 1), K(2, 0.20, 2), CheckpointKey.For("other", 1, 0.1, 1)];
        foreach (string k in keys)
            using (var ms = new MemoryStream([1, 2, 3])) await store.PutAsync(k, ms, null, CancellationToken.None);

        var deleted = await new RetentionPolicy(1, null).ApplyAsync(store, "exp", new HashSet<string> { K(2, 0.20, 2) }, CancellationToken.None);

        Assert.Equal([K(1, 0.50, 1), K(1, 0.55, 3)], deleted.Order(StringComparer.Ordinal));
        var remaining = new List<string>();
        await foreach (var o in store.ListAsync("", CancellationToken.None)) remaining.Add(o.Key);
        string[] expected = [K(1, 0.60, 2), K(2, 0.20, 2), K(2, 0.70, 1), CheckpointKey.For("other", 1, 0.1, 1)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), remaining);
    }
}
