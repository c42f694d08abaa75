using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

public class Cifar10ReaderTests
{
    /// <summary>Writes a batch of records where pixel p of record r is (r + p) mod 256 and the label is r mod 10.</summary>
    internal static byte[] Batch(int records, int labelOffset = 0)
    {
        var data = new byte[records * Cifar10Reader.RecordBytes];
        for (int r = 0; r < records; r++)
        {
            int o = r * Cifar10Reader.RecordBytes;
            data[o] = (byte)((r + labelOffset) % 10);
            for (int p = 0; p < Cifar10Reader.ImageBytes; p++) data[o + 1 + p] = (byte)((r + p) % 256);
        }
        return data;
    }

    internal static void WriteDataset(string dir, int recordsPerBatch, bool meta)
    {
        Directory.CreateDirectory(dir);
        for (int b = 0; b < 5; b++) File.WriteAllBytes(Path.Combine(dir, Cifar10Reader.TrainFiles[b]), Batch(recordsPerBatch, b));
        File.WriteAllBytes(Path.Combine(dir, Cifar10Reader.TestFile), Batch(recordsPerBatch, 7));
        if (meta) File.WriteAllText(Path.Combine(dir, Cifar10Reader.MetaFile), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
    }

    [Fact]
    public async Task ReadsPlanarRecordsAsNchwWithLabels()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir.Path, 3, meta: true);
        var (train, test, names) = await Cifar10Reader.ReadAsync(dir.Path);

        Assert.Equal(15, train.Count);
        Assert.Equal(3, test.Count);
        Assert.Equal([3, 32, 32], train.ImageShape);
        Assert.Equal(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], names);
        // Record 1 of batch 2 (overall index 4): label (1 + 1) % 10, green plane pixel (row 0, col 5) is p = 1024 + 5.
        Assert.Equal(2, train.Labels[4]);
        Assert.Equal((float)((1 + 1024 + 5) % 256), train.Image(4)[1024 + 5]);
        Assert.Equal(7, test.Labels[0]);
    }

    [Fact]
    public async Task UsesDefaultNamesWithoutMetaFile()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir.Path, 1, meta: false);
        var (_, _, names) = await Cifar10Reader.ReadAsync(dir.Path);
        Assert.Equal("airplane", names[0]);
        Assert.Equal("truck", names[9]);
    }

    [Fact]
    public async Task WrongFileSizeIsRejectedWithRecordSize()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir.Path, 2, meta: false);
        byte[] cut = Batch(2).AsSpan(0, 2 * Cifar10Reader.RecordBytes - 100).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, "data_batch_3.bin"), cut);
        var ex = await Assert.ThrowsAsync<DatasetFormatException>(() => Cifar10Reader.ReadAsync(dir.Path));
        Assert.Contains("data_batch_3.bin", ex.Message);
        Assert.Contains(cut.Length.ToString(), ex.Message);
        Assert.Contains("3073", ex.Message);
    }

    [Fact]
    public async Task GzippedBatchGetsExtractionHint()
    {
        using var dir = new TempDirectory();
        string path = dir.File("test_batch.bin");
        await File.WriteAllBytesAsync(path, IdxFiles.Gzip(Batch(2)));
        var ex = await Assert.ThrowsAsync<DatasetFormatException>(() => Cifar10Reader.ReadBatchesAsync([path], null));
        Assert.Contains("gzip", ex.Message);
    }

    [Fact]
    public async Task LabelAboveNineIsRejected()
    {
        using var dir = new TempDirectory();
        byte[] data = Batch(2);
        data[Cifar10Reader.RecordBytes] = 42;
        string path = dir.File("b.bin");
        await File.WriteAllBytesAsync(path, data);
        var ex = await Assert.ThrowsAsync<DatasetFormatException>(() => Cifar10Reader.ReadBatchesAsync([path], null));
        Assert.Contains("label 42", ex.Message);
    }
}
