namespace CvLearn.Core.Data;

/// <summary>A dataset file exists but its content is not what its format requires (wrong magic, truncated, inconsistent).</summary>
public sealed class DatasetFormatException : IOException
{
    public DatasetFormatException(string message) : base(message) { }

    public DatasetFormatException(string message, Exception inner) : base(message, inner) { }

    public DatasetFormatException() { }
}
