using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Tensors;

public class BroadcastOpsTests
{
    [Fact]
    public void AddRowVectorAddsBiasToEveryRow()
    {
        int rows = 5, cols = 19; // 19: exercises the vector body and the scalar tail
        var rng = new Random(1);
        double[] x = Fill(rng, rows * cols), bias = Fill(rng, cols);
        double[] expected = (double[])x.Clone();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) expected[i * cols + j] += bias[j];
        BroadcastOps.AddRowVector<double>(x, rows, cols, bias);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void SumColumnsOverwritesOrAccumulates()
    {
        int rows = 7, cols = 13;
        var rng = new Random(2);
        float[] x = FillF(rng, rows * cols);
        var expected = new float[cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) expected[j] += x[i * cols + j];
        float[] sums = [.. Enumerable.Repeat(float.NaN, cols)];
        BroadcastOps.SumColumns<float>(x, rows, cols, sums);
        Assert.Equal(expected, sums); // same summation order as the loop above → exact
        BroadcastOps.SumColumns<float>(x, rows, cols, sums, accumulate: true);
        for (int j = 0; j < cols; j++) Assert.Equal(2 * expected[j], sums[j], 5);
    }

    [Fact]
    public void ChannelBiasAndItsGradientMatchLoops()
    {
        int batch = 3, channels = 4, spatial = 10;
        var rng = new Random(3);
        double[] x = Fill(rng, batch * channels * spatial), bias = Fill(rng, channels);
        double[] expected = (double[])x.Clone();
        var expectedSums = new double[channels];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s;
                    expected[i] += bias[c];
                    expectedSums[c] += x[i];
                }
        var sums = new double[channels];
        BroadcastOps.SumChannels<double>(x, batch, channels, spatial, sums);
        for (int c = 0; c < channels; c++) Assert.Equal(expectedSums[c], sums[c], 12);
        BroadcastOps.AddChannelBias<double>(x, batch, channels, spatial, bias);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void RejectsShortBiasWithClearMessage()
    {
        var ex = Assert.Throws<ArgumentException>(() => BroadcastOps.AddRowVector<float>(new float[12], 3, 4, new float[3]));
        Assert.Contains("cols = 4", ex.Message);
    }

    private static double[] Fill(Random rng, int n)
    {
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rng.NextDouble() - 0.5;
        return x;
    }

    private static float[] FillF(Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)rng.NextDouble() - 0.5f;
        return x;
    }
}
