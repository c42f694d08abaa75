using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

public class NormalizationAndDropoutTests
{
    private static (double[] Mean, double[] Var) ColumnStats(ReadOnlySpan<double> data, int n, int d)
    {
        var mean = new double[d];
        var variance = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) variance[j] += Math.Pow(data[i * d + j] - mean[j], 2) / n;
        return (mean, variance);
    }

    [Fact]
    public void BatchNormTrainingOutputIsStandardized()
    {
        var ps = new ParameterSet<double>();
        var bn = new BatchNorm<double>(ps, "bn", 4);
        ps.Freeze();
        bn.ResetState();
        ps.Value(bn.Gamma).Fill(1);
        var x = TestData.Randn(60, 200, 4);
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = 5 * xs[i] + 3 + (i % 4); // feature-dependent shift
        var y = bn.Forward(x, training: true);
        var (mean, variance) = ColumnStats(y.Span, 200, 4);
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(0.0, mean[j], 1e-10);
            Assert.Equal(1.0, variance[j], 1e-3);
        }
    }

    [Fact]
    public void BatchNormRunningStatisticsAndTestMode()
    {
        var ps = new ParameterSet<double>();
        var bn = new BatchNorm<double>(ps, "bn", 3, momentum: 0.9);
        ps.Freeze();
        bn.ResetState();
        ps.Value(bn.Gamma).Fill(2);
        ps.Value(bn.Beta).Fill(0.5);
        var x = TestData.Randn(61, 8, 3);
        var (mean, variance) = ColumnStats(x.Span, 8, 3);
        bn.Forward(x, training: true);
        var rm = ps.StateOf(bn.RunningMean).ToArray();
        var rv = ps.StateOf(bn.RunningVar).ToArray();
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(0.1 * mean[j], rm[j], 1e-12);
            Assert.Equal(0.9 + 0.1 * variance[j], rv[j], 1e-12); // biased batch variance
        }
        var y = bn.Forward(x, training: false);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(2 * (x[i, j] - rm[j]) / Math.Sqrt(rv[j] + 1e-5) + 0.5, y[i, j], 1e-12);
        Assert.Throws<InvalidOperationException>(() => bn.Backward(y));
    }

    [Fact]
    public void SpatialBatchNormEqualsBatchNormOverPixels()
    {
        int n = 3, c = 2, h = 2, w = 3;
        var psS = new ParameterSet<double>();
        var sbn = new SpatialBatchNorm<double>(psS, "sbn", c);
        TestData.Init(psS, seed: 62, std: 0.5);
        sbn.ResetState();
        var psB = new ParameterSet<double>();
        var bn = new BatchNorm<double>(psB, "bn", c);
        psB.Freeze();
        bn.ResetState();
        psS.Values.CopyTo(psB.Values, 0);
        var x = TestData.Randn(63, n, c, h, w);
        // The same data as (N·H·W, C) rows.
        var rows = new Tensor<double>(n * h * w, c);
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int p = 0; p < h * w; p++)
            rows[i * h * w + p, ch] = x.Span[(i * c + ch) * h * w + p];
        var dout = TestData.Randn(64, n, c, h, w);
        var doutRows = new Tensor<double>(n * h * w, c);
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int p = 0; p < h * w; p++)
            doutRows[i * h * w + p, ch] = dout.Span[(i * c + ch) * h * w + p];

        var yS = sbn.Forward(x, training: true);
        var yB = bn.Forward(rows, training: true);
        var dxS = sbn.Backward(dout)!;
        var dxB = bn.Backward(doutRows)!;
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int p = 0; p < h * w; p++)
        {
            Assert.Equal(yB[i * h * w + p, ch], yS.Span[(i * c + ch) * h * w + p], 1e-12);
            Assert.Equal(dxB[i * h * w + p, ch], dxS.Span[(i * c + ch) * h * w + p], 1e-12);
        }
        for (int k = 0; k < psS.Count; k++) Assert.Equal(psB.Grads[k], psS.Grads[k], 1e-12);
        for (int k = 0; k < psS.StateCount; k++) Assert.Equal(psB.State[k], psS.State[k], 1e-12);
    }

    [Fact]
    public void BatchNormRejectsWrongFeatureCount()
    {
        var bn = new BatchNorm<float>(new ParameterSet<float>(), "bn1", 10);
        Assert.Contains("10 features", Assert.Throws<ArgumentException>(() => bn.OutputShape([4, 12])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm<float>(new ParameterSet<float>(), "bn", 3, momentum: 1.0));
    }

    [Fact]
    public void DropoutIsIdentityAtTestTime()
    {
        var drop = new Dropout<double>("drop", 0.5, seed: 1);
        var x = TestData.Randn(65, 4, 6);
        Assert.Equal(x.Span.ToArray(), drop.Forward(x, training: false).Span.ToArray());
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.75)]
    public void DropoutDropsFractionPAndPreservesTheMean(double p)
    {
        var drop = new Dropout<float>("drop", p, seed: 7);
        var x = new Tensor<float>(100, 1000);
        x.Span.Fill(2f);
        var y = drop.Forward(x, training: true).Span;
        int dropped = 0;
        double sum = 0;
        foreach (float v in y)
        {
            if (v == 0) dropped++;
            else Assert.Equal(2 / (1 - p), v, 1e-5);
            sum += v;
        }
        Assert.Equal(p, dropped / (double)y.Length, 0.01);
        Assert.Equal(2.0, sum / y.Length, 0.03);
    }

    [Fact]
    public void DropoutReseedReproducesMasksAndBackwardUsesThem()
    {
        var drop = new Dropout<double>("drop", 0.5, seed: 11);
        var x = TestData.Randn(66, 3, 17);
        var first = drop.Forward(x, training: true).Span.ToArray();
        var second = drop.Forward(x, training: true).Span.ToArray();
        Assert.NotEqual(first, second); // the stream advances
        drop.Reseed(11);
        Assert.Equal(first, drop.Forward(x, training: true).Span.ToArray());
        var ones = new Tensor<double>(3, 17);
        ones.Span.Fill(1);
        var dx = drop.Backward(ones)!.Span;
        for (int i = 0; i < dx.Length; i++) Assert.Equal(first[i] == 0 ? 0 : 2.0, dx[i]);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void DropoutRejectsInvalidProbability(double p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout<float>("drop1", p, 0));
        Assert.Contains("[0, 1)", ex.Message);
    }
}
