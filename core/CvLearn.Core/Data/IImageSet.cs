namespace CvLearn.Core.Data;

/// <summary>
/// Labelled images as a trainer or an evaluator reads them: in float32, a batch at a time. Lets a training split stay
/// bytes (<see cref="RawImageView"/>) and be converted and normalized only as its minibatches are copied, instead of
/// being materialized as floats (<see cref="LabeledImages"/>): four times less memory per worker, and in a VM, where
/// first-touched memory costs ~3 ms per MB, most of a worker's data preparation time.
/// </summary>
public interface IImageSet
{
    int Count { get; }
    int Channels { get; }
    int Height { get; }
    int Width { get; }
    int Classes { get; }
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The label of each image, in image order.</summary>
    int[] Labels { get; }

    /// <summary>Values per image, C·H·W.</summary>
    int SampleSize { get; }

    /// <summary>Writes images <paramref name="start"/>..start+count into <paramref name="destination"/> (count·SampleSize floats, NCHW).</summary>
    void CopyImages(int start, int count, Span<float> destination);

    /// <summary>Writes the images at <paramref name="indices"/>, in that order, into <paramref name="destination"/>.</summary>
    void CopyImages(ReadOnlySpan<int> indices, Span<float> destination);
}

/// <summary>Helpers over <see cref="IImageSet"/>.</summary>
public static class ImageSets
{
    /// <summary>The set as float32 arrays: itself when it already is, else a copy of every image.</summary>
    public static LabeledImages ToLabeledImages(this IImageSet images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images is LabeledImages labeled) return labeled;
        var pixels = GC.AllocateUninitializedArray<float>(images.Count * images.SampleSize);
        images.CopyImages(0, images.Count, pixels);
        return new LabeledImages(pixels, (int[])images.Labels.Clone(), images.Channels, images.Height, images.Width, images.Classes, images.ClassNames);
    }

    /// <summary>Throws unless images start..start+count exist and <paramref name="destination"/> holds them.</summary>
    internal static void CheckRange(IImageSet set, int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start > set.Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Images {start}..{start + count} are outside the {set.Count} of the set.");
        CheckDestination(set, count, destination);
    }

    /// <summary>Throws unless <paramref name="destination"/> holds <paramref name="count"/> images of <paramref name="set"/>.</summary>
    internal static void CheckDestination(IImageSet set, int count, Span<float> destination)
    {
        if (destination.Length < (long)count * set.SampleSize)
            throw new ArgumentException($"Destination holds {destination.Length} floats but {count} images × {set.SampleSize} values = {(long)count * set.SampleSize} are needed.", nameof(destination));
    }
}
