using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>Uniform prior on [<see cref="Low"/>, <see cref="High"/>) (dropout, momentum, learning-rate decay).</summary>
public sealed class Uniform : INumericRange
{
    /// <summary>Creates the prior; requires finite low &lt; high.</summary>
    public Uniform(double low, double high)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low >= high)
        {
            throw new ArgumentException($"uniform needs finite bounds with low < high, got {NumberFormat.Range(low, high)}");
        }

        Low = low;
        High = high;
    }

    /// <inheritdoc />
    public string Kind => "uniform";

    /// <inheritdoc />
    public double Low { get; }

    /// <inheritdoc />
    public double High { get; }

    /// <inheritdoc />
    public bool IsLogScale => false;

    /// <inheritdoc />
    public bool IsInteger => false;

    /// <inheritdoc />
    public ParamValue Sample(SplitMix64 random) =>
        ParamValue.Of(Math.Min(Low + random.NextDouble() * (High - Low), High));

    /// <inheritdoc />
    public bool Contains(ParamValue value) => value.IsNumber && value.AsNumber() >= Low && value.AsNumber() <= High;

    /// <inheritdoc />
    public double ToSearch(double value) => value;

    /// <inheritdoc />
    public double FromSearch(double coordinate) => coordinate;

    /// <inheritdoc />
    public IDistribution WithBounds(double low, double high) =>
        low < high ? new Uniform(low, high) : new Fixed(ParamValue.Of(low));

    /// <inheritdoc />
    public JsonNode ToJson() => new JsonObject { [Kind] = new JsonArray(Low, High) };

    /// <inheritdoc />
    public string Describe() => Kind + NumberFormat.Range(Low, High);

    /// <inheritdoc />
    public override string ToString() => Describe();
}
