using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false, "images.idx", "labels.idx")]
    [InlineData(true, "images.idx.gz", "labels.idx.gz")]
    [InlineData(true, "images-no-gz-extension", "labels-no-gz-extension")]   // compression is detected by content
    [InlineData(false, "raw-but-named.gz", "raw-labels-named.gz")]
    public async Task ReadsRawAndGzipFilesByContent(bool gzip, string imagesName, string labelsName)
    {
        using var dir = new TempDirectory();
        byte[] images = IdxFiles.Images(5, 3, 4, i => (byte)(i * 7 % 256));
        byte[] labels = IdxFiles.Labels(5, i => (byte)(9 - i));
        await File.WriteAllBytesAsync(dir.File(imagesName), gzip ? IdxFiles.Gzip(images) : images);
        await File.WriteAllBytesAsync(dir.File(labelsName), gzip ? IdxFiles.Gzip(labels) : labels);

        LabeledImages set = await IdxReader.ReadAsync(dir.File(imagesName), dir.File(labelsName), 10, null);

        Assert.Equal(5, set.Count);
        Assert.Equal([1, 3, 4], set.ImageShape);
        Assert.Equal([9, 8, 7, 6, 5], set.Labels);
        for (int i = 0; i < 5 * 12; i++) Assert.Equal((float)(i * 7 % 256), set.Pixels[i]);
    }

    [Fact]
    public void WrongMagicIsReportedWithBothValues()
    {
        byte[] data = IdxFiles.Images(2, 2, 2, _ => 0, magic: 0x12345678);
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ParseImages(data, "x.idx"));
        Assert.Contains("0x12345678", ex.Message);
        Assert.Contains("0x00000803", ex.Message);
        Assert.Contains("x.idx", ex.Message);
    }

    [Fact]
    public void LabelFileGivenAsImagesSuggestsSwappedPaths()
    {
        byte[] labels = IdxFiles.Labels(20, _ => 1);
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ParseImages(labels, "labels.idx"));
        Assert.Contains("swapped", ex.Message);
    }

    [Fact]
    public void TruncatedImagesReportExpectedAndActualLength()
    {
        byte[] data = IdxFiles.Images(10, 4, 4, _ => 1);
        byte[] cut = data.AsSpan(0, data.Length - 5).ToArray();
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ParseImages(cut, "cut.idx"));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains((16 + 160).ToString(), ex.Message);
        Assert.Contains(cut.Length.ToString(), ex.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        byte[] data = IdxFiles.Images(1, 1, 1, _ => 1).AsSpan(0, 10).ToArray();
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ParseImages(data, "h.idx"));
        Assert.Contains("header", ex.Message);
    }

    [Fact]
    public void TruncatedLabelsAreRejected()
    {
        byte[] data = IdxFiles.Labels(10, _ => 1);
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ParseLabels(data.AsSpan(0, 12).ToArray(), "l.idx"));
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public async Task TruncatedGzipStreamIsRejected()
    {
        using var dir = new TempDirectory();
        byte[] gz = IdxFiles.Gzip(IdxFiles.Images(50, 28, 28, i => (byte)(i * 31)));
        await File.WriteAllBytesAsync(dir.File("cut.gz"), gz.AsSpan(0, gz.Length / 2).ToArray());
        var ex = await Assert.ThrowsAsync<DatasetFormatException>(() => IdxReader.ReadImagesAsync(dir.File("cut.gz")));
        Assert.Contains("cut.gz", ex.Message);
    }

    [Fact]
    public void CountMismatchBetweenImagesAndLabelsIsRejected()
    {
        var images = IdxReader.ParseImages(IdxFiles.Images(6, 2, 2, _ => 0), "img");
        byte[] labels = IdxReader.ParseLabels(IdxFiles.Labels(5, _ => 0), "lbl");
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ToLabeledImages(images, labels, 10, null, "img", "lbl"));
        Assert.Contains("6 images", ex.Message);
        Assert.Contains("5 labels", ex.Message);
    }

    [Fact]
    public void LabelOutsideClassRangeIsRejected()
    {
        var images = IdxReader.ParseImages(IdxFiles.Images(2, 2, 2, _ => 0), "img");
        byte[] labels = IdxReader.ParseLabels(IdxFiles.Labels(2, i => (byte)(i == 1 ? 10 : 0)), "lbl");
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.ToLabeledImages(images, labels, 10, null, "img", "lbl"));
        Assert.Contains("label 10", ex.Message);
    }
}
