namespace CvLearn.Core.Data;

/// <summary>
/// What every labelled image set has, whatever stores its pixels (<see cref="LabeledImages"/> floats,
/// <see cref="RawImages"/> bytes, a <see cref="RawImageView"/> into bytes): the labels, the image shape, the classes.
/// </summary>
public abstract class ImageSetBase
{
    /// <summary>Checks that the dimensions are positive, that <paramref name="pixels"/> values fill exactly one image per label and that every label is a class.</summary>
    /// <param name="pixels">How many pixel values the set stores.</param>
    /// <param name="unit">What those values are, for the error message ("pixel values", "pixel bytes").</param>
    protected ImageSetBase(long pixels, string unit, int[] labels, int channels, int height, int width, int classes, IReadOnlyList<string>? classNames)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException("Image dimensions must be positive.");
        if (pixels != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels} {unit} do not match {labels.Length} images of {channels}×{height}×{width}.");
        foreach (int y in labels)
            if ((uint)y >= (uint)classes) throw new ArgumentException($"Label {y} is outside [0, {classes}).");
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        ClassNames = classNames ?? Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>The label of each image, in image order.</summary>
    public int[] Labels { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }
    /// <summary>The given class names, or "0", "1", … when there were none.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    public int Count => Labels.Length;
    /// <summary>Values per image, C·H·W.</summary>
    public int SampleSize => Channels * Height * Width;
    /// <summary>Shape of one image, (C, H, W).</summary>
    public int[] ImageShape => [Channels, Height, Width];
}
