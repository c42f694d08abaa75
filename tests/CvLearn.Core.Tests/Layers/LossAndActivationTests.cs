using CvLearn.Core.Layers;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

public class LossAndActivationTests
{
    [Fact]
    public void SvmLossMatchesTheNotesExample()
    {
        // The CS231n notes' three-example, three-class illustration: per-example losses 2.9, 0 and 12.9.
        var scores = new Tensor<double>([3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1], 3, 3);
        var d = new Tensor<double>(1);
        double loss = new SvmLoss<double>().Compute(scores, [0, 1, 2], d);
        Assert.Equal((2.9 + 0 + 12.9) / 3, loss, 1e-12);
        AssertClose([-1 / 3.0, 1 / 3.0, 0, 0, 0, 0, 1 / 3.0, 1 / 3.0, -2 / 3.0], d.Span.ToArray());
    }

    [Fact]
    public void SoftmaxLossValueAndStability()
    {
        var scores = new Tensor<double>([1, 2, 3, 1000, 1001, 1002], 2, 3);
        var d = new Tensor<double>(1);
        double loss = new SoftmaxLoss<double>().Compute(scores, [2, 0], d);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        double expected = (-Math.Log(Math.Exp(3) / z) - Math.Log(Math.Exp(1) / z)) / 2; // row 2 is row 1 shifted by 999
        Assert.Equal(expected, loss, 1e-12);
        Assert.True(double.IsFinite(loss));
        var probs = new double[6];
        SoftmaxLoss<double>.Probabilities(scores, probs);
        Assert.Equal(1.0, probs[0] + probs[1] + probs[2], 1e-12);
        Assert.Equal(probs[0], probs[3], 1e-12);
        Assert.Equal(Math.Exp(3) / z, probs[2], 1e-12);
        // Gradient rows are (p − onehot)/N and therefore sum to zero.
        Assert.Equal(0.0, d.Span[..3].ToArray().Sum(), 1e-12);
        Assert.Equal((probs[2] - 1) / 2, d[0, 2], 1e-12);
    }

    [Fact]
    public void LossesRejectBadLabels()
    {
        var scores = new Tensor<float>(2, 10);
        var d = new Tensor<float>(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxLoss<float>().Compute(scores, [3, 10], d));
        Assert.Contains("label 10 of sample 1 is outside [0, 10)", ex.Message);
        Assert.Contains("3 labels for a batch of 2", Assert.Throws<ArgumentException>(() => new SvmLoss<float>().Compute(scores, [1, 2, 3], d)).Message);
        Assert.Contains("(N, C)", Assert.Throws<ArgumentException>(() => new SvmLoss<float>().Compute(new Tensor<float>(2, 5, 2), [1, 2], d)).Message);
    }

    [Fact]
    public void ActivationValues()
    {
        var x = new Tensor<double>([-2, -0.5, 0, 0.5, 2, -1, 3, -4, 1.5, -0.25], 2, 5);
        double[] xs = x.Span.ToArray();
        Assert.Equal(xs.Select(v => Math.Max(0, v)), new Relu<double>("r").Forward(x, false).Span.ToArray());
        Assert.Equal(xs.Select(v => v > 0 ? v : 0.1 * v), new LeakyRelu<double>("l", 0.1).Forward(x, false).Span.ToArray());
        AssertClose(xs.Select(v => v > 0 ? v : 0.5 * (Math.Exp(v) - 1)), new Elu<double>("e", 0.5).Forward(x, false).Span.ToArray());
        AssertClose(xs.Select(Math.Tanh), new Tanh<double>("t").Forward(x, false).Span.ToArray());
        AssertClose(xs.Select(v => 1 / (1 + Math.Exp(-v))), new Sigmoid<double>("s").Forward(x, false).Span.ToArray());
    }

    [Fact]
    public void BackwardWithoutTrainingForwardIsAnError()
    {
        var relu = new Relu<float>("relu1");
        var x = new Tensor<float>(2, 3);
        relu.Forward(x, training: false);
        var ex = Assert.Throws<InvalidOperationException>(() => relu.Backward(x));
        Assert.Contains("relu 'relu1'", ex.Message);
    }

    private static void AssertClose(IEnumerable<double> expected, double[] actual)
    {
        var e = expected.ToArray();
        Assert.Equal(e.Length, actual.Length);
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], actual[i], 1e-12);
    }
}
