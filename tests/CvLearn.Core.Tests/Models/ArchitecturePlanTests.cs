using CvLearn.Core.Models;

namespace CvLearn.Core.Tests.Models;

public class ArchitecturePlanTests
{
    [Fact]
    public void ConvNetShapesParametersAndFlops()
    {
        var plan = ArchitecturePlan.Create(ModelSpec.Parse("conv:32-pool-64-pool-fc128"), [1, 28, 28], 10);
        var main = plan.Layers.Where(l => l.Kind is PlannedLayerKind.Conv or PlannedLayerKind.MaxPool or PlannedLayerKind.Affine).ToList();
        Assert.Equal(
            [[32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 7, 7], [128], [10]],
            main.Select(l => l.OutputShape).ToArray());
        Assert.Equal(["conv1", "pool1", "conv2", "pool2", "fc1", "fc2"], main.Select(l => l.Name).ToArray());

        // conv1: 32·1·9 + 32; conv2: 64·32·9 + 64; fc1: 3136·128 + 128; fc2: 128·10 + 10.
        long expectedParams = (32 * 9 + 32) + (64 * 32 * 9 + 64) + (64 * 7 * 7 * 128 + 128) + (128 * 10 + 10);
        Assert.Equal(421642, expectedParams);
        Assert.Equal(expectedParams, plan.ParameterCount);
        Assert.Equal(0, plan.StateCount);

        long macs = 32L * 28 * 28 * 1 * 9 + 64L * 14 * 14 * 32 * 9 + 3136L * 128 + 128L * 10;
        Assert.Equal(2 * macs, plan.ForwardFlopsPerImage);
        Assert.Equal(6 * macs, plan.TrainingFlopsPerImage);
        Assert.Equal(2 * macs, ModelFactory.FlopsPerImage(plan.Spec, [1, 28, 28], 10));

        // Every hidden conv/fc is followed by its activation; the class-score layer is not.
        Assert.Equal(PlannedLayerKind.Relu, plan.Layers[1].Kind);
        Assert.Equal(PlannedLayerKind.Affine, plan.Layers[^1].Kind);
        Assert.Equal(3, plan.Layers.Count(l => l.Kind == PlannedLayerKind.Relu));
        Assert.Contains("421,642 parameters", plan.Describe());
    }

    [Fact]
    public void LayerShapesChain()
    {
        var plan = ArchitecturePlan.Create(ModelSpec.Parse("conv:8-8-pool-16-pool-fc32-fc16,bn,dropout=0.5,act=elu"), [3, 32, 32], 10);
        Assert.Equal([3, 32, 32], plan.Layers[0].InputShape);
        for (int i = 1; i < plan.Layers.Count; i++) Assert.Equal(plan.Layers[i - 1].OutputShape, plan.Layers[i].InputShape);
        Assert.Equal(plan.Layers.Select(l => l.Name).Distinct().Count(), plan.Layers.Count);
        Assert.Equal([10], plan.Layers[^1].OutputShape);
    }

    [Fact]
    public void BatchNormGoesBetweenLayerAndActivationAndDropoutBeforeHiddenFedFc()
    {
        var plan = ArchitecturePlan.Create(ModelSpec.Parse("fc:512-256,bn,act=elu,dropout=0.3"), [1, 28, 28], 10);
        Assert.Equal(
            [PlannedLayerKind.Affine, PlannedLayerKind.BatchNorm, PlannedLayerKind.Elu, PlannedLayerKind.Dropout,
             PlannedLayerKind.Affine, PlannedLayerKind.BatchNorm, PlannedLayerKind.Elu, PlannedLayerKind.Dropout,
             PlannedLayerKind.Affine],
            plan.Layers.Select(l => l.Kind).ToArray());
        Assert.Equal(0.3, plan.Dropout);
        long expected = (784L * 512 + 512) + 2 * 512 + (512L * 256 + 256) + 2 * 256 + (256L * 10 + 10);
        Assert.Equal(expected, plan.ParameterCount);
        Assert.Equal(2L * (512 + 256), plan.StateCount);

        var conv = ArchitecturePlan.Create(ModelSpec.Parse("conv:4-pool,bn"), [1, 8, 8], 10);
        Assert.Equal([PlannedLayerKind.Conv, PlannedLayerKind.SpatialBatchNorm, PlannedLayerKind.Relu, PlannedLayerKind.MaxPool, PlannedLayerKind.Affine],
            conv.Layers.Select(l => l.Kind).ToArray());
        Assert.Equal(4 * 9 + 4 + 2 * 4 + 4 * 4 * 4 * 10 + 10, conv.ParameterCount);
    }

    [Fact]
    public void DropoutOverrideReplacesSpecDefault()
    {
        var spec = ModelSpec.Parse("conv:4-pool,dropout=0.3");
        Assert.Single(ArchitecturePlan.Create(spec, [1, 8, 8], 10).Layers, l => l.Kind == PlannedLayerKind.Dropout);
        var none = ArchitecturePlan.Create(spec, [1, 8, 8], 10, dropoutOverride: 0);
        Assert.DoesNotContain(none.Layers, l => l.Kind == PlannedLayerKind.Dropout);
        var added = ArchitecturePlan.Create(ModelSpec.Parse("fc:20-20"), [1, 4, 4], 3, dropoutOverride: 0.5);
        Assert.Equal(2, added.Layers.Count(l => l.Kind == PlannedLayerKind.Dropout));
        Assert.Equal(0.5, added.Dropout);
    }

    [Fact]
    public void LinearIsOneAffine()
    {
        var plan = ArchitecturePlan.Create(ModelSpec.Parse("linear:svm"), [3, 32, 32], 10);
        var only = Assert.Single(plan.Layers);
        Assert.Equal(PlannedLayerKind.Affine, only.Kind);
        Assert.Equal(3072 * 10 + 10, plan.ParameterCount);
        Assert.Equal(2L * 3072 * 10, plan.ForwardFlopsPerImage);
        Assert.Equal(LossKind.Svm, plan.Loss);
    }

    [Fact]
    public void PoolOnOddSizeIsAClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => ArchitecturePlan.Create(ModelSpec.Parse("conv:8-pool-8-pool-8-pool"), [1, 28, 28], 10));
        Assert.Contains("pool3", ex.Message);
        Assert.Contains("8×7×7", ex.Message);
    }

    [Fact]
    public void RejectsKnnAndBadShapes()
    {
        Assert.Contains("KNearestNeighbor", Assert.Throws<ArgumentException>(() => ArchitecturePlan.Create(ModelSpec.Parse("knn:3"), [1, 4, 4], 10)).Message);
        Assert.Throws<ArgumentException>(() => ArchitecturePlan.Create(ModelSpec.Parse("fc:3"), [16], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArchitecturePlan.Create(ModelSpec.Parse("fc:3"), [1, 4, 4], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArchitecturePlan.Create(ModelSpec.Parse("fc:3"), [1, 4, 4], 10, dropoutOverride: 1.0));
    }
}
