using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Training;

public class LearningRateScheduleTests
{
    /// <summary>Rates for epochs 1..n (the first is lr0), feeding the given validation accuracies.</summary>
    private static double[] Rates(ILearningRateSchedule s, double lr0, params double[] valAcc)
    {
        s.Reset(lr0);
        var rates = new double[valAcc.Length + 1];
        rates[0] = s.LearningRate;
        for (int i = 0; i < valAcc.Length; i++) rates[i + 1] = s.EpochEnd(valAcc[i]);
        return rates;
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }

    [Fact]
    public void ConstantKeepsLr0() =>
        AssertClose([0.1, 0.1, 0.1], Rates(LearningRateSchedules.Parse("constant"), 0.1, 0.5, 0.2));

    [Fact]
    public void StepDecayMultipliesEveryKEpochs() =>
        // step:2:0.5 — epochs 1,2 at lr0; 3,4 at lr0/2; 5 at lr0/4.
        AssertClose([1, 1, 0.5, 0.5, 0.25], Rates(LearningRateSchedules.Parse("step:2:0.5"), 1, 0, 0, 0, 0));

    [Fact]
    public void LrDecayIsCs231nSolverBehaviour()
    {
        var s = LearningRateSchedules.Parse("lr_decay:0.95");
        Assert.Equal("step:1:0.95", s.Spec);
        // CS231n Solver: lr *= lr_decay after every epoch.
        AssertClose([0.01, 0.0095, 0.009025, 0.00857375], Rates(s, 0.01, 0, 0, 0));
    }

    [Fact]
    public void ExponentialFollowsFormula() =>
        AssertClose([2, 2 * Math.Exp(-0.1), 2 * Math.Exp(-0.2)], Rates(LearningRateSchedules.Parse("exp:0.1"), 2, 0, 0));

    [Fact]
    public void InverseTimeFollowsFormula() =>
        // lr0/(1 + 0.5·t): 1, 1/1.5, 1/2, 1/2.5.
        AssertClose([1, 1 / 1.5, 0.5, 0.4], Rates(LearningRateSchedules.Parse("inv:0.5"), 1, 0, 0, 0));

    [Fact]
    public void PlateauHalvesAfterPatienceEpochsWithoutImprovement()
    {
        // patience 2: improve (0.5), improve (0.6), stale (0.6), stale (0.55) → halve; stale (0.6) → 1 stale,
        // improve (0.7) → reset; stale, stale → halve again.
        var s = LearningRateSchedules.Parse("plateau:2");
        AssertClose([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25], Rates(s, 1, 0.5, 0.6, 0.6, 0.55, 0.6, 0.7, 0.7, 0.69));
        Assert.Equal(0.7, ((LearningRateScheduleBase)s).BestValidationAccuracy);
    }

    [Fact]
    public void PlateauThresholdIgnoresTinyImprovements()
    {
        // threshold 0.01: 0.505 is not an improvement over 0.5, 0.52 is.
        var s = LearningRateSchedules.Parse("plateau:1:0.01");
        AssertClose([1, 1, 0.5, 0.5], Rates(s, 1, 0.5, 0.505, 0.52));
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("step:3:0.5")]
    [InlineData("exp:0.25")]
    [InlineData("inv:0.5")]
    [InlineData("plateau:2")]
    [InlineData("plateau:3:0.001")]
    public void SpecRoundTripsAndStateResumesExactly(string spec)
    {
        var acc = new[] { 0.3, 0.4, 0.4, 0.35, 0.41, 0.41, 0.39, 0.5 };
        var full = LearningRateSchedules.Parse(spec);
        Assert.Equal(spec, full.Spec);
        var expected = Rates(full, 0.1, acc);

        var first = LearningRateSchedules.Parse(spec);
        first.Reset(0.1);
        var actual = new List<double> { first.LearningRate };
        for (int i = 0; i < 4; i++) actual.Add(first.EpochEnd(acc[i]));
        var resumed = LearningRateSchedules.Parse(full.Spec);
        resumed.ImportState(first.ExportState());
        Assert.Equal(4, resumed.Epochs);
        for (int i = 4; i < acc.Length; i++) actual.Add(resumed.EpochEnd(acc[i]));
        Assert.Equal(expected, actual);
        Assert.Equal(full.ExportState(), resumed.ExportState());
    }

    [Theory]
    [InlineData("", "unknown schedule")]
    [InlineData("cosine", "unknown schedule 'cosine'")]
    [InlineData("step:5", "takes 2 parameter")]
    [InlineData("step:x:0.5", "EVERY must be an integer")]
    [InlineData("step:0:0.5", "at least 1 epoch")]
    [InlineData("step:5:1.5", "(0, 1]")]
    [InlineData("exp:-1", "≥ 0")]
    [InlineData("inv:abc", "K must be a number")]
    [InlineData("plateau", "takes 1 to 2 parameters")]
    [InlineData("plateau:0", "at least 1 epoch")]
    [InlineData("constant:3", "takes 0 parameter")]
    public void BadSpecsGiveClearErrors(string spec, string expectedFragment)
    {
        var ex = Assert.Throws<ArgumentException>(() => LearningRateSchedules.Parse(spec));
        Assert.Contains(expectedFragment, ex.Message);
        Assert.Contains("plateau:PATIENCE", ex.Message); // the grammar is shown
    }

    [Fact]
    public void ParseIsCaseInsensitiveAndInvariant()
    {
        Assert.Equal("step:5:0.5", LearningRateSchedules.Parse(" STEP:5:0.5 ").Spec);
        Assert.Equal("exp:0.1", LearningRateSchedules.Parse("Exp:1e-1").Spec);
    }

    [Fact]
    public void ImportRejectsOtherSchedule()
    {
        var a = LearningRateSchedules.Parse("exp:0.1");
        a.Reset(1);
        var b = LearningRateSchedules.Parse("inv:0.1");
        var ex = Assert.Throws<ArgumentException>(() => b.ImportState(a.ExportState()));
        Assert.Contains("exp:0.1", ex.Message);
    }

    [Fact]
    public void UseBeforeResetIsAnError()
    {
        var s = LearningRateSchedules.Parse("constant");
        Assert.Throws<InvalidOperationException>(() => s.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Reset(0));
    }
}
