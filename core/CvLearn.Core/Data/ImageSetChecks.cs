namespace CvLearn.Core.Data;

/// <summary>The checks and defaults that <see cref="LabeledImages"/> and <see cref="RawImages"/> share.</summary>
internal static class ImageSetChecks
{
    /// <summary>Throws unless the dimensions are positive, the pixels fill exactly one image per label and every label is a class.</summary>
    public static void Validate(long pixels, string unit, int[] labels, int channels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException("Image dimensions must be positive.");
        if (pixels != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels} {unit} do not match {labels.Length} images of {channels}×{height}×{width}.");
        foreach (int y in labels)
            if ((uint)y >= (uint)classes) throw new ArgumentException($"Label {y} is outside [0, {classes}).");
    }

    /// <summary>The given class names, or "0", "1", … when there are none.</summary>
    public static IReadOnlyList<string> ClassNames(IReadOnlyList<string>? names, int classes) =>
        names ?? Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
