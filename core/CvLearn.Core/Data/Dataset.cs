namespace CvLearn.Core.Data;

/// <summary>A loaded dataset: its official train and test sets, class names, and the directory it came from.</summary>
public sealed record Dataset(string Name, LabeledImages Train, LabeledImages Test, IReadOnlyList<string> ClassNames, string Directory)
{
    public int Classes => ClassNames.Count;
}
