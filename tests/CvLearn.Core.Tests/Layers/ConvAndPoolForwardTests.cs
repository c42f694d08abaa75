using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

/// <summary>Convolution and pooling forward values against hand-computed examples and a direct-loop reference.</summary>
public class ConvAndPoolForwardTests
{
    private static readonly double[] Image3x3 = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    private static Conv2d<double> Conv(ParameterSet<double> ps, int c, int f, int size, int stride, int pad, double[] w, double[] b)
    {
        var conv = new Conv2d<double>(ps, "conv", c, f, size, stride, pad);
        ps.Freeze();
        w.CopyTo(ps.Value(conv.Weight));
        b.CopyTo(ps.Value(conv.Bias));
        return conv;
    }

    [Fact]
    public void TwoByTwoFilterOnThreeByThreeImage()
    {
        var conv = Conv(new ParameterSet<double>(), 1, 1, 2, 1, 0, [1, 2, 3, 4], [1]);
        var y = conv.Forward(new Tensor<double>((double[])Image3x3.Clone(), 1, 1, 3, 3), training: false);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        // e.g. top-left: 1·1 + 2·2 + 4·3 + 5·4 + bias 1 = 38
        Assert.Equal([38.0, 48, 68, 78], y.Span.ToArray());
    }

    [Fact]
    public void PaddingAndStride()
    {
        var conv = Conv(new ParameterSet<double>(), 1, 1, 3, 2, 1, [1, 1, 1, 1, 1, 1, 1, 1, 1], [0]);
        var y = conv.Forward(new Tensor<double>((double[])Image3x3.Clone(), 1, 1, 3, 3), training: false);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        // Each window covers a 2×2 corner of the image, the rest is zero padding.
        Assert.Equal([12.0, 16, 24, 28], y.Span.ToArray());
    }

    [Theory]
    [InlineData(3, 1, 1, 5)]
    [InlineData(3, 2, 1, 7)]
    [InlineData(5, 1, 2, 6)]
    [InlineData(1, 1, 0, 3)]
    public void MatchesDirectConvolution(int size, int stride, int pad, int side)
    {
        int n = 2, c = 3, f = 4;
        var ps = new ParameterSet<double>();
        var conv = new Conv2d<double>(ps, "conv", c, f, size, stride, pad);
        TestData.Init(ps, seed: 50);
        var x = TestData.Randn(51, n, c, side, side);
        var y = conv.Forward(x, training: false);
        int o = (side - size + 2 * pad) / stride + 1;
        Assert.Equal([n, f, o, o], y.Shape.ToArray());
        var w = ps.Value(conv.Weight).ToArray();
        var b = ps.Value(conv.Bias).ToArray();
        for (int i = 0; i < n; i++)
        for (int j = 0; j < f; j++)
        for (int oh = 0; oh < o; oh++)
        for (int ow = 0; ow < o; ow++)
        {
            double sum = b[j];
            for (int ch = 0; ch < c; ch++)
            for (int kh = 0; kh < size; kh++)
            for (int kw = 0; kw < size; kw++)
            {
                int ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                if (ih < 0 || ih >= side || iw < 0 || iw >= side) continue;
                sum += w[((j * c + ch) * size + kh) * size + kw] * x[i, ch, ih, iw];
            }
            Assert.Equal(sum, y[i, j, oh, ow], 1e-12);
        }
    }

    [Fact]
    public void FloatAndDoubleAgree()
    {
        var psD = new ParameterSet<double>();
        var convD = new Conv2d<double>(psD, "conv", 3, 5, 3, 1, 1);
        TestData.Init(psD, seed: 52, std: 0.3);
        var psF = new ParameterSet<float>();
        var convF = new Conv2d<float>(psF, "conv", 3, 5, 3, 1, 1);
        psF.Freeze();
        for (int i = 0; i < psD.Count; i++) psF.Values[i] = (float)psD.Values[i];
        var xD = TestData.Randn(53, 2, 3, 6, 6);
        var yD = convD.Forward(xD, training: true).Span.ToArray();
        var yF = convF.Forward(xD.Cast<float>(), training: true).Span.ToArray();
        for (int i = 0; i < yD.Length; i++) Assert.Equal(yD[i], yF[i], 1e-4);
        var doutD = TestData.Randn(54, 2, 5, 6, 6);
        var dxD = convD.Backward(doutD)!.Span.ToArray();
        var dxF = convF.Backward(doutD.Cast<float>())!.Span.ToArray();
        for (int i = 0; i < dxD.Length; i++) Assert.Equal(dxD[i], dxF[i], 1e-4);
    }

    [Fact]
    public void FilterThatDoesNotFitGivesTheFormula()
    {
        var conv = new Conv2d<float>(new ParameterSet<float>(), "conv1", 1, 8, 5, 2, 0);
        var ex = Assert.Throws<ArgumentException>(() => conv.OutputShape([1, 1, 28, 28]));
        Assert.Contains("conv2d 'conv1'", ex.Message);
        Assert.Contains("(28 − 5 + 0)/2 + 1 is not an integer; change filter size, padding or stride", ex.Message);
    }

    [Fact]
    public void ChannelMismatchAndTooSmallInputAreRejected()
    {
        var conv = new Conv2d<float>(new ParameterSet<float>(), "conv1", 3, 8, 3, 1, 0);
        Assert.Contains("3 input channels", Assert.Throws<ArgumentException>(() => conv.OutputShape([1, 1, 28, 28])).Message);
        Assert.Contains("larger than the padded input", Assert.Throws<ArgumentException>(() => conv.OutputShape([1, 3, 2, 2])).Message);
        Assert.Contains("(N, C, H, W)", Assert.Throws<ArgumentException>(() => conv.OutputShape([1, 27])).Message);
    }

    [Fact]
    public void NetworkRejectsConvThatDoesNotFitAtBuildTime()
    {
        var ps = new ParameterSet<float>();
        var layers = new ILayer<float>[] { new Conv2d<float>(ps, "conv1", 1, 4, 5, 2, 0), new Affine<float>(ps, "fc", 4 * 12 * 12, 10) };
        var ex = Assert.Throws<ArgumentException>(() => new Network<float>(ps, layers, new SoftmaxLoss<float>(), [1, 28, 28], 10));
        Assert.Contains("is not an integer", ex.Message);
    }

    [Fact]
    public void MaxPoolTwoByTwoForwardAndBackward()
    {
        var x = new Tensor<double>([
            1, 3, 2, 0,
            4, 2, 1, 5,
            -1, -2, 7, 7.5,
            -3, -0.5, 6, 1], 1, 1, 4, 4);
        var pool = new MaxPool<double>("pool");
        var y = pool.Forward(x, training: true);
        Assert.Equal([4.0, 5, -0.5, 7.5], y.Span.ToArray());
        var dx = pool.Backward(new Tensor<double>([10.0, 20, 30, 40], 1, 1, 2, 2))!;
        Assert.Equal([0.0, 0, 0, 0, 10, 0, 0, 20, 0, 0, 0, 40, 0, 30, 0, 0], dx.Span.ToArray());
    }

    [Fact]
    public void MaxPoolOverlappingWindowsAccumulateGradient()
    {
        // 3×3 windows, stride 1, on 4×4: the centre value 9 is the max of all four windows.
        var x = new Tensor<double>([
            1, 0, 0, 0,
            0, 9, 0, 2,
            0, 0, 0, 0,
            3, 0, 0, 0], 1, 1, 4, 4);
        var pool = new MaxPool<double>("pool", 3, 1);
        Assert.Equal([9.0, 9, 9, 9], pool.Forward(x, training: true).Span.ToArray());
        var dx = pool.Backward(new Tensor<double>([1.0, 2, 3, 4], 1, 1, 2, 2))!;
        Assert.Equal(10.0, dx[0, 0, 1, 1]);
        Assert.Equal(10.0, dx.Span.ToArray().Sum());
    }

    [Fact]
    public void MaxPoolThatDoesNotFitIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MaxPool<float>("pool1").OutputShape([1, 3, 7, 7]));
        Assert.Contains("max-pool 'pool1'", ex.Message);
        Assert.Contains("(7 − 2)/2 + 1 is not an integer", ex.Message);
    }

    [Fact]
    public void SteadyStateReusesOutputBuffers()
    {
        var ps = new ParameterSet<float>();
        var conv = new Conv2d<float>(ps, "conv", 1, 2, 3, 1, 1);
        ps.Freeze();
        var x = new Tensor<float>(4, 1, 5, 5);
        var y1 = conv.Forward(x, true);
        var dx1 = conv.Backward(new Tensor<float>(4, 2, 5, 5));
        var y2 = conv.Forward(new Tensor<float>(3, 1, 5, 5), true); // smaller last minibatch
        var dx2 = conv.Backward(new Tensor<float>(3, 2, 5, 5));
        Assert.Same(y1, y2);
        Assert.Same(dx1, dx2);
        Assert.Equal([3, 2, 5, 5], y2.Shape.ToArray());
    }
}
