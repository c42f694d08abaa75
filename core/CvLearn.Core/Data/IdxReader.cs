using System.Buffers.Binary;

namespace CvLearn.Core.Data;

/// <summary>Decoded IDX image file: <see cref="Count"/> images of <see cref="Rows"/>×<see cref="Columns"/> bytes, row-major.</summary>
public sealed record IdxImages(int Count, int Rows, int Columns, ReadOnlyMemory<byte> Pixels);

/// <summary>
/// Reader for the MNIST IDX format used by MNIST and Fashion-MNIST:
/// images: magic 0x00000803, then big-endian int32 count, rows, columns, then count·rows·columns unsigned bytes;
/// labels: magic 0x00000801, then big-endian int32 count, then count unsigned bytes.
/// Files may be gzip-compressed; that is detected from the gzip magic bytes, not from the extension.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file and a label file into NCHW (N, 1, rows, cols) float32 images with pixel values 0–255.</summary>
    /// <exception cref="DatasetFormatException">Wrong magic, truncated data, counts that differ, or labels ≥ <paramref name="classes"/>.</exception>
    public static async Task<LabeledImages> ReadAsync(string imagesPath, string labelsPath, int classes, IReadOnlyList<string>? classNames, CancellationToken ct = default)
        => (await ReadRawAsync(imagesPath, labelsPath, classes, classNames, ct).ConfigureAwait(false)).ToLabeledImages();

    /// <summary>Like <see cref="ReadAsync"/>, keeping the pixels as bytes.</summary>
    public static async Task<RawImages> ReadRawAsync(string imagesPath, string labelsPath, int classes, IReadOnlyList<string>? classNames, CancellationToken ct = default)
    {
        var imagesTask = ReadImagesAsync(imagesPath, ct);
        var labelsTask = ReadLabelsAsync(labelsPath, ct);
        IdxImages images = await imagesTask.ConfigureAwait(false);
        byte[] labels = await labelsTask.ConfigureAwait(false);
        return ToRawImages(images, labels, classes, classNames, imagesPath, labelsPath);
    }

    /// <summary>Reads an IDX image file (raw or gzip).</summary>
    public static async Task<IdxImages> ReadImagesAsync(string path, CancellationToken ct = default)
        => ParseImages(await FileBytes.ReadMaybeGzipAsync(path, ct).ConfigureAwait(false), path);

    /// <summary>Reads an IDX label file (raw or gzip).</summary>
    public static async Task<byte[]> ReadLabelsAsync(string path, CancellationToken ct = default)
        => ParseLabels(await FileBytes.ReadMaybeGzipAsync(path, ct).ConfigureAwait(false), path);

    /// <summary>Parses the (already decompressed) bytes of an IDX image file; <paramref name="source"/> names it in errors.</summary>
    public static IdxImages ParseImages(byte[] data, string source)
    {
        CheckHeader(data, ImagesMagic, 16, "image", source);
        int count = ReadDim(data, 4, "image count", source);
        int rows = ReadDim(data, 8, "row count", source);
        int cols = ReadDim(data, 12, "column count", source);
        long expected = 16 + (long)count * rows * cols;
        if (expected > Array.MaxLength)
            throw new DatasetFormatException($"{source}: header declares {count} images of {rows}×{cols}, which is too large to be a real file; the header is corrupt.");
        if (data.Length < expected)
            throw new DatasetFormatException($"{source}: truncated: header declares {count} images of {rows}×{cols} ({expected} bytes) but the file has {data.Length} bytes. Re-download the file.");
        if (data.Length > expected)
            throw new DatasetFormatException($"{source}: {data.Length - expected} unexpected bytes after {count} images of {rows}×{cols}; the file is corrupt or not an IDX image file.");
        // A view past the header, not a copy: 47 MB of fresh memory costs ~0.15 s of page faults in a VM.
        return new IdxImages(count, rows, cols, data.AsMemory(16));
    }

    /// <summary>Parses the (already decompressed) bytes of an IDX label file.</summary>
    public static byte[] ParseLabels(byte[] data, string source)
    {
        CheckHeader(data, LabelsMagic, 8, "label", source);
        int count = ReadDim(data, 4, "label count", source);
        long expected = 8L + count;
        if (data.Length < expected)
            throw new DatasetFormatException($"{source}: truncated: header declares {count} labels ({expected} bytes) but the file has {data.Length} bytes. Re-download the file.");
        if (data.Length > expected)
            throw new DatasetFormatException($"{source}: {data.Length - expected} unexpected bytes after {count} labels; the file is corrupt or not an IDX label file.");
        return data.AsSpan(8).ToArray();
    }

    /// <summary>Combines parsed images and labels, checking that they describe the same number of samples.</summary>
    public static LabeledImages ToLabeledImages(IdxImages images, byte[] labels, int classes, IReadOnlyList<string>? classNames, string imagesSource, string labelsSource)
        => ToRawImages(images, labels, classes, classNames, imagesSource, labelsSource).ToLabeledImages();

    /// <summary>Like <see cref="ToLabeledImages"/>, keeping the pixels as bytes (a view of <paramref name="images"/>).</summary>
    public static RawImages ToRawImages(IdxImages images, byte[] labels, int classes, IReadOnlyList<string>? classNames, string imagesSource, string labelsSource)
    {
        if (images.Count != labels.Length)
            throw new DatasetFormatException($"{imagesSource} holds {images.Count} images but {labelsSource} holds {labels.Length} labels; the two files do not belong together.");
        var y = new int[labels.Length];
        for (int i = 0; i < y.Length; i++)
        {
            if (labels[i] >= classes)
                throw new DatasetFormatException($"{labelsSource}: label {labels[i]} at index {i} is outside [0, {classes}).");
            y[i] = labels[i];
        }
        return new RawImages(images.Pixels, y, 1, images.Rows, images.Columns, classes, classNames);
    }

    private static void CheckHeader(byte[] data, int expectedMagic, int headerSize, string kind, string source)
    {
        if (data.Length < 4)
            throw new DatasetFormatException($"{source}: only {data.Length} bytes; an IDX {kind} file has a {headerSize}-byte header.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != expectedMagic)
        {
            string hint = magic == (expectedMagic == ImagesMagic ? LabelsMagic : ImagesMagic)
                ? $" (that is the magic of an IDX {(kind == "image" ? "label" : "image")} file: are the image and label paths swapped?)"
                : "";
            throw new DatasetFormatException($"{source}: wrong magic 0x{magic:X8}, expected 0x{expectedMagic:X8} for an IDX {kind} file{hint}.");
        }
        if (data.Length < headerSize)
            throw new DatasetFormatException($"{source}: truncated: {data.Length} bytes, shorter than the {headerSize}-byte IDX {kind} header.");
    }

    private static int ReadDim(byte[] data, int offset, string what, string source)
    {
        int v = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(offset));
        if (v < 0) throw new DatasetFormatException($"{source}: negative {what} {v} in the header; the file is corrupt.");
        return v;
    }
}
