using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>
/// Log-uniform prior on [<see cref="Low"/>, <see cref="High"/>]: log10(x) is uniform, so every decade gets the same
/// number of samples (CS231n: learning rate and regularization act multiplicatively).
/// </summary>
public sealed class LogUniform : INumericRange
{
    private readonly double _logLow;
    private readonly double _logHigh;

    /// <summary>Creates the prior; requires finite 0 &lt; low &lt; high.</summary>
    public LogUniform(double low, double high)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low <= 0 || low >= high)
        {
            throw new ArgumentException($"log_uniform needs finite bounds with 0 < low < high, got {NumberFormat.Range(low, high)}");
        }

        Low = low;
        High = high;
        _logLow = Math.Log10(low);
        _logHigh = Math.Log10(high);
    }

    /// <inheritdoc />
    public string Kind => "log_uniform";

    /// <inheritdoc />
    public double Low { get; }

    /// <inheritdoc />
    public double High { get; }

    /// <inheritdoc />
    public bool IsLogScale => true;

    /// <inheritdoc />
    public bool IsInteger => false;

    /// <inheritdoc />
    public ParamValue Sample(SplitMix64 random)
    {
        double t = _logLow + random.NextDouble() * (_logHigh - _logLow);
        // 10^log10(x) can round a hair outside the bounds; clamp so Contains always holds.
        return ParamValue.Of(Math.Clamp(Math.Pow(10, t), Low, High));
    }

    /// <inheritdoc />
    public bool Contains(ParamValue value) => value.IsNumber && value.AsNumber() >= Low && value.AsNumber() <= High;

    /// <inheritdoc />
    public double ToSearch(double value) => Math.Log10(value);

    /// <inheritdoc />
    public double FromSearch(double coordinate) => Math.Pow(10, coordinate);

    /// <inheritdoc />
    public IDistribution WithBounds(double low, double high) =>
        low < high ? new LogUniform(low, high) : new Fixed(ParamValue.Of(low));

    /// <inheritdoc />
    public JsonNode ToJson() => new JsonObject { [Kind] = new JsonArray(Low, High) };

    /// <inheritdoc />
    public string Describe() => Kind + NumberFormat.Range(Low, High);

    /// <inheritdoc />
    public override string ToString() => Describe();
}
