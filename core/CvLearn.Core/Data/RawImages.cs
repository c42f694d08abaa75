using System.Numerics.Tensors;

namespace CvLearn.Core.Data;

/// <summary>
/// Labelled images as the dataset files store them: one byte (0–255) per pixel, NCHW. Datasets are cached in this
/// form, a quarter of the size of <see cref="LabeledImages"/>. A training split is read through a
/// <see cref="RawImageView"/> (converted and normalized a minibatch at a time) and the smaller parts are converted to
/// float32 as they are taken: a worker never materializes a float copy of the training file or of its split. In a VM,
/// first-touched memory costs ~3 ms per MB, so the 172 MB of a Fashion-MNIST training split in floats took ~0.6 s.
/// </summary>
public sealed class RawImages : ImageSetBase
{
    public RawImages(ReadOnlyMemory<byte> pixels, int[] labels, int channels, int height, int width, int classes, IReadOnlyList<string>? classNames = null)
        : base(pixels.Length, "pixel bytes", labels, channels, height, width, classes, classNames)
    {
        Pixels = pixels;
    }

    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>All images as float32 pixel values 0–255.</summary>
    public LabeledImages ToLabeledImages() => Take(Count);

    /// <summary>The first <paramref name="count"/> images (or all of them when there are fewer), as float32.</summary>
    public LabeledImages Take(int count)
    {
        int n = Math.Clamp(count, 0, Count);
        var px = GC.AllocateUninitializedArray<float>(n * SampleSize);
        TensorPrimitives.ConvertTruncating(Pixels.Span[..px.Length], px.AsSpan()); // exact: every byte value is a float
        return new LabeledImages(px, Labels.AsSpan(0, n).ToArray(), Channels, Height, Width, Classes, ClassNames);
    }

    /// <summary>The images at <paramref name="indices"/>, in that order, as float32.</summary>
    public LabeledImages Subset(ReadOnlySpan<int> indices)
    {
        int size = SampleSize;
        var px = GC.AllocateUninitializedArray<float>(indices.Length * size);
        var lb = new int[indices.Length];
        var all = Pixels.Span;
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), j, $"Index outside the {Count} images.");
            TensorPrimitives.ConvertTruncating(all.Slice(j * size, size), px.AsSpan(i * size, size));
            lb[i] = Labels[j];
        }
        return new LabeledImages(px, lb, Channels, Height, Width, Classes, ClassNames);
    }
}

/// <summary>A loaded dataset with its pixels still bytes (see <see cref="RawImages"/>).</summary>
public sealed record RawDataset(string Name, RawImages Train, RawImages Test, IReadOnlyList<string> ClassNames, string Directory)
{
    public int Classes => ClassNames.Count;

    /// <summary>The dataset as float32 images.</summary>
    public Dataset ToDataset() => new(Name, Train.ToLabeledImages(), Test.ToLabeledImages(), ClassNames, Directory);
}
