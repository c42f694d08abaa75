using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>Uniform prior over the integers <see cref="Low"/>..<see cref="High"/>, both inclusive (batch size).</summary>
public sealed class IntUniform : INumericRange
{
    /// <summary>Creates the prior; requires low &lt; high (a single value is a <see cref="Fixed"/>).</summary>
    public IntUniform(long low, long high)
    {
        if (low >= high) throw new ArgumentException($"int_uniform needs low < high, got [{low}, {high}]");
        IntLow = low;
        IntHigh = high;
    }

    /// <summary>Lower bound as an integer.</summary>
    public long IntLow { get; }

    /// <summary>Upper bound as an integer (inclusive).</summary>
    public long IntHigh { get; }

    /// <inheritdoc />
    public string Kind => "int_uniform";

    /// <inheritdoc />
    public double Low => IntLow;

    /// <inheritdoc />
    public double High => IntHigh;

    /// <inheritdoc />
    public bool IsLogScale => false;

    /// <inheritdoc />
    public bool IsInteger => true;

    /// <inheritdoc />
    public ParamValue Sample(SplitMix64 random) => ParamValue.Of(random.NextInt64(IntLow, IntHigh));

    /// <inheritdoc />
    public bool Contains(ParamValue value)
    {
        if (!value.IsNumber) return false;
        double x = value.AsNumber();
        return x == Math.Floor(x) && x >= IntLow && x <= IntHigh;
    }

    /// <inheritdoc />
    public double ToSearch(double value) => value;

    /// <inheritdoc />
    public double FromSearch(double coordinate) => coordinate;

    /// <inheritdoc />
    public IDistribution WithBounds(double low, double high)
    {
        // Round outward so the narrowed range still contains every value it was derived from.
        long lo = (long)Math.Floor(low);
        long hi = (long)Math.Ceiling(high);
        return lo < hi ? new IntUniform(lo, hi) : new Fixed(ParamValue.Of(lo));
    }

    /// <inheritdoc />
    public JsonNode ToJson() => new JsonObject { [Kind] = new JsonArray(IntLow, IntHigh) };

    /// <inheritdoc />
    public string Describe() => $"{Kind}[{IntLow}, {IntHigh}]";

    /// <inheritdoc />
    public override string ToString() => Describe();
}
