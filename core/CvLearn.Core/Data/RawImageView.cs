using System.Numerics.Tensors;

namespace CvLearn.Core.Data;

/// <summary>
/// Some images of a <see cref="RawImages"/> (a split's part, picked by index, not copied), converted to float32 as
/// they are read and, once <see cref="PreprocessingStats"/> are given, normalized the same way and with the same
/// arithmetic as <see cref="PreprocessingStats.ApplyInPlace"/> (so a batch is bit for bit what the materialized
/// split would hold). Statistics with a projection (PCA, whitening) change the sample size and are refused: use
/// <see cref="PreprocessingStats.Apply(IImageSet)"/>, which materializes the projected set.
/// </summary>
public sealed class RawImageView : ImageSetBase, IImageSet
{
    private readonly int[]? _indices;

    /// <param name="source">The bytes, usually a whole dataset file cached for the life of the process.</param>
    /// <param name="indices">Which images, in view order (all of them when null); each below <c>source.Count</c>.</param>
    /// <param name="preprocessing">Mean/std statistics fitted on the training split, or null for pixel values 0–255.</param>
    public RawImageView(RawImages source, int[]? indices = null, PreprocessingStats? preprocessing = null)
        : this(source, indices, LabelsOf(source, indices), preprocessing) { }

    private RawImageView(RawImages source, int[]? indices, int[] labels, PreprocessingStats? preprocessing)
        : base((long)labels.Length * source.SampleSize, "pixel bytes", labels, source.Channels, source.Height, source.Width, source.Classes, source.ClassNames)
    {
        if (preprocessing is not null)
        {
            if (preprocessing.Options.UsesProjection)
                throw new ArgumentException("A view cannot apply a projection (PCA or whitening changes the sample size); use PreprocessingStats.Apply to materialize the projected images.", nameof(preprocessing));
            if (preprocessing.Channels != source.Channels || preprocessing.Height != source.Height || preprocessing.Width != source.Width)
                throw new ArgumentException($"Images have shape ({source.Channels}, {source.Height}, {source.Width}) but the preprocessing was fitted on ({preprocessing.Channels}, {preprocessing.Height}, {preprocessing.Width}).", nameof(preprocessing));
        }
        Source = source;
        _indices = indices;
        Preprocessing = preprocessing;
    }

    /// <summary>The labels of the picked images (the source's own array when all are picked); checks the indices.</summary>
    private static int[] LabelsOf(RawImages source, int[]? indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (indices is null) return source.Labels;
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)source.Count) throw new ArgumentOutOfRangeException(nameof(indices), j, $"Index outside the {source.Count} images.");
            labels[i] = source.Labels[j];
        }
        return labels;
    }

    /// <summary>The bytes the view reads.</summary>
    public RawImages Source { get; }

    /// <summary>The normalization applied as images are read, or null.</summary>
    public PreprocessingStats? Preprocessing { get; }

    /// <summary>The same images normalized by <paramref name="preprocessing"/> (mean/std only) as they are read.</summary>
    public RawImageView WithPreprocessing(PreprocessingStats preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        return new RawImageView(Source, _indices, Labels, preprocessing);
    }

    public void CopyImages(int start, int count, Span<float> destination)
    {
        ImageSets.CheckRange(this, start, count, destination);
        int size = SampleSize;
        var all = Source.Pixels.Span;
        if (_indices is null)
            TensorPrimitives.ConvertTruncating(all.Slice(start * size, count * size), destination[..(count * size)]); // exact: every byte is a float
        else
            for (int i = 0; i < count; i++) TensorPrimitives.ConvertTruncating(all.Slice(_indices[start + i] * size, size), destination.Slice(i * size, size));
        Preprocessing?.Normalize(destination[..(count * size)], count);
    }

    public void CopyImages(ReadOnlySpan<int> indices, Span<float> destination)
    {
        ImageSets.CheckDestination(this, indices.Length, destination);
        int size = SampleSize;
        var all = Source.Pixels.Span;
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), j, $"Index outside the {Count} images of the set.");
            int image = _indices is null ? j : _indices[j];
            TensorPrimitives.ConvertTruncating(all.Slice(image * size, size), destination.Slice(i * size, size));
        }
        Preprocessing?.Normalize(destination[..(indices.Length * size)], indices.Length);
    }
}
