using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

/// <summary>Steady-state training must not allocate: every layer reuses its output, gradient and scratch tensors.</summary>
public class SteadyStateAllocationTests
{
    [Fact]
    public void SecondTrainingStepAllocatesNothing()
    {
        var ps = new ParameterSet<float>();
        var sbn = new SpatialBatchNorm<float>(ps, "sbn", 4);
        var bn = new BatchNorm<float>(ps, "bn", 8);
        var layers = new ILayer<float>[]
        {
            new Conv2d<float>(ps, "conv", 1, 4, 3, 1, 1), sbn, new Relu<float>("relu"), new MaxPool<float>("pool"),
            new Conv2d<float>(ps, "conv2", 4, 4, 3, 2, 1), new LeakyRelu<float>("lrelu"), new MaxPool<float>("pool2", 2, 1),
            new Affine<float>(ps, "fc1", 4 * 2 * 2, 8), bn, new Elu<float>("elu"), new Tanh<float>("tanh"),
            new Sigmoid<float>("sig"), new Dropout<float>("drop", 0.5, 1), new Affine<float>(ps, "fc2", 8, 3),
        };
        var net = new Network<float>(ps, layers, new SoftmaxLoss<float>(), [1, 10, 10], 3) { Regularization = Regularization.L2(1e-3f) };
        var rng = new Random(1);
        for (int i = 0; i < ps.Count; i++) ps.Values[i] = (float)(0.3 * TestData.Gaussian(rng));
        sbn.ResetState();
        bn.ResetState();
        var x = TestData.Randn(80, 5, 1, 10, 10).Cast<float>();
        int[] y = [0, 1, 2, 1, 0];
        for (int warm = 0; warm < 3; warm++)
        {
            net.LossAndGradients(x, y);
            net.Scores(x);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        net.LossAndGradients(x, y);
        net.Scores(x);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"a warmed-up training step plus evaluation allocated {allocated} bytes on the calling thread");
    }
}
