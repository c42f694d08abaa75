using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Models;

/// <summary>
/// Tests that run real layers. They compile against the layer constructors today and pass once the layer
/// implementations are merged; filter them with Category=RequiresLayers.
/// </summary>
[Trait("Category", "RequiresLayers")]
public class ModelFactoryTests
{
    /// <summary>N standard-normal images (so unit-variance inputs) with random labels.</summary>
    private static (Tensor<float> X, int[] Y) RandomData(int n, int[] imageShape, int classes, int seed)
    {
        var rng = new GaussianRandom(seed);
        var x = new Tensor<float>([n, .. imageShape]);
        rng.FillGaussian(x.Span, 1.0);
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (int)(rng.NextUInt64() % (ulong)classes);
        return (x, y);
    }

    private static double Accuracy(Network<float> net, Tensor<float> x, int[] y)
    {
        var scores = net.Scores(x, training: false);
        int c = scores.Dim(1), correct = 0;
        for (int i = 0; i < y.Length; i++)
        {
            var row = scores.Span.Slice(i * c, c);
            int best = 0;
            for (int j = 1; j < c; j++) if (row[j] > row[best]) best = j;
            if (best == y[i]) correct++;
        }
        return (double)correct / y.Length;
    }

    /// <summary>Full-batch SGD with momentum directly on the flat buffer (the Solver is another component).</summary>
    private static void Train(Network<float> net, Tensor<float> x, int[] y, int steps, float lr)
    {
        var w = net.Parameters.Values;
        var g = net.Parameters.Grads;
        var v = new float[w.Length];
        for (int s = 0; s < steps; s++)
        {
            net.LossAndGradients(x, y);
            for (int i = 0; i < w.Length; i++)
            {
                v[i] = 0.9f * v[i] - lr * g[i];
                w[i] += v[i];
            }
        }
    }

    [Theory]
    [InlineData("conv:4-pool-8-pool-fc16,bn,dropout=0.2")]
    [InlineData("fc:32-16,bn,act=tanh")]
    [InlineData("linear:svm")]
    public void NetworkMatchesItsPlan(string specText)
    {
        var spec = ModelSpec.Parse(specText);
        var plan = ArchitecturePlan.Create(spec, [1, 8, 8], 10);
        var net = ModelFactory.CreateNetwork<float>(spec, [1, 8, 8], 10, new ModelBuildOptions { Seed = 5 });
        Assert.Equal(plan.Layers.Select(l => l.Name), net.Layers.Select(l => l.Name));
        Assert.Equal(plan.ParameterCount, net.Parameters.Count);
        Assert.Equal(plan.StateCount, net.Parameters.StateCount);
        foreach (var s in net.Parameters.StateBuffers)
        {
            float expected = s.Name.EndsWith(".running_var", StringComparison.Ordinal) ? 1f : 0f;
            Assert.All(net.Parameters.StateOf(s).ToArray(), v => Assert.Equal(expected, v));
        }
        var again = ModelFactory.CreateNetwork<float>(spec, [1, 8, 8], 10, new ModelBuildOptions { Seed = 5 });
        Assert.Equal(net.Parameters.Values, again.Parameters.Values);
    }

    [Theory]
    [InlineData("linear:softmax")]
    [InlineData("fc:100")]
    [InlineData("fc:100-50,bn")]
    [InlineData("conv:8-pool-fc32")]
    public void InitialSoftmaxLossIsLnC(string specText)
    {
        var (x, y) = RandomData(200, [1, 8, 8], 10, seed: 11);
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse(specText), [1, 8, 8], 10, new ModelBuildOptions { Seed = 1 });
        float loss = net.TotalLoss(x, y, training: false);
        Assert.InRange(loss, Math.Log(10) - 0.1, Math.Log(10) + 0.1);
    }

    [Fact]
    public void LinearClassifierIsOneAffinePlusLoss()
    {
        var net = ModelFactory.CreateLinearClassifier<double>(LossKind.Svm, [3, 4, 4], 5);
        Assert.Single(net.Layers);
        Assert.Equal(48 * 5 + 5, net.Parameters.Count);
        Assert.Equal("SvmLoss`1", net.Loss.GetType().Name);
    }

    [Fact]
    public void InitialSvmLossIsAboutCMinusOne()
    {
        var (x, y) = RandomData(200, [1, 8, 8], 10, seed: 12);
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("fc:100,loss=svm"), [1, 8, 8], 10);
        Assert.InRange(net.TotalLoss(x, y, training: false), 8.5, 10.0);
    }

    [Fact]
    public void MlpOverfitsFiftyImages()
    {
        var (x, y) = RandomData(50, [1, 10, 10], 10, seed: 21);
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("fc:100"), [1, 10, 10], 10, new ModelBuildOptions { Seed = 2 });
        Assert.True(Accuracy(net, x, y) < 0.5);
        Train(net, x, y, steps: 300, lr: 0.05f);
        Assert.Equal(1.0, Accuracy(net, x, y));
    }

    [Fact]
    public void ConvNetOverfitsFiftyImages()
    {
        var (x, y) = RandomData(50, [1, 8, 8], 10, seed: 22);
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("conv:8-pool-fc64"), [1, 8, 8], 10, new ModelBuildOptions { Seed = 3 });
        Assert.True(Accuracy(net, x, y) < 0.5);
        Train(net, x, y, steps: 300, lr: 0.05f);
        Assert.Equal(1.0, Accuracy(net, x, y));
    }
}
