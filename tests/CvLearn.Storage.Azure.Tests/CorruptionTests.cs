using CvLearn.Core.Checkpoints;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>Bytes flipped at rest (in Azurite's extent files) are caught by the MD5 check while streaming a download.</summary>
public sealed class CorruptionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CorruptedBlobFailsTheDownloadWithAClearError(bool blocks)
    {
        await using var server = await AzuriteServer.StartAsync();
        string cs = server.ConnectionString();
        var options = AzuriteFixture.TestOptions(threshold: blocks ? 10_000 : 4 * 1024 * 1024, blockSize: 30_000);
        using var store = AzureStorage.Create("azblob://corrupt/p", options, _ => cs);
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + i / 251);
        using (var ms = new MemoryStream(data)) await store.PutAsync("exp/x.ckpt", ms, null, CancellationToken.None);

        // Find the extent file holding the content and flip one byte in the middle of it.
        byte[] marker = data.AsSpan(60_000, 64).ToArray();
        bool flipped = false;
        foreach (string file in Directory.EnumerateFiles(server.Location, "*", SearchOption.AllDirectories))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            int at = bytes.AsSpan().IndexOf(marker);
            if (at < 0) continue;
            bytes[at + 10] ^= 0x55;
            await File.WriteAllBytesAsync(file, bytes);
            flipped = true;
        }
        Assert.True(flipped, "the blob's bytes were found in Azurite's data directory");

        await using Stream s = await store.OpenReadAsync("exp/x.ckpt", CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => s.CopyToAsync(Stream.Null));
        Assert.Contains("corrupt", ex.Message);
        Assert.Contains("exp/x.ckpt", ex.Message);
    }
}
