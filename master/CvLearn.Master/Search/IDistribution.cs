using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>
/// A prior over one hyperparameter (Optuna-style): log-uniform, uniform, integer-uniform, categorical choice, or fixed.
/// Implementations are immutable and thread-safe; randomness comes only from the <see cref="SplitMix64"/> passed in.
/// </summary>
public interface IDistribution
{
    /// <summary>The config key of this kind: "log_uniform", "uniform", "int_uniform", "choice" or "fixed".</summary>
    string Kind { get; }

    /// <summary>Draws one value. Consumes a fixed number of draws per call for range kinds (one), so streams stay aligned.</summary>
    ParamValue Sample(SplitMix64 random);

    /// <summary>Whether <paramref name="value"/> is in the support (bounds inclusive).</summary>
    bool Contains(ParamValue value);

    /// <summary>Config form: <c>{"log_uniform": [lo, hi]}</c>, <c>{"choice": [...]}</c>, or the plain value for fixed.</summary>
    JsonNode ToJson();

    /// <summary>Human form for messages and logs, e.g. "log_uniform[1e-6, 0.1]".</summary>
    string Describe();
}

/// <summary>
/// A numeric range distribution. Narrowing (coarse-to-fine) works in the "search coordinate"
/// <see cref="ToSearch"/>: log10 for log-scale parameters, identity otherwise.
/// </summary>
public interface INumericRange : IDistribution
{
    /// <summary>Lower bound (inclusive).</summary>
    double Low { get; }

    /// <summary>Upper bound (inclusive for integers; the continuous kinds never return exactly it except by rounding).</summary>
    double High { get; }

    /// <summary>True when sampling is uniform in log10 space.</summary>
    bool IsLogScale { get; }

    /// <summary>True when only integers are sampled.</summary>
    bool IsInteger { get; }

    /// <summary>Maps a value to the coordinate in which sampling is uniform.</summary>
    double ToSearch(double value);

    /// <summary>Inverse of <see cref="ToSearch"/>.</summary>
    double FromSearch(double coordinate);

    /// <summary>
    /// The same kind of distribution over new bounds (given in value space). Integer ranges round outward.
    /// A range that collapses to one value becomes <see cref="Fixed"/>.
    /// </summary>
    IDistribution WithBounds(double low, double high);
}
