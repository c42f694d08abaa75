using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

public class DatasetResolverTests
{
    [Fact]
    public void UnknownNameListsKnownNames()
    {
        var ex = Assert.Throws<DatasetNotFoundException>(() => new DatasetResolver(null, null, "/nonexistent").Locate("imagenet"));
        Assert.Contains("imagenet", ex.Message);
        foreach (string known in DatasetResolver.KnownNames) Assert.Contains(known, ex.Message);
    }

    [Fact]
    public void MissingDatasetListsSearchedPlacesAndInstallHint()
    {
        using var dir = new TempDirectory();
        string dataDir = dir.File("explicit"), system = dir.File("system"), cache = dir.File("cache");
        var ex = Assert.Throws<DatasetNotFoundException>(() => new DatasetResolver(dataDir, system, cache).Locate("fashion-mnist"));
        Assert.Contains(dataDir, ex.Message);
        Assert.Contains(Path.Combine(system, "fashion-mnist"), ex.Message);
        Assert.Contains(Path.Combine(cache, "fashion-mnist"), ex.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
        Assert.Equal(ex.SearchedDirectories.Count, ex.SearchedDirectories.Distinct().Count());
        Assert.True(ex.SearchedDirectories.Count >= 4);
    }

    [Fact]
    public void SearchOrderIsExplicitThenSystemThenCache()
    {
        using var dir = new TempDirectory();
        string system = dir.File("system"), cache = dir.File("cache"), dataDir = dir.File("explicit");
        IdxFiles.WriteDataset(Path.Combine(cache, "mnist"), 2, 1, gzip: false);
        Assert.Equal(Path.Combine(cache, "mnist"), new DatasetResolver(null, system, cache).Locate("mnist"));
        IdxFiles.WriteDataset(Path.Combine(system, "mnist"), 2, 1, gzip: true);
        Assert.Equal(Path.Combine(system, "mnist"), new DatasetResolver(null, system, cache).Locate("MNIST"));
        IdxFiles.WriteDataset(dataDir, 2, 1, gzip: false);
        Assert.Equal(dataDir, new DatasetResolver(dataDir, system, cache).Locate("mnist"));
    }

    [Fact]
    public void IncompleteDirectoryIsSkipped()
    {
        using var dir = new TempDirectory();
        string system = dir.File("system"), cache = dir.File("cache");
        IdxFiles.WriteDataset(Path.Combine(system, "mnist"), 2, 1, gzip: false);
        File.Delete(Path.Combine(system, "mnist", "t10k-labels-idx1-ubyte"));
        IdxFiles.WriteDataset(Path.Combine(cache, "mnist"), 2, 1, gzip: false);
        Assert.Equal(Path.Combine(cache, "mnist"), new DatasetResolver(null, system, cache).Locate("mnist"));
    }

    [Fact]
    public async Task LoadsGeneratedFashionMnistWithClassNames()
    {
        using var dir = new TempDirectory();
        IdxFiles.WriteDataset(dir.File("fashion-mnist"), 30, 7, gzip: true);
        Dataset ds = await new DatasetResolver(dir.Path, null, dir.File("cache")).LoadAsync("fashion_mnist");
        Assert.Equal("fashion-mnist", ds.Name);
        Assert.Equal(30, ds.Train.Count);
        Assert.Equal(7, ds.Test.Count);
        Assert.Equal("Ankle boot", ds.ClassNames[9]);
        Assert.Equal("T-shirt/top", ds.Train.ClassNames[0]);
        Assert.Equal(10, ds.Classes);
    }

    [Fact]
    public async Task LoadsCifarFromExtractedArchiveLayout()
    {
        using var dir = new TempDirectory();
        Cifar10ReaderTests.WriteDataset(Path.Combine(dir.File("cache"), "cifar10", "cifar-10-batches-bin"), 1, meta: false);
        Dataset ds = await new DatasetResolver(null, null, dir.File("cache")).LoadAsync("cifar-10");
        Assert.Equal(5, ds.Train.Count);
        Assert.Equal([3, 32, 32], ds.Train.ImageShape);
    }

    [Fact]
    public void CacheRootFollowsXdg()
    {
        string root = DatasetResolver.DefaultCacheRoot();
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string expectedBase = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        Assert.Equal(Path.Combine(expectedBase, "cvlearn", "datasets"), root);
    }

    /// <summary>The real Debian package, when installed (it is on the build machine): checks shapes and the known label balance.</summary>
    [Fact]
    public async Task LoadsSystemFashionMnistWhenInstalled()
    {
        if (!File.Exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) return;
        Dataset ds = await new DatasetResolver(null, DatasetResolver.DefaultSystemRoot, "/nonexistent").LoadAsync("fashion-mnist");
        Assert.Equal(60_000, ds.Train.Count);
        Assert.Equal(10_000, ds.Test.Count);
        Assert.Equal([1, 28, 28], ds.Train.ImageShape);
        var counts = new int[10];
        foreach (int y in ds.Train.Labels) counts[y]++;
        Assert.All(counts, c => Assert.Equal(6_000, c));   // Fashion-MNIST is exactly balanced
        float max = 0;
        foreach (float p in ds.Train.Pixels) max = Math.Max(max, p);
        Assert.Equal(255f, max);
    }
}
