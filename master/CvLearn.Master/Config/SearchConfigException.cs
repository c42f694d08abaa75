namespace CvLearn.Master.Config;

/// <summary>One problem in a search config: the JSON path of the field (e.g. "stages[1].from_top") and what to do.</summary>
public sealed record SearchConfigError(string Path, string Message)
{
    /// <summary>"path: message".</summary>
    public override string ToString() => Path + ": " + Message;
}

/// <summary>Thrown when a search config is invalid; carries every problem found, not just the first.</summary>
public sealed class SearchConfigException : Exception
{
    /// <summary>Creates the exception from a non-empty list of errors.</summary>
    public SearchConfigException(IReadOnlyList<SearchConfigError> errors, string? source = null)
        : base(Format(errors, source))
    {
        Errors = errors;
        ConfigSource = source;
    }

    /// <summary>Creates an exception with one error.</summary>
    public SearchConfigException(string message)
        : this([new SearchConfigError("(config)", message)])
    {
    }

    /// <summary>Required by the exception pattern; prefer the list constructor.</summary>
    public SearchConfigException()
        : this("invalid search config")
    {
    }

    /// <summary>Required by the exception pattern; prefer the list constructor.</summary>
    public SearchConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new SearchConfigError("(config)", message)];
    }

    /// <summary>Where the config came from (file path), when known.</summary>
    public string? ConfigSource { get; }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<SearchConfigError> Errors { get; }

    private static string Format(IReadOnlyList<SearchConfigError> errors, string? source)
    {
        string where = source is null ? "search config" : $"search config '{source}'";
        string head = errors.Count == 1 ? $"{where} has 1 error:" : $"{where} has {errors.Count} errors:";
        return head + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e));
    }
}
