using System.Text.Json.Nodes;
using CvLearn.Master.Search;

namespace CvLearn.Master.Tests;

public class DistributionTests
{
    private const int N = 5000;
    private const double Alpha = 0.001;

    private static double[] Draw(IDistribution d, ulong seed, int n = N)
    {
        var rng = new SplitMix64(seed);
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = d.Sample(rng).AsNumber();
        return x;
    }

    [Fact]
    public void StatsHelpers_MatchTabulatedCriticalValues()
    {
        // Tables: z(0.999) = 3.0902, χ²(3 df, α=0.001) = 16.266, χ²(5 df) = 20.515; KS c(0.001) = 1.9495.
        Assert.Equal(3.0902, Stats.NormalQuantile(0.999), 3);
        Assert.InRange(Stats.ChiSquareCritical(3, Alpha), 16.266 * 0.99, 16.266 * 1.01);
        Assert.InRange(Stats.ChiSquareCritical(5, Alpha), 20.515 * 0.99, 20.515 * 1.01);
        Assert.Equal(1.9495 / Math.Sqrt(N), Stats.KsCritical(N, Alpha), 4);
    }

    [Fact]
    public void SplitMix64_MatchesReferenceVector()
    {
        // First outputs of the reference splitmix64.c for seed 1234567.
        var r = new SplitMix64(1234567);
        Assert.Equal(6457827717110365317UL, r.NextUInt64());
        Assert.Equal(3203168211198807973UL, r.NextUInt64());
        Assert.Equal(9817491932198370423UL, r.NextUInt64());
    }

    [Fact]
    public void LogUniform_Log10OfSamplesIsUniform_KolmogorovSmirnov()
    {
        var d = new LogUniform(1e-6, 1e-1);
        var x = Draw(d, 7);
        Assert.All(x, v => Assert.InRange(v, 1e-6, 1e-1));
        double ks = Stats.KolmogorovSmirnov(x.Select(Math.Log10), t => (t + 6) / 5);
        Assert.True(ks < Stats.KsCritical(N, Alpha), $"KS D = {ks} exceeds the α=0.001 critical value {Stats.KsCritical(N, Alpha)}");
    }

    [Fact]
    public void LogUniform_KsTestHasPower_LinearSamplesAreRejected()
    {
        // Negative control: a linear-uniform sampler on the same bounds must fail the log-uniform test, otherwise the
        // test above would be evidence of nothing.
        var x = Draw(new Uniform(1e-6, 1e-1), 7);
        double ks = Stats.KolmogorovSmirnov(x.Select(Math.Log10), t => Math.Clamp((t + 6) / 5, 0, 1));
        Assert.True(ks > 10 * Stats.KsCritical(N, Alpha), $"KS D = {ks}");
    }

    [Fact]
    public void Uniform_SamplesAreUniform_KolmogorovSmirnov()
    {
        var d = new Uniform(0.0, 0.8);
        var x = Draw(d, 11);
        Assert.All(x, v => Assert.InRange(v, 0.0, 0.8));
        double ks = Stats.KolmogorovSmirnov(x, v => v / 0.8);
        Assert.True(ks < Stats.KsCritical(N, Alpha), $"KS D = {ks} exceeds {Stats.KsCritical(N, Alpha)}");

        // And log-uniform samples are NOT linear-uniform.
        var logSamples = Draw(new LogUniform(1e-3, 0.8), 11);
        Assert.True(Stats.KolmogorovSmirnov(logSamples, v => v / 0.8) > 10 * Stats.KsCritical(N, Alpha));
    }

    [Fact]
    public void IntUniform_HitsBothInclusiveBounds_AndIsUniform()
    {
        var d = new IntUniform(1, 6);
        var counts = new int[6];
        foreach (double v in Draw(d, 3))
        {
            Assert.Equal(Math.Floor(v), v);
            Assert.InRange(v, 1, 6);
            counts[(int)v - 1]++;
        }

        Assert.All(counts, c => Assert.True(c > 0));
        double chi = Stats.ChiSquareUniform(counts);
        Assert.True(chi < Stats.ChiSquareCritical(5, Alpha), $"χ² = {chi}");
    }

    [Fact]
    public void IntUniform_TwoValueRangeHitsBoth()
    {
        var d = new IntUniform(64, 65);
        var values = Draw(d, 5, 200).Distinct().OrderBy(v => v).ToArray();
        Assert.Equal([64.0, 65.0], values);
    }

    [Fact]
    public void Choice_FrequenciesAreUniform_ChiSquare()
    {
        var d = new Choice("adam", "sgd", "momentum", "rmsprop");
        var rng = new SplitMix64(99);
        var counts = new int[4];
        for (int i = 0; i < N; i++)
        {
            var v = d.Sample(rng);
            Assert.True(d.Contains(v));
            counts[d.Values.ToList().IndexOf(v)]++;
        }

        double chi = Stats.ChiSquareUniform(counts);
        Assert.True(chi < Stats.ChiSquareCritical(3, Alpha), $"χ² = {chi}, counts {string.Join(",", counts)}");
    }

    [Fact]
    public void ChiSquare_HasPower_AgainstBiasedFrequencies()
    {
        // 28/24/24/24 % — a modest bias a modulo-biased sampler could produce — must be detected at n = 5000.
        int[] biased = [1400, 1200, 1200, 1200];
        Assert.True(Stats.ChiSquareUniform(biased) > Stats.ChiSquareCritical(3, Alpha));
    }

    [Fact]
    public void Contains_RespectsBoundsAndKinds()
    {
        var log = new LogUniform(1e-4, 1e-2);
        Assert.True(log.Contains(ParamValue.Of(1e-4)));
        Assert.True(log.Contains(ParamValue.Of(1e-2)));
        Assert.False(log.Contains(ParamValue.Of(1.1e-2)));
        Assert.False(log.Contains(ParamValue.Of("adam")));
        var ints = new IntUniform(64, 512);
        Assert.False(ints.Contains(ParamValue.Of(64.5)));
        Assert.True(ints.Contains(ParamValue.Of(512)));
        Assert.True(new Fixed(ParamValue.Of("adam")).Contains(ParamValue.Of("adam")));
        Assert.False(new Choice("adam", "sgd").Contains(ParamValue.Of("rmsprop")));
    }

    [Fact]
    public void Constructors_RejectInvalidRanges()
    {
        Assert.Throws<ArgumentException>(() => new LogUniform(0, 1));
        Assert.Throws<ArgumentException>(() => new LogUniform(1e-2, 1e-3));
        Assert.Throws<ArgumentException>(() => new Uniform(double.NaN, 1));
        Assert.Throws<ArgumentException>(() => new Uniform(0.5, 0.5));
        Assert.Throws<ArgumentException>(() => new IntUniform(5, 5));
        Assert.Throws<ArgumentException>(() => new Choice(Array.Empty<ParamValue>()));
        Assert.Throws<ArgumentException>(() => new Choice("adam", "adam"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParamValue.Of(double.PositiveInfinity));
    }

    [Fact]
    public void ToJson_UsesConfigForm()
    {
        Assert.Equal("{\"log_uniform\":[1E-06,0.1]}", new LogUniform(1e-6, 0.1).ToJson().ToJsonString());
        Assert.Equal("{\"int_uniform\":[64,512]}", new IntUniform(64, 512).ToJson().ToJsonString());
        Assert.Equal("{\"choice\":[\"adam\",\"sgd\"]}", new Choice("adam", "sgd").ToJson().ToJsonString());
        Assert.Equal("0.9", new Fixed(ParamValue.Of(0.9)).ToJson().ToJsonString());
        Assert.IsType<JsonObject>(new Uniform(0, 0.5).ToJson());
    }

    [Fact]
    public void Narrowing_WithBoundsKeepsKindAndCollapsesToFixed()
    {
        Assert.IsType<LogUniform>(new LogUniform(1e-6, 1e-1).WithBounds(1e-4, 1e-3));
        var ints = Assert.IsType<IntUniform>(new IntUniform(64, 512).WithBounds(100.2, 200.7));
        Assert.Equal((100, 201), (ints.IntLow, ints.IntHigh));
        Assert.IsType<Fixed>(new IntUniform(64, 512).WithBounds(128, 128));
        var restricted = Assert.IsType<Choice>(new Choice("adam", "sgd", "momentum").Restrict([ParamValue.Of("momentum"), ParamValue.Of("adam")]));
        Assert.Equal(["adam", "momentum"], restricted.Values.Select(v => v.AsText()));
        Assert.IsType<Fixed>(new Choice("adam", "sgd").Restrict([ParamValue.Of("sgd")]));
    }

    [Fact]
    public void NumberFormat_IsCompact()
    {
        Assert.Equal("1e-6", NumberFormat.Short(1e-6));
        Assert.Equal("1.2e-5", NumberFormat.Short(1.234e-5, 2));
        Assert.Equal("0.091", NumberFormat.Short(0.091, 2));
        Assert.Equal("0.25", NumberFormat.Short(0.25));
        Assert.Equal("128", NumberFormat.Short(128));
        Assert.Equal("1e5", NumberFormat.Short(1e5));
        Assert.Equal("[1e-6, 0.1]", NumberFormat.Range(1e-6, 0.1));
    }
}
