using System.Globalization;
using System.Text;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Models;

/// <summary>Layer types a plan can contain (one per class in CvLearn.Core.Layers).</summary>
public enum PlannedLayerKind
{
    Affine,
    Conv,
    MaxPool,
    BatchNorm,
    SpatialBatchNorm,
    Relu,
    LeakyRelu,
    Elu,
    Tanh,
    Sigmoid,
    Dropout,
}

/// <summary>
/// One layer of a plan, per image (batch dimension omitted).
/// </summary>
/// <param name="Kind">Layer type.</param>
/// <param name="Name">Unique layer name (prefix of its parameter names).</param>
/// <param name="InputShape">Input per image, e.g. (1, 28, 28).</param>
/// <param name="OutputShape">Output per image, e.g. (32, 28, 28) or (128).</param>
/// <param name="Parameters">Trainable element count (weights + biases, γ + β).</param>
/// <param name="StateElements">Non-trainable state elements (batchnorm running mean and variance).</param>
/// <param name="ForwardFlops">Forward FLOPs per image counted as 2 × multiply-adds of the GEMM (conv/affine) work; 0 for other layers.</param>
public sealed record LayerDescriptor(PlannedLayerKind Kind, string Name, int[] InputShape, int[] OutputShape,
    long Parameters, long StateElements, long ForwardFlops)
{
    /// <summary>Element count of the input per image.</summary>
    public int InputSize => Product(InputShape);

    /// <summary>Element count of the output per image.</summary>
    public int OutputSize => Product(OutputShape);

    /// <summary>e.g. "conv1  Conv  (1, 28, 28) -> (32, 28, 28)".</summary>
    public override string ToString() => $"{Name} {Kind} {Tensor<float>.ShapeString(InputShape)} -> {Tensor<float>.ShapeString(OutputShape)}";

    internal static int Product(int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return checked((int)n);
    }
}

/// <summary>
/// The layers a network spec expands to, with shapes, parameter counts and FLOPs — computed from the spec and
/// the input shape alone, without allocating any layer. <see cref="ModelFactory"/> instantiates exactly this list.
/// Layout: each conv → [spatial bn] → activation, pool, [dropout before each fc fed by a hidden layer],
/// each hidden fc → [bn] → activation, final fc to the classes.
/// </summary>
public sealed class ArchitecturePlan
{
    /// <summary>Slope of leaky ReLU for x &lt; 0.</summary>
    public const double LeakySlope = 0.01;

    /// <summary>ELU α.</summary>
    public const double EluAlpha = 1.0;

    /// <summary>Training cost relative to forward: backward needs two GEMMs per forward GEMM (dx and dW).</summary>
    public const int TrainingCostFactor = 3;

    private ArchitecturePlan(ModelSpec spec, int[] inputShape, int classes, double dropout, LayerDescriptor[] layers)
    {
        Spec = spec;
        InputShape = inputShape;
        Classes = classes;
        Dropout = dropout;
        Layers = layers;
        foreach (var l in layers)
        {
            ParameterCount += l.Parameters;
            StateCount += l.StateElements;
            ForwardFlopsPerImage += l.ForwardFlops;
        }
    }

    public ModelSpec Spec { get; }

    /// <summary>(C, H, W) of one image.</summary>
    public int[] InputShape { get; }

    public int Classes { get; }

    /// <summary>The drop probability in effect (spec default or build-time override).</summary>
    public double Dropout { get; }

    public IReadOnlyList<LayerDescriptor> Layers { get; }

    public LossKind Loss => Spec.Loss;

    /// <summary>Total trainable parameters.</summary>
    public long ParameterCount { get; }

    /// <summary>Total non-trainable state elements.</summary>
    public long StateCount { get; }

    /// <summary>Forward FLOPs per image (2 × GEMM multiply-adds).</summary>
    public long ForwardFlopsPerImage { get; }

    /// <summary>Approximate training FLOPs per image (forward + backward ≈ 3 × forward).</summary>
    public long TrainingFlopsPerImage => TrainingCostFactor * ForwardFlopsPerImage;

    /// <summary>
    /// Expands a network spec. Throws <see cref="ArgumentException"/> when the spec is kNN, the input shape is not
    /// (C, H, W), or a pool does not fit the spatial size at that point.
    /// </summary>
    /// <param name="spec">A linear, fc or conv spec.</param>
    /// <param name="inputShape">(C, H, W) of one image.</param>
    /// <param name="classes">Number of classes (≥ 2).</param>
    /// <param name="dropoutOverride">When not null, replaces the spec's dropout (0 removes dropout layers).</param>
    public static ArchitecturePlan Create(ModelSpec spec, int[] inputShape, int classes, double? dropoutOverride = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (!spec.IsNetwork)
            throw new ArgumentException($"'{spec}' is a k-nearest-neighbour model, not a network; use KNearestNeighbor for it.", nameof(spec));
        if (inputShape.Length != 3 || inputShape[0] < 1 || inputShape[1] < 1 || inputShape[2] < 1)
            throw new ArgumentException($"The input shape must be (C, H, W) with positive sizes, got {Tensor<float>.ShapeString(inputShape)}.", nameof(inputShape));
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least 2 classes.");
        double dropout = dropoutOverride ?? spec.Dropout;
        if (!(dropout >= 0 && dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(dropoutOverride), dropout, "Dropout must satisfy 0 <= P < 1.");
        if (spec.Kind == ModelKind.Linear) dropout = 0;

        var b = new Builder((int[])inputShape.Clone(), dropout, spec.BatchNorm, spec.Activation);
        int conv = 0, pool = 0;
        foreach (var h in spec.Hidden)
        {
            switch (h.Kind)
            {
                case HiddenLayerKind.Conv:
                    b.Conv($"conv{++conv}", h.Size);
                    break;
                case HiddenLayerKind.Pool:
                    b.Pool($"pool{++pool}", spec);
                    break;
                default:
                    b.HiddenFc(h.Size);
                    break;
            }
        }
        b.FinalFc(classes);
        return new ArchitecturePlan(spec, (int[])inputShape.Clone(), classes, dropout, b.Layers.ToArray());
    }

    /// <summary>A text table of the layers (name, kind, output shape, parameters, MFLOPs) with totals.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{Spec} on input {Tensor<float>.ShapeString(InputShape)}, {Classes} classes");
        sb.AppendLine(inv, $"{"layer",-12} {"kind",-16} {"output",-16} {"params",12} {"MFLOPs",10}");
        foreach (var l in Layers)
            sb.AppendLine(inv, $"{l.Name,-12} {l.Kind,-16} {Tensor<float>.ShapeString(l.OutputShape),-16} {l.Parameters,12:N0} {l.ForwardFlops / 1e6,10:F2}");
        sb.AppendLine(inv, $"total: {ParameterCount:N0} parameters, {StateCount:N0} state values, {ForwardFlopsPerImage / 1e6:F2} MFLOPs forward per image (~{TrainingFlopsPerImage / 1e6:F2} training), loss {ModelSpec.LossName(Loss)}");
        return sb.ToString();
    }

    /// <summary>Accumulates layers while tracking the current per-image shape.</summary>
    private sealed class Builder(int[] shape, double dropout, bool batchNorm, ActivationKind activation)
    {
        private int[] _shape = shape;
        private int _fc;
        private int _drop;

        public List<LayerDescriptor> Layers { get; } = new();

        public void Conv(string name, int filters)
        {
            if (_shape.Length != 3) throw new InvalidOperationException("Conv layers need a (C, H, W) input.");
            int c = _shape[0], h = _shape[1], w = _shape[2];
            long macs = (long)filters * h * w * c * 9; // 3×3, stride 1, pad 1 keeps H×W
            Add(PlannedLayerKind.Conv, name, [filters, h, w], (long)filters * c * 9 + filters, 0, 2 * macs);
            if (batchNorm) Add(PlannedLayerKind.SpatialBatchNorm, name + "_bn", _shape, 2L * filters, 2L * filters, 0);
            Activation(name);
        }

        public void Pool(string name, ModelSpec spec)
        {
            int c = _shape[0], h = _shape[1], w = _shape[2];
            if (h < 2 || w < 2 || h % 2 != 0 || w % 2 != 0)
                throw new ArgumentException(
                    $"'{spec}': {name} receives {c}×{h}×{w}, but a 2×2 max-pool with stride 2 needs an even height and width " +
                    "(the size is halved at every pool). Remove a pool or use an input whose size is divisible by 2^pools.");
            Add(PlannedLayerKind.MaxPool, name, [c, h / 2, w / 2], 0, 0, 0);
        }

        public void HiddenFc(int units)
        {
            string name = $"fc{++_fc}";
            DropoutBeforeFc();
            Affine(name, units);
            if (batchNorm) Add(PlannedLayerKind.BatchNorm, name + "_bn", _shape, 2L * units, 2L * units, 0);
            Activation(name);
        }

        public void FinalFc(int classes)
        {
            DropoutBeforeFc();
            Affine($"fc{++_fc}", classes);
        }

        private void Affine(string name, int units)
        {
            long d = LayerDescriptor.Product(_shape);
            Add(PlannedLayerKind.Affine, name, [units], d * units + units, 0, 2 * d * units);
        }

        /// <summary>Dropout on the input of an fc layer, except when that input is the image itself.</summary>
        private void DropoutBeforeFc()
        {
            if (dropout > 0 && Layers.Count > 0) Add(PlannedLayerKind.Dropout, $"drop{++_drop}", _shape, 0, 0, 0);
        }

        private void Activation(string owner)
        {
            var kind = activation switch
            {
                ActivationKind.Relu => PlannedLayerKind.Relu,
                ActivationKind.Leaky => PlannedLayerKind.LeakyRelu,
                ActivationKind.Elu => PlannedLayerKind.Elu,
                ActivationKind.Tanh => PlannedLayerKind.Tanh,
                _ => PlannedLayerKind.Sigmoid,
            };
            Add(kind, owner + "_" + ModelSpec.ActivationName(activation), _shape, 0, 0, 0);
        }

        private void Add(PlannedLayerKind kind, string name, int[] outShape, long parameters, long state, long flops)
        {
            Layers.Add(new LayerDescriptor(kind, name, (int[])_shape.Clone(), (int[])outShape.Clone(), parameters, state, flops));
            _shape = outShape;
        }
    }
}
