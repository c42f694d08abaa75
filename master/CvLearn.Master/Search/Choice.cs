using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>Categorical prior: each of <see cref="Values"/> with equal probability (optimizer, model, batch-size list).</summary>
public sealed class Choice : IDistribution
{
    private readonly ParamValue[] _values;

    /// <summary>Creates the prior; requires at least one value and no duplicates.</summary>
    public Choice(IEnumerable<ParamValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.ToArray();
        if (_values.Length == 0) throw new ArgumentException("choice needs at least one value", nameof(values));
        if (_values.Distinct().Count() != _values.Length) throw new ArgumentException("choice values must be distinct", nameof(values));
    }

    /// <summary>Creates a choice over text values.</summary>
    public Choice(params string[] values)
        : this(values.Select(ParamValue.Of))
    {
    }

    /// <summary>The candidate values, in config order.</summary>
    public IReadOnlyList<ParamValue> Values => _values;

    /// <inheritdoc />
    public string Kind => "choice";

    /// <inheritdoc />
    public ParamValue Sample(SplitMix64 random) => _values[random.NextInt64(0, _values.Length - 1)];

    /// <inheritdoc />
    public bool Contains(ParamValue value) => Array.IndexOf(_values, value) >= 0;

    /// <summary>
    /// Keeps only the values in <paramref name="seen"/> (config order preserved). One survivor becomes <see cref="Fixed"/>;
    /// none (nothing seen) leaves the choice unchanged, because there is no evidence to narrow on.
    /// </summary>
    public IDistribution Restrict(IEnumerable<ParamValue> seen)
    {
        var set = new HashSet<ParamValue>(seen);
        var kept = _values.Where(set.Contains).ToArray();
        return kept.Length switch
        {
            0 => this,
            1 => new Fixed(kept[0]),
            _ => new Choice(kept),
        };
    }

    /// <inheritdoc />
    public JsonNode ToJson()
    {
        var array = new JsonArray();
        foreach (var v in _values) array.Add(v.ToJson());
        return new JsonObject { [Kind] = array };
    }

    /// <inheritdoc />
    public string Describe() => Kind + "[" + string.Join(", ", _values) + "]";

    /// <inheritdoc />
    public override string ToString() => Describe();
}
