using CvLearn.Core.Diagnostics;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

/// <summary>Whole-network gradient checks (data loss + weight penalty) and the notes' loss sanity checks.</summary>
public class NetworkGradientTests
{
    private static Network<double> TwoLayer(ILoss<double> loss, int seed, double std, int inputs = 12, int hidden = 9, int classes = 4)
    {
        var ps = new ParameterSet<double>();
        var layers = new ILayer<double>[]
        {
            new Affine<double>(ps, "fc1", inputs, hidden),
            new Relu<double>("relu1"),
            new Affine<double>(ps, "fc2", hidden, classes),
        };
        var net = new Network<double>(ps, layers, loss, [inputs], classes);
        var rng = new Random(seed);
        foreach (var p in ps.Parameters)
        {
            var v = ps.Value(p);
            for (int i = 0; i < v.Length; i++)
            {
                double g = TestData.Gaussian(rng);
                // Weights kept at least 0.05·std from 0 so the L1 kink is never within ±h.
                v[i] = p.Role == ParameterRole.Weight ? std * Math.CopySign(0.05 + Math.Abs(g), g) : 0.1 * g;
            }
        }
        return net;
    }

    [Theory]
    [InlineData(RegularizationKind.L2, 0.0)]
    [InlineData(RegularizationKind.L2, 0.3)]
    [InlineData(RegularizationKind.L1, 0.3)]
    public void AffineReluAffineSoftmax(RegularizationKind kind, double strength)
    {
        var net = TwoLayer(new SoftmaxLoss<double>(), seed: 30, std: 0.4);
        net.Regularization = new Regularization(kind, strength);
        var x = TestData.Randn(31, 7, 12);
        int[] y = TestData.Labels(32, 7, 4);
        var report = GradientCheck.Network(net, x, y, checksPerParameter: 8);
        foreach (var name in new[] { "fc1.W", "fc1.b", "fc2.W", "fc2.b" }) Assert.Contains(name, report.Names);
        Assert.True(report.MaxRelativeError < 1e-5, report.ToString());
    }

    [Fact]
    public void AffineReluAffineSvmWithL2()
    {
        var net = TwoLayer(new SvmLoss<double>(), seed: 33, std: 0.4);
        net.Regularization = Regularization.L2(0.1);
        var report = GradientCheck.Network(net, TestData.Randn(34, 6, 12), TestData.Labels(35, 6, 4), checksPerParameter: 8);
        Assert.True(report.MaxRelativeError < 1e-5, report.ToString());
    }

    [Fact]
    public void ConvReluBatchnormPoolAffineTanhBatchnormDropoutAffine()
    {
        var ps = new ParameterSet<double>();
        var dropout = new Dropout<double>("drop", 0.3, seed: 5);
        var sbn = new SpatialBatchNorm<double>(ps, "sbn", 3);
        var bn = new BatchNorm<double>(ps, "bn", 6);
        var layers = new ILayer<double>[]
        {
            // Batchnorm follows the nonlinearity here: directly after a biased layer it would cancel the bias, whose
            // gradient is then exactly 0 and compares as round-off noise against round-off noise.
            new Conv2d<double>(ps, "conv", 2, 3, 3, 1, 1),
            new Relu<double>("relu"),
            sbn,
            new MaxPool<double>("pool"),
            new Affine<double>(ps, "fc1", 3 * 2 * 2, 6),
            new Tanh<double>("tanh"),
            bn,
            dropout,
            new Affine<double>(ps, "fc2", 6, 3),
        };
        var net = new Network<double>(ps, layers, new SoftmaxLoss<double>(), [2, 4, 4], 3);
        TestData.Init(ps, seed: 36, std: 0.5);
        sbn.ResetState();
        bn.ResetState();
        net.Regularization = Regularization.L2(0.05);
        var report = GradientCheck.Network(net, TestData.Randn(37, 4, 2, 4, 4), TestData.Labels(38, 4, 3),
            checksPerParameter: 6, beforeForward: () => dropout.Reseed(5));
        Assert.Equal(10, report.Names.Count); // conv.W/b, sbn γ/β, fc1.W/b, bn γ/β, fc2.W/b
        Assert.True(report.MaxRelativeError < 1e-5, report.ToString());
    }

    [Fact]
    public void InitialSoftmaxLossIsLnOfClassCount()
    {
        var net = TwoLayer(new SoftmaxLoss<double>(), seed: 40, std: 0.001, inputs: 50, hidden: 30, classes: 10);
        double loss = net.TotalLoss(TestData.Randn(41, 64, 50), TestData.Labels(42, 64, 10), training: false);
        Assert.Equal(2.302, loss, 0.01);
    }

    [Fact]
    public void InitialSvmLossIsClassCountMinusOne()
    {
        var net = TwoLayer(new SvmLoss<double>(), seed: 43, std: 0.001, inputs: 50, hidden: 30, classes: 10);
        double loss = net.TotalLoss(TestData.Randn(44, 64, 50), TestData.Labels(45, 64, 10), training: false);
        Assert.Equal(9.0, loss, 0.05);
    }

    [Fact]
    public void StrongerRegularizationRaisesTheLoss()
    {
        var net = TwoLayer(new SoftmaxLoss<double>(), seed: 46, std: 0.01, inputs: 50, hidden: 30, classes: 10);
        var x = TestData.Randn(47, 16, 50);
        int[] y = TestData.Labels(48, 16, 10);
        double previous = net.TotalLoss(x, y);
        foreach (double lambda in new[] { 1e-3, 1e-1, 10.0 })
        {
            net.Regularization = Regularization.L2(lambda);
            double loss = net.TotalLoss(x, y);
            Assert.True(loss > previous, $"λ = {lambda}: loss {loss} is not above {previous}");
            previous = loss;
        }
    }

    [Theory]
    [InlineData(RegularizationKind.L2)]
    [InlineData(RegularizationKind.L1)]
    public void PenaltyCoversWeightsButNotBiases(RegularizationKind kind)
    {
        var net = TwoLayer(new SoftmaxLoss<double>(), seed: 49, std: 0.5);
        var ps = net.Parameters;
        foreach (var p in ps.Parameters)
            if (p.Role != ParameterRole.Weight) ps.Value(p).Fill(7.0); // large biases: counted, they would dominate
        const double lambda = 0.3;
        net.Regularization = new Regularization(kind, lambda);
        double expected = 0;
        foreach (var p in ps.Parameters)
        {
            if (p.Role != ParameterRole.Weight) continue;
            foreach (double w in ps.Value(p)) expected += kind == RegularizationKind.L2 ? 0.5 * lambda * w * w : lambda * Math.Abs(w);
        }
        Assert.Equal(expected, net.RegularizationLoss(), 10);
        Assert.Contains(ps.Parameters, p => p.Role != ParameterRole.Weight); // the net does have biases

        // Bias gradients are the same with and without the penalty.
        var x = TestData.Randn(50, 5, 12);
        int[] y = TestData.Labels(51, 5, 4);
        net.LossAndGradients(x, y);
        var withPenalty = ps.Parameters.Where(p => p.Role != ParameterRole.Weight).Select(p => ps.Grad(p).ToArray()).ToArray();
        net.Regularization = Regularization.None;
        net.LossAndGradients(x, y);
        var without = ps.Parameters.Where(p => p.Role != ParameterRole.Weight).Select(p => ps.Grad(p).ToArray()).ToArray();
        Assert.Equal(without, withPenalty);
    }
}
