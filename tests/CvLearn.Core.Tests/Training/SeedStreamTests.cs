using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Training;

public class SeedStreamTests
{
    [Fact]
    public void PermutationContainsEveryIndexOnce()
    {
        var order = new int[101];
        SeedStream.For(3, 1, 7).Permutation(order);
        var sorted = (int[])order.Clone();
        Array.Sort(sorted);
        Assert.Equal(Enumerable.Range(0, 101), sorted);
        Assert.NotEqual(Enumerable.Range(0, 101), order);
    }

    [Fact]
    public void StreamsDependOnEveryInputAndRepeat()
    {
        var a = new int[50];
        var b = new int[50];
        SeedStream.For(3, 1, 7).Permutation(a);
        SeedStream.For(3, 1, 7).Permutation(b);
        Assert.Equal(a, b);
        foreach (var (seed, stream, index) in new[] { (4, 1, 7), (3, 2, 7), (3, 1, 8) })
        {
            SeedStream.For(seed, stream, index).Permutation(b);
            Assert.NotEqual(a, b);
        }
    }

    [Fact]
    public void NextIntIsRoughlyUniform()
    {
        // 60000 draws in [0, 6): each bucket expects 10000, σ ≈ 91; 5σ bounds make a false failure negligible.
        var rng = SeedStream.For(1, 0, 0);
        var counts = new int[6];
        for (int i = 0; i < 60000; i++) counts[rng.NextInt(6)]++;
        foreach (int c in counts) Assert.InRange(c, 10000 - 460, 10000 + 460);
    }
}
