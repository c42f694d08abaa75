namespace CvLearn.Core.Data;

/// <summary>
/// A set of labelled images stored NCHW as float32 (raw pixel values 0–255 until preprocessed).
/// </summary>
public sealed class LabeledImages : ImageSetBase, IImageSet
{
    public LabeledImages(float[] pixels, int[] labels, int channels, int height, int width, int classes, IReadOnlyList<string>? classNames = null)
        : base((pixels ?? throw new ArgumentNullException(nameof(pixels))).Length, "pixel values", labels, channels, height, width, classes, classNames)
    {
        Pixels = pixels;
    }

    public float[] Pixels { get; }

    /// <summary>One image's pixels.</summary>
    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(index * SampleSize, SampleSize);

    public void CopyImages(int start, int count, Span<float> destination)
    {
        ImageSets.CheckRange(this, start, count, destination);
        Pixels.AsSpan(start * SampleSize, count * SampleSize).CopyTo(destination);
    }

    public void CopyImages(ReadOnlySpan<int> indices, Span<float> destination)
    {
        ImageSets.CheckDestination(this, indices.Length, destination);
        int size = SampleSize;
        for (int i = 0; i < indices.Length; i++) Image(indices[i]).CopyTo(destination.Slice(i * size, size));
    }

    /// <summary>A new set holding the images at <paramref name="indices"/> (copied), in that order.</summary>
    public LabeledImages Subset(ReadOnlySpan<int> indices)
    {
        var px = new float[indices.Length * SampleSize];
        var lb = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(px.AsSpan(i * SampleSize, SampleSize));
            lb[i] = Labels[indices[i]];
        }
        return new LabeledImages(px, lb, Channels, Height, Width, Classes, ClassNames);
    }

    /// <summary>The first <paramref name="count"/> images (or all of them when there are fewer).</summary>
    public LabeledImages Take(int count)
    {
        int n = Math.Min(count, Count);
        return new LabeledImages(Pixels.AsSpan(0, n * SampleSize).ToArray(), Labels.AsSpan(0, n).ToArray(), Channels, Height, Width, Classes, ClassNames);
    }
}
