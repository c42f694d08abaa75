using System.Globalization;
using System.Text.Json;
using CvLearn.Master.Search;

namespace CvLearn.Master.Config;

/// <summary>
/// Typed access to JSON fields that records a <see cref="SearchConfigError"/> (with the field's path) instead of
/// throwing, so one pass reports every problem. Getters return null when the field is absent or invalid.
/// </summary>
internal sealed class ConfigReader
{
    private readonly List<SearchConfigError> _errors = [];
    private readonly List<SearchConfigError> _warnings = [];

    public IReadOnlyList<SearchConfigError> Errors => _errors;

    /// <summary>Legal but probably unintended settings (reported, not fatal).</summary>
    public IReadOnlyList<SearchConfigError> Warnings => _warnings;

    public void Warn(string path, string message) => _warnings.Add(new SearchConfigError(path, message));

    public void Error(string path, string message) => _errors.Add(new SearchConfigError(path, message));

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    /// <summary>
    /// Checks <paramref name="e"/> is an object whose keys are all in <paramref name="known"/> and appear once;
    /// returns its properties by name (first occurrence) or null when it is not an object.
    /// </summary>
    public Dictionary<string, JsonElement>? Object(JsonElement e, string path, IReadOnlyList<string> known, string what,
        IReadOnlyDictionary<string, string>? aliases = null)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            Error(path.Length == 0 ? "(root)" : path, $"expected an object ({what}), got {Describe(e)}");
            return null;
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            string childPath = Join(path, p.Name);
            if (!result.TryAdd(p.Name, p.Value))
            {
                Error(childPath, "appears twice; keep one");
                continue;
            }

            if (!known.Contains(p.Name))
            {
                string? suggestion = NameSuggester.Suggest(p.Name, known, aliases);
                string dym = suggestion is null ? ";" : $"; did you mean '{suggestion}'?";
                Error(childPath, $"unknown field{dym} known fields of {what}: {string.Join(", ", known)}");
            }
        }

        return result;
    }

    public static bool TryField(Dictionary<string, JsonElement>? o, string name, out JsonElement value)
    {
        value = default;
        return o is not null && o.TryGetValue(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public string? String(Dictionary<string, JsonElement>? o, string parent, string name, bool required, string hint)
    {
        string path = Join(parent, name);
        if (!TryField(o, name, out var e))
        {
            if (required && o is not null) Error(path, $"required: {hint}");
            return null;
        }

        if (e.ValueKind != JsonValueKind.String)
        {
            Error(path, $"expected a string ({hint}), got {Describe(e)}");
            return null;
        }

        return e.GetString();
    }

    public bool? Bool(Dictionary<string, JsonElement>? o, string parent, string name, string hint)
    {
        if (!TryField(o, name, out var e)) return null;
        if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) return e.GetBoolean();
        Error(Join(parent, name), $"expected true or false ({hint}), got {Describe(e)}");
        return null;
    }

    public int? Int(Dictionary<string, JsonElement>? o, string parent, string name, bool required, int min, string hint)
    {
        string path = Join(parent, name);
        if (!TryField(o, name, out var e))
        {
            if (required && o is not null) Error(path, $"required: {hint}");
            return null;
        }

        if (e.ValueKind != JsonValueKind.Number)
        {
            Error(path, $"expected an integer ({hint}), got {Describe(e)}");
            return null;
        }

        if (!e.TryGetInt32(out int v))
        {
            Error(path, $"must be an integer ({hint}), got {e.GetRawText()}");
            return null;
        }

        if (v < min)
        {
            Error(path, $"must be >= {min} ({hint}), got {v}");
            return null;
        }

        return v;
    }

    public double? Double(Dictionary<string, JsonElement>? o, string parent, string name, double min, double maxInclusive, string hint, bool minInclusive = false)
    {
        string path = Join(parent, name);
        if (!TryField(o, name, out var e)) return null;
        double? v = Number(e, path, hint);
        if (v is null) return null;
        if (!((minInclusive ? v >= min : v > min) && v <= maxInclusive))
        {
            string lower = (minInclusive ? "[" : "(") + NumberFormat.Short(min);
            Error(path, $"must be in {lower}, {NumberFormat.Short(maxInclusive)}] ({hint}), got {NumberFormat.Short(v.Value)}");
            return null;
        }

        return v;
    }

    /// <summary>A finite number, or null with an error (NaN/inf written as strings or overflowing literals included).</summary>
    public double? Number(JsonElement e, string path, string hint)
    {
        if (e.ValueKind == JsonValueKind.String && IsNonFiniteWord(e.GetString()))
        {
            Error(path, $"NaN and infinity are not allowed ({hint}); give a finite number, got \"{e.GetString()}\"");
            return null;
        }

        if (e.ValueKind != JsonValueKind.Number)
        {
            Error(path, $"expected a number ({hint}), got {Describe(e)}");
            return null;
        }

        if (!e.TryGetDouble(out double v) || !double.IsFinite(v))
        {
            Error(path, $"NaN and infinity are not allowed ({hint}); {e.GetRawText()} is not a finite double");
            return null;
        }

        return v;
    }

    public static bool IsNonFiniteWord(string? s) =>
        s is not null && s.Trim().ToLowerInvariant() is "nan" or "inf" or "+inf" or "-inf" or "infinity" or "+infinity" or "-infinity";

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "the string \"" + e.GetString() + "\"",
        JsonValueKind.Number => "the number " + e.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
