using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>One named dimension of a search space.</summary>
public sealed record SearchParameter(string Name, IDistribution Distribution);

/// <summary>
/// An immutable, ordered set of parameter priors. Order is the config order and only affects display:
/// each parameter is sampled from its own stream (see <see cref="TrialSampler"/>).
/// </summary>
public sealed class SearchSpace
{
    private readonly SearchParameter[] _parameters;

    /// <summary>Creates a space; names must be distinct.</summary>
    public SearchSpace(IEnumerable<SearchParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in _parameters)
        {
            if (!seen.Add(p.Name)) throw new ArgumentException($"parameter '{p.Name}' appears twice in the search space", nameof(parameters));
        }
    }

    /// <summary>The parameters in order.</summary>
    public IReadOnlyList<SearchParameter> Parameters => _parameters;

    /// <summary>The prior of <paramref name="name"/>, or null.</summary>
    public IDistribution? Find(string name)
    {
        foreach (var p in _parameters)
        {
            if (p.Name == name) return p.Distribution;
        }

        return null;
    }

    /// <summary>The prior of <paramref name="name"/>; throws when absent.</summary>
    public IDistribution this[string name] =>
        Find(name) ?? throw new KeyNotFoundException($"search space has no parameter '{name}'");

    /// <summary>A copy with <paramref name="name"/>'s prior replaced (or appended).</summary>
    public SearchSpace With(string name, IDistribution distribution)
    {
        var list = _parameters.ToList();
        int i = list.FindIndex(p => p.Name == name);
        if (i >= 0) list[i] = new SearchParameter(name, distribution);
        else list.Add(new SearchParameter(name, distribution));
        return new SearchSpace(list);
    }

    /// <summary>Config form (<c>{"learning_rate": {"log_uniform": [..]}, "optimizer": "adam", ...}</c>).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var p in _parameters) o[p.Name] = p.Distribution.ToJson();
        return o;
    }

    /// <summary>One-line description for logs.</summary>
    public override string ToString() => string.Join(", ", _parameters.Select(p => p.Name + "=" + p.Distribution.Describe()));
}
