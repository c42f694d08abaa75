using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>The concrete values of one trial, in search-space order. Immutable.</summary>
public sealed class Hyperparameters
{
    private readonly KeyValuePair<string, ParamValue>[] _values;

    /// <summary>Creates the set; names must be distinct.</summary>
    public Hyperparameters(IEnumerable<KeyValuePair<string, ParamValue>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.ToArray();
        if (_values.Select(v => v.Key).Distinct(StringComparer.Ordinal).Count() != _values.Length)
        {
            throw new ArgumentException("hyperparameter names must be distinct", nameof(values));
        }
    }

    /// <summary>All values in order.</summary>
    public IReadOnlyList<KeyValuePair<string, ParamValue>> Values => _values;

    /// <summary>Looks a value up.</summary>
    public bool TryGet(string name, out ParamValue value)
    {
        foreach (var kv in _values)
        {
            if (kv.Key == name)
            {
                value = kv.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The value of <paramref name="name"/>; throws when absent.</summary>
    public ParamValue this[string name] =>
        TryGet(name, out var v) ? v : throw new KeyNotFoundException($"trial has no hyperparameter '{name}'");

    /// <summary>The numeric value of <paramref name="name"/>, or null when absent.</summary>
    public double? GetNumber(string name) => TryGet(name, out var v) ? v.AsNumber() : null;

    /// <summary>The text value of <paramref name="name"/>, or null when absent.</summary>
    public string? GetText(string name) => TryGet(name, out var v) ? v.AsText() : null;

    /// <summary>JSON object form, e.g. <c>{"learning_rate": 0.0012, "optimizer": "adam"}</c>.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var kv in _values) o[kv.Key] = kv.Value.ToJson();
        return o;
    }

    /// <summary>Compact display, e.g. "learning_rate=1.234e-3 reg=2e-5 optimizer=adam".</summary>
    public override string ToString() => string.Join(" ", _values.Select(kv => kv.Key + "=" + kv.Value));
}
