namespace CvLearn.Core.Models;

/// <summary>
/// A model spec string could not be parsed. The message names the offending token, marks it under the spec with
/// carets and ends with the full grammar (<see cref="ModelSpec.Grammar"/>) so the user can fix it in one go.
/// </summary>
public sealed class ModelSpecFormatException : FormatException
{
    public ModelSpecFormatException(string spec, string problem, int position, int length)
        : base(BuildMessage(spec, problem, position, length))
    {
        Spec = spec;
        Problem = problem;
        Position = position;
        Token = position >= 0 && position <= spec.Length ? spec.Substring(position, Math.Min(length, spec.Length - position)) : "";
    }

    public ModelSpecFormatException() : this("", "empty model spec", 0, 0) { }

    public ModelSpecFormatException(string message) : base(message)
    {
        Spec = "";
        Problem = message;
        Token = "";
    }

    public ModelSpecFormatException(string message, Exception innerException) : base(message, innerException)
    {
        Spec = "";
        Problem = message;
        Token = "";
    }

    /// <summary>The spec as given.</summary>
    public string Spec { get; }

    /// <summary>What was wrong, without the grammar.</summary>
    public string Problem { get; }

    /// <summary>Character offset of the offending token in <see cref="Spec"/>.</summary>
    public int Position { get; }

    /// <summary>The offending token (may be empty when something is missing at the end).</summary>
    public string Token { get; }

    private static string BuildMessage(string spec, string problem, int position, int length)
    {
        int pos = Math.Clamp(position, 0, spec.Length);
        string marker = new string(' ', pos) + new string('^', Math.Max(1, length));
        return $"Invalid model spec '{spec}': {problem}{Environment.NewLine}" +
               $"    {spec}{Environment.NewLine}" +
               $"    {marker}{Environment.NewLine}{Environment.NewLine}" +
               ModelSpec.Grammar;
    }
}
