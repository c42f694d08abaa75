using System.Numerics;
using CvLearn.Core.Layers;

namespace CvLearn.Core.Models;

/// <summary>Build-time settings that a hyperparameter trial may vary independently of the spec.</summary>
public sealed record ModelBuildOptions
{
    /// <summary>Drop probability overriding the spec's dropout= (null keeps the spec's; 0 removes dropout).</summary>
    public double? Dropout { get; init; }

    /// <summary>Seed of the weight initialization and of the dropout masks.</summary>
    public int Seed { get; init; }

    /// <summary>Initialization overriding the spec's init= (null keeps the spec's, or its default).</summary>
    public Initialization? Initialization { get; init; }

    public static ModelBuildOptions Default { get; } = new();
}

/// <summary>
/// Turns a <see cref="ModelSpec"/> into a ready-to-train <see cref="Network{T}"/>: expands it to an
/// <see cref="ArchitecturePlan"/>, constructs the layers in that order into one <see cref="ParameterSet{T}"/>,
/// then initializes it (<see cref="Initializer"/>).
/// </summary>
public static class ModelFactory
{
    /// <summary>Builds the network for a linear, fc or conv spec.</summary>
    /// <param name="spec">The model spec.</param>
    /// <param name="inputShape">(C, H, W) of one image.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="options">Dropout/initialization overrides and the seed (null = defaults).</param>
    public static Network<T> CreateNetwork<T>(ModelSpec spec, int[] inputShape, int classes, ModelBuildOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options ??= ModelBuildOptions.Default;
        var plan = ArchitecturePlan.Create(spec, inputShape, classes, options.Dropout);
        return CreateNetwork<T>(plan, options);
    }

    /// <summary>Instantiates an already computed plan (the plan's dropout is used; options give seed and init override).</summary>
    public static Network<T> CreateNetwork<T>(ArchitecturePlan plan, ModelBuildOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= ModelBuildOptions.Default;
        var parameters = new ParameterSet<T>();
        var layers = new List<ILayer<T>>(plan.Layers.Count);
        int dropoutIndex = 0;
        foreach (var d in plan.Layers)
            layers.Add(CreateLayer(parameters, d, plan.Dropout, options.Seed, ref dropoutIndex));
        ILoss<T> loss = plan.Loss == LossKind.Svm ? new SvmLoss<T>() : new SoftmaxLoss<T>();
        var network = new Network<T>(parameters, layers, loss, (int[])plan.InputShape.Clone(), plan.Classes);
        Initializer.Initialize(parameters, options.Initialization ?? plan.Spec.EffectiveInitialization, options.Seed);
        return network;
    }

    /// <summary>A linear classifier (spec linear:softmax / linear:svm): one affine layer and the loss.</summary>
    public static Network<T> CreateLinearClassifier<T>(LossKind loss, int[] inputShape, int classes, ModelBuildOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CreateNetwork<T>(ModelSpec.Linear(loss), inputShape, classes, options);

    /// <summary>Forward FLOPs per image of a network spec (2 × GEMM multiply-adds); training ≈ 3× this.</summary>
    public static long FlopsPerImage(ModelSpec spec, int[] inputShape, int classes) =>
        ArchitecturePlan.Create(spec, inputShape, classes).ForwardFlopsPerImage;

    private static ILayer<T> CreateLayer<T>(ParameterSet<T> ps, LayerDescriptor d, double dropout, int seed, ref int dropoutIndex)
        where T : unmanaged, IFloatingPointIeee754<T> => d.Kind switch
    {
        PlannedLayerKind.Affine => new Affine<T>(ps, d.Name, d.InputSize, d.OutputSize),
        PlannedLayerKind.Conv => new Conv2d<T>(ps, d.Name, d.InputShape[0], d.OutputShape[0], 3, 1, 1),
        PlannedLayerKind.MaxPool => new MaxPool<T>(d.Name, 2, 2),
        PlannedLayerKind.BatchNorm => new BatchNorm<T>(ps, d.Name, d.OutputSize),
        PlannedLayerKind.SpatialBatchNorm => new SpatialBatchNorm<T>(ps, d.Name, d.OutputShape[0]),
        PlannedLayerKind.Relu => new Relu<T>(d.Name),
        PlannedLayerKind.LeakyRelu => new LeakyRelu<T>(d.Name, ArchitecturePlan.LeakySlope),
        PlannedLayerKind.Elu => new Elu<T>(d.Name, ArchitecturePlan.EluAlpha),
        PlannedLayerKind.Tanh => new Tanh<T>(d.Name),
        PlannedLayerKind.Sigmoid => new Sigmoid<T>(d.Name),
        // Each dropout layer gets its own mask stream, derived from the trial seed so runs are reproducible.
        PlannedLayerKind.Dropout => new Dropout<T>(d.Name, dropout, unchecked(seed * 7919 + 104729 * ++dropoutIndex)),
        _ => throw new InvalidOperationException($"Unhandled layer kind {d.Kind}."),
    };
}
