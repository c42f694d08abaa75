using CvLearn.Core.Checkpoints;

namespace CvLearn.Core.Tests.Checkpoints;

public class StorageLocationTests
{
    [Fact]
    public void PlainDirectoryAndFileUriGiveFileSystemStore()
    {
        var a = Assert.IsType<FileSystemCheckpointStore>(StorageLocation.Parse("/srv/ckpt"));
        Assert.Equal("/srv/ckpt", a.RootDirectory);
        var b = Assert.IsType<FileSystemCheckpointStore>(StorageLocation.Parse("file:///srv/ckpt/"));
        Assert.Equal("/srv/ckpt", b.RootDirectory);
        var c = Assert.IsType<FileSystemCheckpointStore>(StorageLocation.Parse("relative/dir"));
        Assert.Equal(Path.GetFullPath("relative/dir"), c.RootDirectory);
    }

    [Fact]
    public void UnknownSchemeListsSupportedOnesAndMentionsAzure()
    {
        var ex = Assert.Throws<ArgumentException>(() => StorageLocation.Parse("s3://bucket/x"));
        Assert.Contains("'s3'", ex.Message);
        Assert.Contains("file://", ex.Message);
        Assert.Contains("azblob://", ex.Message);
        var az = Assert.Throws<ArgumentException>(() => StorageLocation.Parse("azblob://account/container"));
        Assert.Contains("AzureStorage.Register()", az.Message);
    }

    [Fact]
    public void RegisteredSchemeIsUsed()
    {
        StorageLocation.RegisterScheme("memtest", uri => new FileSystemCheckpointStore("/tmp/" + uri.Host));
        var store = Assert.IsType<FileSystemCheckpointStore>(StorageLocation.Parse("memtest://abc/x"));
        Assert.Equal("/tmp/abc", store.RootDirectory);
        Assert.Contains("memtest", StorageLocation.SupportedSchemes);
    }

    [Fact]
    public void RemoteFileUriAndEmptyAreRejected()
    {
        Assert.Contains("local", Assert.Throws<ArgumentException>(() => StorageLocation.Parse("file://fileserver/share")).Message);
        Assert.Throws<ArgumentException>(() => StorageLocation.Parse(" "));
    }
}
