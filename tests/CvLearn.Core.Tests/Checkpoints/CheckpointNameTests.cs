using CvLearn.Core.Checkpoints;

namespace CvLearn.Core.Tests.Checkpoints;

public class CheckpointNameTests
{
    [Theory]
    [InlineData(0.8734, 5, "val0.8734_ep05.ckpt")]
    [InlineData(0.87344, 12, "val0.8734_ep12.ckpt")]
    [InlineData(0.87346, 0, "val0.8735_ep00.ckpt")]
    [InlineData(1.0, 123, "val1.0000_ep123.ckpt")]
    [InlineData(0.0, 7, "val0.0000_ep07.ckpt")]
    public void FormatsFourDecimalsAndPaddedEpoch(double acc, int epoch, string expected) => Assert.Equal(expected, CheckpointName.Format(acc, epoch));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.1)]
    [InlineData(87.34)]
    public void RejectsAccuraciesOutsideUnitInterval(double acc) => Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointName.Format(acc, 1));

    [Fact]
    public void ParsesWhatItFormats()
    {
        Assert.True(CheckpointName.TryParse("val0.8734_ep05.ckpt", out double acc, out int epoch));
        Assert.Equal(0.8734, acc);
        Assert.Equal(5, epoch);
        Assert.True(CheckpointName.TryParse("exp/trial-0001/val0.9000_ep123.ckpt", out acc, out epoch));
        Assert.Equal(0.9, acc);
        Assert.Equal(123, epoch);
    }

    [Theory]
    [InlineData("val0.8734_ep5.ckpt")]
    [InlineData("val0.873_ep05.ckpt")]
    [InlineData("val2.0000_ep05.ckpt")]
    [InlineData("val0.8734_ep05.ckpt.tmp")]
    [InlineData("model.ckpt")]
    [InlineData("")]
    public void RejectsOtherNames(string name) => Assert.False(CheckpointName.TryParse(name, out _, out _));

    [Fact]
    public void OrdinalSortIsAccuracyThenEpoch()
    {
        var entries = new List<(double Acc, int Epoch)> { (0.5, 3), (0.8734, 5), (0.8734, 12), (0.1, 99), (0.9, 1), (0.8734, 2), (1.0, 10) };
        var byName = entries.Select(e => CheckpointName.Format(e.Acc, e.Epoch)).Order(StringComparer.Ordinal).ToList();
        var byValue = entries.OrderBy(e => e.Acc).ThenBy(e => e.Epoch).Select(e => CheckpointName.Format(e.Acc, e.Epoch)).ToList();
        Assert.Equal(byValue, byName);
    }

    [Fact]
    public void CompareHandlesThreeDigitEpochs()
    {
        string a = CheckpointName.Format(0.5, 99), b = CheckpointName.Format(0.5, 100);
        Assert.True(CheckpointName.Compare(a, b) < 0);
        Assert.True(CheckpointName.Compare(CheckpointName.Format(0.6, 1), b) > 0);
    }
}
