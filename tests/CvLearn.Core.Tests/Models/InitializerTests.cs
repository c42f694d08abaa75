using CvLearn.Core.Models;

namespace CvLearn.Core.Tests.Models;

public class InitializerTests
{
    /// <summary>A parameter set shaped like fc(400→300) + bn + fc(300→10), registered by hand (no layers needed).</summary>
    private static ParameterSet<float> MakeSet()
    {
        var ps = new ParameterSet<float>();
        ps.Add("fc1.W", [400, 300], ParameterRole.Weight, 400, 300);
        ps.Add("fc1.b", [300], ParameterRole.Bias);
        ps.Add("bn1.gamma", [300], ParameterRole.Scale);
        ps.Add("bn1.beta", [300], ParameterRole.Shift);
        ps.AddState("bn1.running_mean", [300]);
        ps.AddState("bn1.running_var", [300]);
        ps.Add("conv.W", [20, 3, 3, 3], ParameterRole.Weight); // no fan-in registered: derived from the shape (27)
        ps.Add("fc2.W", [300, 10], ParameterRole.Weight, 300, 10);
        ps.Add("fc2.b", [10], ParameterRole.Bias);
        ps.Freeze();
        ps.Values.AsSpan().Fill(5);
        ps.State.AsSpan().Fill(5);
        return ps;
    }

    private static (double Mean, double Std) Stats(ReadOnlySpan<float> v)
    {
        double s = 0, s2 = 0;
        foreach (float x in v) { s += x; s2 += (double)x * x; }
        double mean = s / v.Length;
        return (mean, Math.Sqrt(s2 / v.Length - mean * mean));
    }

    [Theory]
    [InlineData(InitializationKind.He, 2.0)]
    [InlineData(InitializationKind.Xavier, 1.0)]
    public void WeightsFollowTheSchemeOthersAreConstants(InitializationKind kind, double gain)
    {
        var ps = MakeSet();
        Initializer.Initialize(ps, new Initialization(kind), seed: 1);
        var (mean, std) = Stats(ps.Value(ps.Find("fc1.W")));
        Assert.InRange(mean, -0.003, 0.003);
        Assert.InRange(std / Math.Sqrt(gain / 400), 0.98, 1.02);
        var (_, convStd) = Stats(ps.Value(ps.Find("conv.W")));
        Assert.InRange(convStd / Math.Sqrt(gain / 27), 0.85, 1.15);
        // The class-score layer (last weight) is scaled down so the initial loss is ≈ ln C.
        var (_, lastStd) = Stats(ps.Value(ps.Find("fc2.W")));
        Assert.InRange(lastStd / (Initializer.ClassifierScale * Math.Sqrt(gain / 300)), 0.9, 1.1);

        Assert.All(ps.Value(ps.Find("fc1.b")).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(ps.Value(ps.Find("fc2.b")).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(ps.Value(ps.Find("bn1.gamma")).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(ps.Value(ps.Find("bn1.beta")).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(ps.StateOf(ps.Find("bn1.running_mean")).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(ps.StateOf(ps.Find("bn1.running_var")).ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void GaussianUsesTheGivenStdEverywhere()
    {
        var ps = MakeSet();
        Initializer.Initialize(ps, Initialization.Gaussian(0.01), seed: 3);
        Assert.InRange(Stats(ps.Value(ps.Find("fc1.W"))).Std, 0.0098, 0.0102);
        Assert.InRange(Stats(ps.Value(ps.Find("fc2.W"))).Std, 0.0093, 0.0107);
    }

    [Fact]
    public void DeterministicForASeedAndDifferentAcrossSeeds()
    {
        var a = MakeSet();
        var b = MakeSet();
        var c = MakeSet();
        Initializer.Initialize(a, Initialization.He, 42);
        Initializer.Initialize(b, Initialization.He, 42);
        Initializer.Initialize(c, Initialization.He, 43);
        Assert.Equal(a.Values, b.Values);
        Assert.NotEqual(a.Values, c.Values);
    }

    [Fact]
    public void RequiresAFrozenSet()
    {
        var ps = new ParameterSet<double>();
        ps.Add("W", [2, 2], ParameterRole.Weight);
        Assert.Throws<InvalidOperationException>(() => Initializer.Initialize(ps, Initialization.He, 0));
    }

    [Fact]
    public void GaussianGeneratorHasUnitMomentsAndUniformRange()
    {
        var rng = new GaussianRandom(7);
        const int n = 200_000;
        double s = 0, s2 = 0, s4 = 0;
        for (int i = 0; i < n; i++)
        {
            double g = rng.NextGaussian();
            s += g; s2 += g * g; s4 += g * g * g * g;
        }
        Assert.InRange(s / n, -0.01, 0.01);
        Assert.InRange(s2 / n, 0.98, 1.02);
        Assert.InRange(s4 / n, 2.9, 3.1); // kurtosis of a normal is 3
        for (int i = 0; i < 1000; i++) Assert.InRange(rng.NextDouble(), 0.0, 0.9999999999);
    }
}
