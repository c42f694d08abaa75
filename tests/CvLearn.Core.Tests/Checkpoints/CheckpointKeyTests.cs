using CvLearn.Core.Checkpoints;

namespace CvLearn.Core.Tests.Checkpoints;

public class CheckpointKeyTests
{
    [Fact]
    public void BuildsAndParsesKeys()
    {
        string key = CheckpointKey.For("fmnist-coarse", 42, 0.8734, 5);
        Assert.Equal("fmnist-coarse/trial-0042/val0.8734_ep05.ckpt", key);
        Assert.True(CheckpointKey.TryParse(key, out string exp, out int trial, out double acc, out int epoch));
        Assert.Equal(("fmnist-coarse", 42, 0.8734, 5), (exp, trial, acc, epoch));
        Assert.Equal("team/exp 1/trial-12345/val0.1000_ep01.ckpt", CheckpointKey.For("team/exp 1", 12345, 0.1, 1));
        Assert.Null(CheckpointKey.TryGetError(key, "fmnist-coarse"));
        Assert.Null(CheckpointKey.TryGetError(key, "fmnist-coarse/"));
    }

    [Theory]
    [InlineData("/abs/trial-0001/val0.5000_ep01.ckpt", "absolute")]
    [InlineData("exp/../other/trial-0001/val0.5000_ep01.ckpt", "..")]
    [InlineData("exp\\trial-0001\\val0.5000_ep01.ckpt", "backslash")]
    [InlineData("exp//trial-0001/val0.5000_ep01.ckpt", "empty path segment")]
    [InlineData("exp/trial-0001/.tmp-123", "reserved")]
    [InlineData("expother/trial-0001/val0.5000_ep01.ckpt", "outside the experiment prefix")]
    [InlineData("other/trial-0001/val0.5000_ep01.ckpt", "outside the experiment prefix")]
    [InlineData("", "empty")]
    [InlineData("C:/exp/x", "absolute")]
    public void RejectsKeysEscapingTheExperiment(string key, string reason)
    {
        string? error = CheckpointKey.TryGetError(key, "exp");
        Assert.NotNull(error);
        Assert.Contains(reason, error);
        Assert.Throws<ArgumentException>(() => CheckpointKey.Validate(key, "exp"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../x")]
    [InlineData("a/trial-0003")]
    [InlineData(".hidden")]
    public void RejectsBadExperimentNames(string experiment) => Assert.Throws<ArgumentException>(() => CheckpointKey.For(experiment, 1, 0.5, 1));

    [Fact]
    public void TryParseRejectsNonCheckpointKeys()
    {
        Assert.False(CheckpointKey.TryParse("exp/trial-0001/notes.txt", out _, out _, out _, out _));
        Assert.False(CheckpointKey.TryParse("exp/val0.5000_ep01.ckpt", out _, out _, out _, out _));
        Assert.False(CheckpointKey.TryParse("exp/trial-1/val0.5000_ep01.ckpt", out _, out _, out _, out _));
    }
}
