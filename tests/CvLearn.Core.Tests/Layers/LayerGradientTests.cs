using CvLearn.Core.Diagnostics;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

/// <summary>
/// Numeric gradient checks (double precision, centered differences) of every layer's dx and of every parameter it
/// owns. Thresholds follow the CS231n notes: &lt; 1e-7 for smooth functions, &lt; 1e-5 where kinks exist.
/// </summary>
public class LayerGradientTests
{
    private const double Smooth = 1e-7;
    private const double Kinky = 1e-5;

    private static void AssertBelow(GradientCheckReport report, double limit, params string[] expectedNames)
    {
        foreach (var name in expectedNames) Assert.Contains(name, report.Names);
        Assert.True(report.MaxRelativeError < limit, report.ToString());
    }

    [Fact]
    public void AffineOnFlattenedInput()
    {
        var ps = new ParameterSet<double>();
        var layer = new Affine<double>(ps, "fc", 2 * 5, 4);
        TestData.Init(ps, seed: 1);
        var x = TestData.Randn(2, 3, 2, 5);
        var report = GradientCheck.Layer(layer, ps, x, checks: 12);
        AssertBelow(report, Smooth, "dx", "fc.W", "fc.b");
        Assert.Equal([3, 2, 5], layer.Backward(TestData.Randn(3, 3, 4))!.Shape.ToArray());
    }

    [Fact]
    public void ReluAwayFromKink() =>
        AssertBelow(GradientCheck.Layer(new Relu<double>("r"), null, TestData.AwayFromZero(4, 0.1, 4, 3, 5)), Kinky, "dx");

    [Fact]
    public void LeakyReluAwayFromKink() =>
        AssertBelow(GradientCheck.Layer(new LeakyRelu<double>("lr", 0.1), null, TestData.AwayFromZero(5, 0.1, 4, 7), checks: 28), Kinky, "dx");

    [Fact]
    public void Elu() =>
        AssertBelow(GradientCheck.Layer(new Elu<double>("e", 0.7), null, TestData.AwayFromZero(6, 0.05, 4, 9), checks: 36), Smooth, "dx");

    [Fact]
    public void Tanh() =>
        AssertBelow(GradientCheck.Layer(new Tanh<double>("t"), null, TestData.Randn(7, 5, 11), checks: 20), Smooth, "dx");

    [Fact]
    public void Sigmoid() =>
        AssertBelow(GradientCheck.Layer(new Sigmoid<double>("s"), null, TestData.Randn(8, 5, 11), checks: 20), Smooth, "dx");

    [Theory]
    [InlineData(3, 1, 1, 6)]   // the default 3×3 "same" convolution
    [InlineData(3, 2, 1, 5)]   // strided, padded
    [InlineData(2, 1, 0, 4)]   // no padding
    public void Conv2d(int filterSize, int stride, int pad, int side)
    {
        var ps = new ParameterSet<double>();
        var layer = new Conv2d<double>(ps, "conv", inChannels: 3, filters: 4, filterSize, stride, pad);
        TestData.Init(ps, seed: 9);
        var x = TestData.Randn(10, 2, 3, side, side);
        AssertBelow(GradientCheck.Layer(layer, ps, x, checks: 15), Smooth, "dx", "conv.W", "conv.b");
    }

    [Theory]
    [InlineData(2, 2)]   // fast path
    [InlineData(3, 2)]   // overlapping windows: gradients accumulate
    [InlineData(3, 1)]
    public void MaxPool(int size, int stride)
    {
        var x = TestData.Randn(11, 2, 3, 7 - (size == 2 ? 1 : 0), 7 - (size == 2 ? 1 : 0));
        AssertBelow(GradientCheck.Layer(new MaxPool<double>("pool", size, stride), null, x, checks: 30), Kinky, "dx");
    }

    [Fact]
    public void BatchNorm()
    {
        var ps = new ParameterSet<double>();
        var layer = new BatchNorm<double>(ps, "bn", 6);
        TestData.Init(ps, seed: 12, std: 0.5);
        layer.ResetState();
        var x = TestData.Randn(13, 5, 6);
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = 3 * xs[i] + 2; // not already normalized
        AssertBelow(GradientCheck.Layer(layer, ps, x, checks: 15), Smooth, "dx", "bn.gamma", "bn.beta");
    }

    [Fact]
    public void SpatialBatchNorm()
    {
        var ps = new ParameterSet<double>();
        var layer = new SpatialBatchNorm<double>(ps, "sbn", 3);
        TestData.Init(ps, seed: 14, std: 0.5);
        layer.ResetState();
        var x = TestData.Randn(15, 2, 3, 4, 5);
        AssertBelow(GradientCheck.Layer(layer, ps, x, checks: 20), Smooth, "dx", "sbn.gamma", "sbn.beta");
    }

    [Fact]
    public void DropoutWithFixedMask()
    {
        var layer = new Dropout<double>("drop", 0.4, seed: 3);
        var x = TestData.Randn(16, 4, 10);
        var report = GradientCheck.Layer(layer, null, x, checks: 40, beforeForward: () => layer.Reseed(3));
        AssertBelow(report, Smooth, "dx");
    }

    [Fact]
    public void SkipsDxWhenNotPropagating()
    {
        var ps = new ParameterSet<double>();
        var layer = new Conv2d<double>(ps, "conv", 2, 3, 3, 1, 1) { PropagateGradient = false };
        TestData.Init(ps, seed: 17);
        var x = TestData.Randn(18, 2, 2, 4, 4);
        layer.Forward(x, training: true);
        Assert.Null(layer.Backward(TestData.Randn(19, 2, 3, 4, 4)));
        var report = GradientCheck.Layer(layer, ps, x);
        AssertBelow(report, Smooth, "conv.W", "conv.b");
        Assert.DoesNotContain("dx", report.Names);
    }

    [Fact]
    public void SoftmaxLossGradient() => CheckLoss(new SoftmaxLoss<double>(), Smooth);

    [Fact]
    public void SvmLossGradient() => CheckLoss(new SvmLoss<double>(), Kinky);

    private static void CheckLoss(ILoss<double> loss, double limit)
    {
        var scores = TestData.Randn(20, 6, 5);
        int[] labels = TestData.Labels(21, 6, 5);
        var dscores = new Tensor<double>(1);
        loss.Compute(scores, labels, dscores);
        double[] analytic = dscores.Span.ToArray();
        var scratch = new Tensor<double>(1);
        double max = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            double numeric = GradientCheck.NumericDerivative(() => loss.Compute(scores, labels, scratch), scores.Buffer, i);
            max = Math.Max(max, GradientCheck.RelativeError(analytic[i], numeric));
        }
        Assert.True(max < limit, $"max relative error {max:E2}");
    }
}
