namespace CvLearn.Core.Checkpoints;

/// <summary>A byte stream is not a readable CvLearn checkpoint: foreign file, future version, truncated or corrupt.</summary>
public sealed class CheckpointFormatException : IOException
{
    public CheckpointFormatException() { }

    public CheckpointFormatException(string message) : base(message) { }

    public CheckpointFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with the source file prefixed to the message when known.</summary>
    public CheckpointFormatException(string message, string? fileName)
        : base(fileName is null ? message : $"{fileName}: {message}")
    {
        FileName = fileName;
    }

    /// <summary>The file or key the bytes came from, when known.</summary>
    public string? FileName { get; }
}
