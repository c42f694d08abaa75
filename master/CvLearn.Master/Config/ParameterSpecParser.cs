using System.Text.Json;
using CvLearn.Master.Search;

namespace CvLearn.Master.Config;

/// <summary>
/// Parses one parameter's prior: a plain value (fixed) or a one-key object
/// <c>{"log_uniform": [lo, hi]}</c>, <c>{"uniform": [lo, hi]}</c>, <c>{"int_uniform": [lo, hi]}</c>, <c>{"choice": [...]}</c>,
/// checking it against what the parameter accepts (<see cref="ParameterCatalog"/>).
/// </summary>
internal sealed class ParameterSpecParser
{
    public static readonly IReadOnlyList<string> Kinds = ["log_uniform", "uniform", "int_uniform", "choice"];

    private static readonly IReadOnlyDictionary<string, string> s_kindAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["loguniform"] = "log_uniform", ["log"] = "log_uniform", ["logspace"] = "log_uniform", ["log_scale"] = "log_uniform",
        ["reciprocal"] = "log_uniform", ["linear"] = "uniform", ["randint"] = "int_uniform", ["int"] = "int_uniform",
        ["integer"] = "int_uniform", ["categorical"] = "choice", ["choices"] = "choice", ["one_of"] = "choice", ["values"] = "choice",
    };

    private readonly ConfigReader _r;
    private readonly Func<string, string?>? _modelSpecValidator;

    public ParameterSpecParser(ConfigReader reader, Func<string, string?>? modelSpecValidator)
    {
        _r = reader;
        _modelSpecValidator = modelSpecValidator;
    }

    /// <summary>Parses the prior of <paramref name="info"/> at <paramref name="path"/>; null (with errors recorded) when invalid.</summary>
    public IDistribution? Parse(ParameterInfo info, JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                return ParseObject(info, e, path);
            case JsonValueKind.Array:
                _r.Error(path, $"a bare list is ambiguous: write {{\"choice\": {e.GetRawText()}}} to pick among these values"
                    + (info.Type == ParameterType.Text ? string.Empty : " or {\"uniform\": [lo, hi]} / {\"log_uniform\": [lo, hi]} for a range"));
                return null;
            case JsonValueKind.Null:
                _r.Error(path, $"null is not a value for {info.Name}; give a value or remove the field to use the trainer's default");
                return null;
            default:
                var v = Value(info, e, path);
                return v is null ? null : new Fixed(v.Value);
        }
    }

    private IDistribution? ParseObject(ParameterInfo info, JsonElement e, string path)
    {
        var props = e.EnumerateObject().ToList();
        if (props.Count != 1)
        {
            _r.Error(path, $"a distribution object has exactly one key (one of {string.Join(", ", Kinds)}), got {props.Count}: "
                + (props.Count == 0 ? "{}" : string.Join(", ", props.Select(p => p.Name))));
            return null;
        }

        string kind = props[0].Name;
        JsonElement body = props[0].Value;
        string kindPath = path + "." + kind;
        if (!Kinds.Contains(kind))
        {
            string? s = NameSuggester.Suggest(kind, Kinds, s_kindAliases);
            _r.Error(kindPath, $"unknown distribution kind '{kind}'" + (s is null ? ";" : $"; did you mean '{s}'?")
                + $" known kinds: {string.Join(", ", Kinds)}, or a plain value for a constant");
            return null;
        }

        if (kind == "choice") return ParseChoice(info, body, kindPath);

        if (info.Type == ParameterType.Text)
        {
            _r.Error(kindPath, $"{info.Name} is categorical ({info.Meaning}); a numeric range does not apply: use {{\"choice\": [...]}} or a plain string");
            return null;
        }

        if (kind == "int_uniform" && info.Type != ParameterType.Integer)
        {
            _r.Error(kindPath, $"int_uniform is for integer parameters (batch_size); {info.Name} is real-valued: use uniform or log_uniform");
            return null;
        }

        if (kind != "int_uniform" && info.Type == ParameterType.Integer)
        {
            _r.Error(kindPath, $"{info.Name} is an integer: use {{\"int_uniform\": [lo, hi]}} (inclusive) or {{\"choice\": [64, 128, 256]}}");
            return null;
        }

        if (body.ValueKind != JsonValueKind.Array || body.GetArrayLength() != 2)
        {
            _r.Error(kindPath, $"expected [lo, hi] (two numbers), got {(body.ValueKind == JsonValueKind.Array ? body.GetRawText() : ConfigReader.Describe(body))}");
            return null;
        }

        double? lo = _r.Number(body[0], kindPath + "[0]", "lower bound");
        double? hi = _r.Number(body[1], kindPath + "[1]", "upper bound");
        if (lo is null || hi is null) return null;
        return Range(info, kind, lo.Value, hi.Value, kindPath);
    }

    private IDistribution? Range(ParameterInfo info, string kind, double lo, double hi, string path)
    {
        string got = NumberFormat.Range(lo, hi, 6);
        if (kind == "log_uniform" && (lo <= 0 || hi <= 0))
        {
            string hint;
            if (LooksLikeExponent(lo) && LooksLikeExponent(hi) && lo < hi)
            {
                hint = $"; these look like exponents: use [1e{lo:0}, 1e{hi:0}]";
            }
            else if (lo == 0 && hi > 0)
            {
                hint = $"; a log scale never reaches 0: use a small positive lower bound, e.g. [{NumberFormat.Short(hi * 1e-5)}, {NumberFormat.Short(hi)}]";
            }
            else
            {
                hint = "; log_uniform samples log10(x), which needs positive bounds";
            }

            _r.Error(path, $"bounds must be > 0, got {got}{hint}");
            return null;
        }

        if (lo == hi)
        {
            _r.Error(path, $"empty range {got}: for a constant write the plain value {NumberFormat.Short(lo, 6)}");
            return null;
        }

        if (lo > hi)
        {
            _r.Error(path, $"inverted range {got}: the lower bound comes first: use {NumberFormat.Range(hi, lo, 6)}");
            return null;
        }

        if (info.Type == ParameterType.Integer && (lo != Math.Floor(lo) || hi != Math.Floor(hi)))
        {
            _r.Error(path, $"bounds must be integers (inclusive), got {got}: use [{Math.Ceiling(lo)}, {Math.Floor(hi)}]");
            return null;
        }

        if (!info.IsValid(lo) || !info.IsValid(hi))
        {
            double sLo = Math.Max(lo, info.ExtendMin);
            double sHi = Math.Min(hi, info.ExtendMax);
            string fix = sLo < sHi && info.IsValid(sLo) && info.IsValid(sHi) ? $": use e.g. {NumberFormat.Range(sLo, sHi)}" : string.Empty;
            _r.Error(path, $"bounds must lie in {info.ValidRange} for {info.Name} ({info.Meaning}), got {got}{fix}");
            return null;
        }

        if (kind == "uniform" && info.Name is ParameterCatalog.LearningRate or ParameterCatalog.Reg && (lo <= 0 || hi / lo >= 100))
        {
            double suggestedLo = lo > 0 ? lo : hi * 1e-5;
            _r.Warn(path, $"{info.Name} acts multiplicatively, and a linear range {got} puts most samples in its top decade: "
                + $"CS231n recommends {{\"log_uniform\": {NumberFormat.Range(suggestedLo, hi)}}}");
        }

        return kind switch
        {
            "log_uniform" => new LogUniform(lo, hi),
            "uniform" => new Uniform(lo, hi),
            _ => new IntUniform((long)lo, (long)hi),
        };
    }

    private static bool LooksLikeExponent(double x) => x == Math.Floor(x) && Math.Abs(x) <= 30;

    private IDistribution? ParseChoice(ParameterInfo info, JsonElement body, string path)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            _r.Error(path, $"expected a list of values, got {ConfigReader.Describe(body)}");
            return null;
        }

        if (body.GetArrayLength() == 0)
        {
            _r.Error(path, "empty choice: list at least one value");
            return null;
        }

        var values = new List<ParamValue>();
        bool ok = true;
        int i = 0;
        foreach (var item in body.EnumerateArray())
        {
            string itemPath = $"{path}[{i++}]";
            var v = Value(info, item, itemPath);
            if (v is null)
            {
                ok = false;
            }
            else if (values.Contains(v.Value))
            {
                _r.Error(itemPath, $"duplicate value {v.Value}: list each value once (duplicates would skew the sampling)");
                ok = false;
            }
            else
            {
                values.Add(v.Value);
            }
        }

        return ok ? new Choice(values) : null;
    }

    /// <summary>One concrete value of <paramref name="info"/> (fixed value or choice element).</summary>
    private ParamValue? Value(ParameterInfo info, JsonElement e, string path)
    {
        if (info.Type == ParameterType.Text)
        {
            if (e.ValueKind != JsonValueKind.String)
            {
                _r.Error(path, $"expected a string ({info.Meaning}), got {ConfigReader.Describe(e)}");
                return null;
            }

            string s = e.GetString()!;
            if (info.Name == ParameterCatalog.Optimizer && !ParameterCatalog.Optimizers.Contains(s))
            {
                string? sug = NameSuggester.Suggest(s, ParameterCatalog.Optimizers);
                _r.Error(path, $"unknown optimizer '{s}'" + (sug is null ? ";" : $"; did you mean '{sug}'?")
                    + $" known: {string.Join(", ", ParameterCatalog.Optimizers)}");
                return null;
            }

            if (info.Name == ParameterCatalog.Model)
            {
                if (string.IsNullOrWhiteSpace(s))
                {
                    _r.Error(path, "empty model spec: give one such as \"fc:256\"");
                    return null;
                }

                string? problem = _modelSpecValidator?.Invoke(s);
                if (problem is not null)
                {
                    _r.Error(path, $"invalid model spec \"{s}\": {problem}");
                    return null;
                }
            }

            return ParamValue.Of(s);
        }

        double? x = _r.Number(e, path, info.Meaning);
        if (x is null) return null;
        if (info.Type == ParameterType.Integer && x.Value != Math.Floor(x.Value))
        {
            _r.Error(path, $"{info.Name} is an integer, got {NumberFormat.Short(x.Value, 6)}");
            return null;
        }

        if (!info.IsValid(x.Value))
        {
            _r.Error(path, $"{info.Name} must lie in {info.ValidRange} ({info.Meaning}), got {NumberFormat.Short(x.Value, 6)}");
            return null;
        }

        return ParamValue.Of(x.Value);
    }
}
