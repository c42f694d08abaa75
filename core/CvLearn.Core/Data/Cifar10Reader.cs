namespace CvLearn.Core.Data;

/// <summary>
/// Reader for the CIFAR-10 binary version (cifar-10-binary.tar.gz): data_batch_1..5.bin and test_batch.bin,
/// each a sequence of 3073-byte records (1 label byte, then 1024 red, 1024 green, 1024 blue bytes of a 32×32 image,
/// row-major per plane). Planar RGB is exactly NCHW, so records are copied without reordering.
/// </summary>
public static class Cifar10Reader
{
    public const int Side = 32;
    public const int Channels = 3;
    public const int ImageBytes = Channels * Side * Side;
    public const int RecordBytes = 1 + ImageBytes;
    public const int Classes = 10;
    public const int ImagesPerBatch = 10_000;

    /// <summary>The class names of CIFAR-10, used when batches.meta.txt is absent.</summary>
    public static IReadOnlyList<string> DefaultClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string TestFile = "test_batch.bin";
    public const string MetaFile = "batches.meta.txt";

    /// <summary>Reads the five training batches and the test batch from <paramref name="directory"/>.</summary>
    public static async Task<(LabeledImages Train, LabeledImages Test, IReadOnlyList<string> ClassNames)> ReadAsync(string directory, CancellationToken ct = default)
    {
        var (train, test, names) = await ReadRawAsync(directory, ct).ConfigureAwait(false);
        return (train.ToLabeledImages(), test.ToLabeledImages(), names);
    }

    /// <summary>Like <see cref="ReadAsync"/>, keeping the pixels as bytes.</summary>
    public static async Task<(RawImages Train, RawImages Test, IReadOnlyList<string> ClassNames)> ReadRawAsync(string directory, CancellationToken ct = default)
    {
        IReadOnlyList<string> names = await ReadClassNamesAsync(directory, ct).ConfigureAwait(false);
        var train = await ReadRawBatchesAsync(TrainFiles.Select(f => Path.Combine(directory, f)).ToArray(), names, ct).ConfigureAwait(false);
        var test = await ReadRawBatchesAsync([Path.Combine(directory, TestFile)], names, ct).ConfigureAwait(false);
        return (train, test, names);
    }

    /// <summary>Class names from batches.meta.txt (one per non-empty line) when present, else <see cref="DefaultClassNames"/>.</summary>
    public static async Task<IReadOnlyList<string>> ReadClassNamesAsync(string directory, CancellationToken ct = default)
    {
        string meta = Path.Combine(directory, MetaFile);
        if (!File.Exists(meta)) return DefaultClassNames;
        string[] lines = await File.ReadAllLinesAsync(meta, ct).ConfigureAwait(false);
        var names = lines.Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != Classes)
            throw new DatasetFormatException($"{meta}: expected {Classes} class names (one per line), found {names.Length}.");
        return names;
    }

    /// <summary>Reads and concatenates batch files (each any whole number of records) into (N, 3, 32, 32) float32 images.</summary>
    public static async Task<LabeledImages> ReadBatchesAsync(IReadOnlyList<string> paths, IReadOnlyList<string>? classNames, CancellationToken ct = default)
        => (await ReadRawBatchesAsync(paths, classNames, ct).ConfigureAwait(false)).ToLabeledImages();

    /// <summary>Like <see cref="ReadBatchesAsync"/>, keeping the pixels as bytes.</summary>
    public static async Task<RawImages> ReadRawBatchesAsync(IReadOnlyList<string> paths, IReadOnlyList<string>? classNames, CancellationToken ct = default)
    {
        var contents = new byte[paths.Count][];
        long total = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            contents[f] = await File.ReadAllBytesAsync(paths[f], ct).ConfigureAwait(false);
            CheckSize(contents[f], paths[f]);
            total += contents[f].Length / RecordBytes;
        }
        var pixels = new byte[total * ImageBytes];
        var labels = new int[total];
        int n = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            byte[] data = contents[f];
            for (int r = 0; r < data.Length / RecordBytes; r++, n++)
            {
                int offset = r * RecordBytes;
                byte label = data[offset];
                if (label >= Classes)
                    throw new DatasetFormatException($"{paths[f]}: record {r} has label {label}, outside [0, {Classes}); the file is corrupt or not a CIFAR-10 binary batch.");
                labels[n] = label;
                data.AsSpan(offset + 1, ImageBytes).CopyTo(pixels.AsSpan(n * ImageBytes, ImageBytes));
            }
        }
        return new RawImages(pixels, labels, Channels, Side, Side, Classes, classNames ?? DefaultClassNames);
    }

    private static void CheckSize(byte[] data, string path)
    {
        long length = data.Length;
        if (length == 0 || length % RecordBytes != 0)
        {
            string extra = FileBytes.IsGzip(data)
                ? " It is gzip-compressed: extract cifar-10-binary.tar.gz (tar xzf) and point at the .bin files."
                : "";
            throw new DatasetFormatException(
                $"{path}: {length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records (a full batch is {(long)ImagesPerBatch * RecordBytes} bytes); the file is truncated or not the binary version.{extra}");
        }
    }
}
