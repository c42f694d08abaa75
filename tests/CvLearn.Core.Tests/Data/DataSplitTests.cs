using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

public class DataSplitTests
{
    /// <summary>n images of 1×1×2 where image i holds (i, −i), so every image is identifiable.</summary>
    internal static LabeledImages Numbered(int n)
    {
        var px = new float[n * 2];
        var y = new int[n];
        for (int i = 0; i < n; i++) { px[2 * i] = i; px[2 * i + 1] = -i; y[i] = i % 3; }
        return new LabeledImages(px, y, 1, 1, 2, 3);
    }

    [Fact]
    public void PartsAreDisjointCompleteAndMatchTheirIndices()
    {
        var data = Numbered(100);
        var split = DataSplit.TrainValidation(data, 20, seed: 7);
        Assert.Equal(80, split.Train.Count);
        Assert.Equal(20, split.Validation.Count);
        Assert.Empty(split.TrainIndices.Intersect(split.ValidationIndices));
        Assert.Equal(Enumerable.Range(0, 100), split.TrainIndices.Concat(split.ValidationIndices).Order());
        for (int i = 0; i < split.Validation.Count; i++)
        {
            int original = split.ValidationIndices[i];
            Assert.Equal(original, split.Validation.Image(i)[0]);
            Assert.Equal(original % 3, split.Validation.Labels[i]);
        }
    }

    [Fact]
    public void SameSeedSameSplitDifferentSeedDifferentSplit()
    {
        var data = Numbered(200);
        var a = DataSplit.TrainValidation(data, 50, seed: 1);
        var b = DataSplit.TrainValidation(data, 50, seed: 1);
        var c = DataSplit.TrainValidation(data, 50, seed: 2);
        Assert.Equal(a.ValidationIndices, b.ValidationIndices);
        Assert.NotEqual(a.ValidationIndices, c.ValidationIndices);
        // Not simply the first or last 50 images.
        Assert.NotEqual(Enumerable.Range(0, 50), a.ValidationIndices);
        Assert.NotEqual(Enumerable.Range(150, 50), a.ValidationIndices);
    }

    [Fact]
    public void TrainLimitTakesSeededSubsetWithoutChangingValidation()
    {
        var data = Numbered(300);
        var full = DataSplit.TrainValidation(data, 40, seed: 3);
        var limited = DataSplit.TrainValidation(data, 40, seed: 3, trainLimit: 25);
        Assert.Equal(full.ValidationIndices, limited.ValidationIndices);
        Assert.Equal(25, limited.Train.Count);
        Assert.Empty(limited.TrainIndices.Intersect(limited.ValidationIndices));
        Assert.Equal(limited.TrainIndices, DataSplit.TrainValidation(data, 40, seed: 3, trainLimit: 25).TrainIndices);
        Assert.NotEqual(Enumerable.Range(0, 25), limited.TrainIndices.Order());
        // A limit above the remaining count just keeps all of them.
        Assert.Equal(260, DataSplit.TrainValidation(data, 40, seed: 3, trainLimit: 10_000).Train.Count);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(-1)]
    public void ValidationCountMustLeaveTrainingImages(int validation)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainValidation(Numbered(10), validation, 0));
        Assert.Contains("alidation count", ex.Message);
    }

    [Fact]
    public void DefaultHoldsOutFiveThousand()
    {
        var split = DataSplit.TrainValidation(Numbered(6000));
        Assert.Equal(5000, split.Validation.Count);
        Assert.Equal(1000, split.Train.Count);
    }
}
