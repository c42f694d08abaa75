using CvLearn.Core.Data;

namespace CvLearn.Core.Tests.Data;

public class SymmetricEigenTests
{
    private static double[] RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                a[i * n + j] = a[j * n + i] = rng.NextDouble() * 2 - 1;
        return a;
    }

    private static void AssertDecomposes(double[] a, int n, double tol)
    {
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        for (int r = 1; r < n; r++) Assert.True(values[r - 1] >= values[r], "eigenvalues must be descending");
        for (int r = 0; r < n; r++)
        {
            // ‖A v − λ v‖ small and v orthonormal to the others.
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i * n + j] * vectors[r * n + j];
                Assert.True(Math.Abs(av - values[r] * vectors[r * n + i]) < tol, $"A v ≠ λ v for eigenpair {r}");
            }
            for (int s = 0; s <= r; s++)
            {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += vectors[r * n + j] * vectors[s * n + j];
                Assert.True(Math.Abs(dot - (r == s ? 1 : 0)) < tol, $"eigenvectors {r},{s} not orthonormal: {dot}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(57)]
    public void DecomposesRandomSymmetricMatrices(int n) => AssertDecomposes(RandomSymmetric(n, n), n, 1e-9);

    [Fact]
    public void HandlesRepeatedEigenvaluesAndZeros()
    {
        int n = 6;
        var a = new double[n * n];
        double[] diag = [2, 2, 0, 0, 5, 2];
        for (int i = 0; i < n; i++) a[i * n + i] = diag[i];
        AssertDecomposes(a, n, 1e-12);
        Assert.Equal([5, 2, 2, 2, 0, 0], SymmetricEigen.Decompose(a, n).Values);
    }

    [Fact]
    public void KnownTwoByTwo()
    {
        var (values, vectors) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(3, values[0], 12);
        Assert.Equal(1, values[1], 12);
        Assert.Equal(Math.Abs(vectors[0]), Math.Abs(vectors[1]), 12);
    }

    [Fact]
    public void RejectsNonFinite()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose([1, double.NaN, double.NaN, 1], 2));
    }
}
