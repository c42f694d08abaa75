namespace CvLearn.Core.Data;

/// <summary>
/// Finds and loads a dataset by name (<c>fashion-mnist</c>, <c>mnist</c>, <c>cifar10</c>). Search order:
/// <list type="number">
/// <item>the explicit directory (<c>--data-dir</c>): the directory itself, then DIR/NAME;</item>
/// <item>the system location /usr/share/datasets/NAME (Debian's dataset-fashion-mnist installs there);</item>
/// <item>the user cache $XDG_CACHE_HOME/cvlearn/datasets/NAME, or ~/.cache/cvlearn/datasets/NAME.</item>
/// </list>
/// The first directory holding all the files wins. IDX files may be raw or gzip (with or without a .gz name).
/// </summary>
public sealed class DatasetResolver
{
    public const string DefaultSystemRoot = "/usr/share/datasets";

    private static readonly string[] IdxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Names this resolver knows.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = ["fashion-mnist", "mnist", "cifar10"];

    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<string> MnistClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private readonly string? _dataDir;
    private readonly string? _systemRoot;
    private readonly string? _cacheRoot;

    /// <param name="dataDir">Explicit directory (<c>--data-dir</c>), searched first; null to skip.</param>
    /// <param name="systemRoot">System dataset root (default /usr/share/datasets); null to skip (tests).</param>
    /// <param name="cacheRoot">User cache root holding NAME directories; default from XDG_CACHE_HOME or ~/.cache.</param>
    public DatasetResolver(string? dataDir = null, string? systemRoot = DefaultSystemRoot, string? cacheRoot = null)
    {
        _dataDir = string.IsNullOrWhiteSpace(dataDir) ? null : Path.GetFullPath(dataDir);
        _systemRoot = systemRoot;
        _cacheRoot = cacheRoot ?? DefaultCacheRoot();
    }

    /// <summary>$XDG_CACHE_HOME/cvlearn/datasets, or ~/.cache/cvlearn/datasets when XDG_CACHE_HOME is unset or relative.</summary>
    public static string DefaultCacheRoot()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string cache = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "cvlearn", "datasets");
    }

    /// <summary>The directories searched for <paramref name="name"/>, in order.</summary>
    public IReadOnlyList<string> CandidateDirectories(string name)
    {
        string canonical = Canonical(name);
        var dirs = new List<string>();
        if (_dataDir is not null)
        {
            dirs.Add(_dataDir);
            dirs.Add(Path.Combine(_dataDir, canonical));
        }
        if (_systemRoot is not null) dirs.Add(Path.Combine(_systemRoot, canonical));
        if (_cacheRoot is not null) dirs.Add(Path.Combine(_cacheRoot, canonical));
        if (canonical == "cifar10")
        {
            // The official archive extracts to cifar-10-batches-bin/; accept that layout under every candidate.
            foreach (string d in dirs.ToArray()) dirs.Insert(dirs.IndexOf(d) + 1, Path.Combine(d, "cifar-10-batches-bin"));
        }
        return dirs;
    }

    /// <summary>The first directory holding all files of <paramref name="name"/>.</summary>
    /// <exception cref="DatasetNotFoundException">Unknown name (lists the known ones) or no directory has the files (lists where it looked and how to install).</exception>
    public string Locate(string name)
    {
        string canonical = Canonical(name);
        var searched = CandidateDirectories(canonical);
        foreach (string dir in searched)
            if (HasAllFiles(canonical, dir)) return dir;
        throw new DatasetNotFoundException(NotFoundMessage(canonical, searched)) { SearchedDirectories = searched };
    }

    /// <summary>Locates and loads <paramref name="name"/>.</summary>
    public async Task<Dataset> LoadAsync(string name, CancellationToken ct = default)
        => (await LoadRawAsync(name, ct).ConfigureAwait(false)).ToDataset();

    /// <summary>Locates and loads <paramref name="name"/>, keeping the pixels as bytes (see <see cref="RawImages"/>).</summary>
    public async Task<RawDataset> LoadRawAsync(string name, CancellationToken ct = default)
    {
        string canonical = Canonical(name);
        string dir = Locate(canonical);
        if (canonical == "cifar10")
        {
            var (train, test, names) = await Cifar10Reader.ReadRawAsync(dir, ct).ConfigureAwait(false);
            return new RawDataset(canonical, train, test, names, dir);
        }
        IReadOnlyList<string> classNames = canonical == "fashion-mnist" ? FashionMnistClassNames : MnistClassNames;
        var trainTask = IdxReader.ReadRawAsync(IdxPath(dir, IdxFiles[0])!, IdxPath(dir, IdxFiles[1])!, 10, classNames, ct);
        var testTask = IdxReader.ReadRawAsync(IdxPath(dir, IdxFiles[2])!, IdxPath(dir, IdxFiles[3])!, 10, classNames, ct);
        return new RawDataset(canonical, await trainTask.ConfigureAwait(false), await testTask.ConfigureAwait(false), classNames, dir);
    }

    /// <summary>Normalises a user-given name (case, "fashion_mnist", "cifar-10") or throws listing the known names.</summary>
    public static string Canonical(string name)
    {
        string n = (name ?? "").Trim().ToLowerInvariant().Replace('_', '-');
        return n switch
        {
            "fashion-mnist" or "fashionmnist" => "fashion-mnist",
            "mnist" => "mnist",
            "cifar10" or "cifar-10" => "cifar10",
            _ => throw new DatasetNotFoundException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", KnownNames)}."),
        };
    }

    private static bool HasAllFiles(string canonical, string dir)
    {
        if (!Directory.Exists(dir)) return false;
        if (canonical == "cifar10")
            return Cifar10Reader.TrainFiles.All(f => File.Exists(Path.Combine(dir, f))) && File.Exists(Path.Combine(dir, Cifar10Reader.TestFile));
        return IdxFiles.All(f => IdxPath(dir, f) is not null);
    }

    /// <summary>The .gz file when present, else the raw file, else null. Compression is decided by content when read.</summary>
    private static string? IdxPath(string dir, string baseName)
    {
        string gz = Path.Combine(dir, baseName + ".gz");
        if (File.Exists(gz)) return gz;
        string raw = Path.Combine(dir, baseName);
        return File.Exists(raw) ? raw : null;
    }

    private string NotFoundMessage(string canonical, IReadOnlyList<string> searched)
    {
        string cacheDir = Path.Combine(_cacheRoot ?? DefaultCacheRoot(), canonical);
        string files = canonical == "cifar10"
            ? string.Join(", ", Cifar10Reader.TrainFiles) + ", " + Cifar10Reader.TestFile + " (optional " + Cifar10Reader.MetaFile + ")"
            : string.Join(", ", IdxFiles.Select(f => f + "[.gz]"));
        string install = canonical switch
        {
            "fashion-mnist" => $"Install it with `sudo apt-get install dataset-fashion-mnist`, or put {files} in {cacheDir} (or pass --data-dir DIR).",
            "mnist" => $"Put the MNIST files {files} in {cacheDir} (or pass --data-dir DIR).",
            _ => $"Download the CIFAR-10 binary version (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html), extract it and put {files} in {cacheDir} (or pass --data-dir DIR).",
        };
        return $"Dataset '{canonical}' not found. Searched, in order:{Environment.NewLine}  "
            + string.Join(Environment.NewLine + "  ", searched)
            + Environment.NewLine + install;
    }
}
