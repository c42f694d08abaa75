using System.Security.Cryptography;

namespace CvLearn.Storage.Azure.Tests;

public class Md5VerifyingStreamTests
{
#pragma warning disable CA5351 // MD5 as the Blob service uses it
    private static byte[] Md5(byte[] b) => MD5.HashData(b);
#pragma warning restore CA5351

    [Fact]
    public async Task MatchingContentReadsThrough()
    {
        byte[] data = RandomNumberGenerator.GetBytes(100_000);
        await using var s = new Md5VerifyingStream(new MemoryStream(data), null, Md5(data), data.Length, "x");
        var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task CorruptContentThrowsAtEndOfStream()
    {
        byte[] data = RandomNumberGenerator.GetBytes(10_000);
        byte[] md5 = Md5(data);
        data[5000] ^= 1;
        await using var s = new Md5VerifyingStream(new MemoryStream(data), null, md5, data.Length, "'k' from store");
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => s.CopyToAsync(Stream.Null));
        Assert.Contains("corrupt", ex.Message);
        Assert.Contains("'k'", ex.Message);
    }

    [Fact]
    public async Task TruncatedContentThrows()
    {
        byte[] data = RandomNumberGenerator.GetBytes(10_000);
        await using var s = new Md5VerifyingStream(new MemoryStream(data[..9000]), null, Md5(data), data.Length, "x");
        Assert.Contains("truncated", (await Assert.ThrowsAsync<InvalidDataException>(() => s.CopyToAsync(Stream.Null))).Message);
    }
}

public class AzuriteInstallTests
{
    [Fact]
    public void MissingAzuriteFailsWithInstructionsInsteadOfSkipping()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => AzuriteServer.FindExecutable("/nonexistent/azurite-blob"));
        Assert.Contains("tests/storage/setup.sh", ex.Message);
        Assert.True(File.Exists(AzuriteServer.FindExecutable()), "the pinned Azurite is installed (tests/storage/setup.sh)");
    }
}
