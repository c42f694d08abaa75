namespace CvLearn.Core.Data;

/// <summary>A dataset name is unknown, or none of the searched directories holds its files.</summary>
public sealed class DatasetNotFoundException : Exception
{
    public DatasetNotFoundException(string message) : base(message) { }

    public DatasetNotFoundException(string message, Exception inner) : base(message, inner) { }

    public DatasetNotFoundException() { }

    /// <summary>The directories that were searched, in order (empty for an unknown name).</summary>
    public IReadOnlyList<string> SearchedDirectories { get; init; } = [];
}
