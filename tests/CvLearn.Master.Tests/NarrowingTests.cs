using CvLearn.Master.Config;
using CvLearn.Master.Scheduling;
using CvLearn.Master.Search;

namespace CvLearn.Master.Tests;

public class NarrowingTests
{
    private static readonly NarrowingOptions Defaults = NarrowingOptions.Default;

    private static ParamValue[] Values(params double[] v) => v.Select(ParamValue.Of).ToArray();

    private static NarrowingResult Narrow(string name, IDistribution d, double[] top, bool hasNext = true, NarrowingOptions? o = null) =>
        RangeNarrower.Narrow(name, d, d, Values(top), 1, hasNext, o ?? Defaults);

    [Fact]
    public void LogParameter_NarrowsToTopSpanPlusMarginInLogSpace()
    {
        // log10 values -4, -3.523, -2.699: span 1.301, margin 0.325 each side.
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [3e-4, 1e-4, 2e-3]);
        var lu = Assert.IsType<LogUniform>(r.Distribution);
        double span = Math.Log10(2e-3) - Math.Log10(1e-4);
        Assert.Equal(-4 - 0.25 * span, Math.Log10(lu.Low), 9);
        Assert.Equal(Math.Log10(2e-3) + 0.25 * span, Math.Log10(lu.High), 9);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void SingleTopValue_GetsMinimumWidthAroundIt()
    {
        var r = Narrow("reg", new LogUniform(1e-6, 1e-1), [1e-3]);
        var lu = Assert.IsType<LogUniform>(r.Distribution);
        Assert.Equal(0.1 * 5, Math.Log10(lu.High) - Math.Log10(lu.Low), 6); // 10% of 5 decades
        Assert.True(lu.Contains(ParamValue.Of(1e-3)));
    }

    [Fact]
    public void WindowOverhangingTheOriginalRange_SlidesInsideIt()
    {
        // Wide minimum width (50% of 5 decades = 2.5) centred at log10 = -1.55 would reach -0.3 > -1: slide to [-3.5, -1].
        var o = Defaults with { MinWidthFraction = 0.5 };
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [Math.Pow(10, -1.55)], o: o);
        var lu = Assert.IsType<LogUniform>(r.Distribution);
        Assert.Equal(-1, Math.Log10(lu.High), 9);
        Assert.Equal(-3.5, Math.Log10(lu.Low), 9);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void BestValueNearUpperEdge_WarnsAndExtendsPastIt()
    {
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [9.1e-2, 1e-3, 3e-4]);
        var w = Assert.Single(r.Warnings);
        Assert.Equal(("learning_rate", 1, BorderEdge.High, 9.1e-2, 1e-6, 1e-1, true), (w.Parameter, w.Stage, w.Edge, w.Value, w.RangeLow, w.RangeHigh, w.Extended));
        Assert.True(w.BestNearEdge);
        Assert.Equal("learning_rate best value 0.091 is near the upper edge 0.1 of stage 1's range [1e-6, 0.1]: the optimum may lie beyond it; stage 2 extends the range past that edge", w.Message);
        var lu = Assert.IsType<LogUniform>(r.Distribution);
        // At least half a decade past 1e-1; here the top span's margin reaches further and wins.
        double span = Math.Log10(9.1e-2) - Math.Log10(3e-4);
        Assert.Equal(Math.Max(-0.5, Math.Log10(9.1e-2) + 0.25 * span), Math.Log10(lu.High), 9);
        Assert.True(Math.Log10(lu.High) > -0.5);

        // With a tighter top group the half-decade extension is what sets the new edge.
        var tight = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [9.1e-2, 3e-2, 2e-2]);
        Assert.Equal(-0.5, Math.Log10(((INumericRange)tight.Distribution).High), 9);
        Assert.True(lu.Contains(ParamValue.Of(3e-4)));
        Assert.Equal(lu.High, ((INumericRange)r.Envelope).High); // the extension becomes part of the envelope
    }

    [Fact]
    public void BestValueNearLowerEdge_ExtendsDownward()
    {
        var r = Narrow("reg", new LogUniform(1e-6, 1e-1), [1.5e-6, 1e-4]);
        var w = Assert.Single(r.Warnings);
        Assert.Equal(BorderEdge.Low, w.Edge);
        var lu = Assert.IsType<LogUniform>(r.Distribution);
        Assert.Equal(-6.5, Math.Log10(lu.Low), 9);
    }

    [Fact]
    public void BestInMiddle_NoWarningAndNoExtension()
    {
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [1e-3, 2e-4, 5e-3]);
        Assert.Empty(r.Warnings);
        var lu = Assert.IsType<LogUniform>(r.Distribution);
        Assert.True(lu.Low >= 1e-6 && lu.High <= 1e-1);
    }

    [Fact]
    public void MajorityOfTopNearEdge_WarnsEvenIfBestIsNot()
    {
        // Best is mid-range but 3 of 4 top values are in the upper 10% (log10 ≥ -1.5).
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [1e-3, 5e-2, 6e-2, 8e-2]);
        var w = Assert.Single(r.Warnings);
        Assert.False(w.BestNearEdge);
        Assert.Equal((BorderEdge.High, 3, 4), (w.Edge, w.TopValuesNearEdge, w.TopValues));
        Assert.Contains("3 of the 4 top values", w.Message);
        Assert.True(((INumericRange)r.Distribution).High > 1e-1);
    }

    [Fact]
    public void OneTopValueNearEdgeOfMany_DoesNotWarn()
    {
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [1e-3, 2e-3, 8e-2, 5e-4]);
        Assert.Empty(r.Warnings);
        Assert.True(((INumericRange)r.Distribution).High <= 1e-1);
    }

    [Fact]
    public void DropoutExtension_RespectsHardLimit()
    {
        // [0, 0.5]: best 0.48 near the top: extend by 25% of the width (0.125) to 0.625.
        var r = Narrow("dropout", new Uniform(0, 0.5), [0.48, 0.3]);
        Assert.True(Assert.Single(r.Warnings).Extended);
        Assert.Equal(0.625, ((INumericRange)r.Distribution).High, 12);

        // [0, 0.95] is already at dropout's extension limit: warn, but do not extend.
        var capped = Narrow("dropout", new Uniform(0, 0.95), [0.94, 0.6]);
        var w = Assert.Single(capped.Warnings);
        Assert.False(w.Extended);
        Assert.Contains("hard limit", w.Message);
        Assert.True(((INumericRange)capped.Distribution).High <= 0.95);

        // Near 0: cannot go below 0.
        var low = Narrow("dropout", new Uniform(0, 0.8), [0.01, 0.2]);
        Assert.False(Assert.Single(low.Warnings).Extended);
        Assert.Equal(0, ((INumericRange)low.Distribution).Low);
    }

    [Fact]
    public void IntegerRange_RoundsOutwardAndStaysAtLeastOne()
    {
        var r = Narrow("batch_size", new IntUniform(64, 512), [130, 100, 200]);
        var iu = Assert.IsType<IntUniform>(r.Distribution);
        Assert.True(iu.IntLow <= 100 && iu.IntHigh >= 200 && iu.IntLow >= 64);
        Assert.Equal(Math.Floor(100 - 0.25 * 100), iu.IntLow);

        var low = Narrow("batch_size", new IntUniform(1, 64), [1, 3]);
        Assert.Equal(1, Assert.IsType<IntUniform>(low.Distribution).IntLow);
    }

    [Fact]
    public void Choices_ShrinkToValuesSeenInTopTrials()
    {
        var d = new Choice("adam", "sgd", "momentum");
        var r = RangeNarrower.Narrow("optimizer", d, d, [ParamValue.Of("momentum"), ParamValue.Of("adam"), ParamValue.Of("adam")], 1, true, Defaults);
        Assert.Equal(["adam", "momentum"], Assert.IsType<Choice>(r.Distribution).Values.Select(v => v.AsText()));
    }

    [Fact]
    public void LastStage_WarnsWithoutExtending()
    {
        var r = Narrow("learning_rate", new LogUniform(1e-6, 1e-1), [9.5e-2], hasNext: false);
        var w = Assert.Single(r.Warnings);
        Assert.False(w.Extended);
        Assert.Contains("last stage", w.Message);
    }

    [Fact]
    public void Property_NarrowedRangeContainsTopValues_AndRespectsHardLimits()
    {
        var cases = new (string Name, IDistribution Prior)[]
        {
            ("learning_rate", new LogUniform(1e-6, 1e-1)),
            ("reg", new LogUniform(1e-8, 1e-2)),
            ("dropout", new Uniform(0, 0.9)),
            ("momentum", new Uniform(0.5, 0.99)),
            ("lr_decay", new Uniform(0.8, 1.0)),
            ("batch_size", new IntUniform(1, 512)),
        };
        var rng = new SplitMix64(2024);
        for (int trial = 0; trial < 300; trial++)
        {
            foreach (var (name, prior) in cases)
            {
                int n = 1 + (int)rng.NextInt64(0, 7);
                var top = Enumerable.Range(0, n).Select(_ => prior.Sample(rng)).ToArray();
                var r = RangeNarrower.Narrow(name, prior, prior, top, 1, hasNextStage: true, Defaults);
                var info = ParameterCatalog.Get(name);
                foreach (var v in top) Assert.True(r.Distribution.Contains(v), $"{name}: {v} not in {r.Distribution.Describe()}");
                if (r.Distribution is INumericRange range)
                {
                    Assert.True(info.IsValid(range.Low) && info.IsValid(range.High), $"{name}: {range.Describe()} outside {info.ValidRange}");
                    var p = (INumericRange)prior;
                    if (r.Warnings.Count == 0) Assert.True(range.Low >= p.Low && range.High <= p.High, $"{name}: {range.Describe()} left {p.Describe()} without a border warning");
                }
            }
        }
    }
}
