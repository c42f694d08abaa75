using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>A constant: a parameter the search does not vary. Consumes no randomness.</summary>
public sealed class Fixed : IDistribution
{
    /// <summary>Creates the constant.</summary>
    public Fixed(ParamValue value) => Value = value;

    /// <summary>The constant value.</summary>
    public ParamValue Value { get; }

    /// <inheritdoc />
    public string Kind => "fixed";

    /// <inheritdoc />
    public ParamValue Sample(SplitMix64 random) => Value;

    /// <inheritdoc />
    public bool Contains(ParamValue value) => value == Value;

    /// <inheritdoc />
    public JsonNode ToJson() => Value.ToJson();

    /// <inheritdoc />
    public string Describe() => Value.ToString();

    /// <inheritdoc />
    public override string ToString() => Describe();
}
