using System.Globalization;
using System.Text;

namespace CvLearn.Core.Models;

/// <summary>
/// The short model description users type and checkpoints store, e.g. <c>knn:5</c>, <c>linear:svm</c>,
/// <c>fc:512-256,bn,act=elu,dropout=0.3</c> or <c>conv:32-pool-64-pool-fc128</c>. Immutable; <see cref="ToString"/>
/// gives the canonical form (defaults omitted, options in a fixed order, lower case), so parse → format → parse
/// is the identity and two specs are equal exactly when their canonical strings are.
/// ConvNets follow the notes' pattern INPUT → [[CONV → RELU]*N → POOL?]*M → [FC → RELU]*K → FC.
/// </summary>
public sealed class ModelSpec : IEquatable<ModelSpec>
{
    /// <summary>Multi-line usage text shown with every parse error.</summary>
    public const string Grammar =
        """
        Model spec grammar:
          knn:K[:l1|l2]               k-nearest neighbours, K >= 1 (distance l2 unless l1 is given)
          linear:softmax|svm          linear classifier: one affine layer + softmax or SVM loss
          fc:H1[-H2-...][,OPTIONS]    fully-connected net with hidden layers of H1, H2, ... units
          conv:LAYERS[,OPTIONS]       convnet; LAYERS are joined by '-' and must start with a conv layer:
                                        N       conv layer of N 3x3 filters, stride 1, pad 1 (+ activation)
                                        pool    2x2 max-pool, stride 2
                                        fcN     hidden fully-connected layer of N units (after all conv/pool)
                                      the final fully-connected layer to the classes is always implied.
        OPTIONS for fc and conv (comma-separated, any order):
          bn                          batchnorm after each hidden conv/fc layer, before the activation
          act=relu|leaky|elu|tanh|sigmoid   hidden activation (default relu)
          init=he|xavier|gauss:STD    weight init (default he for relu/leaky/elu, xavier for tanh/sigmoid)
          dropout=P                   drop probability 0 <= P < 1 before every fc layer fed by a hidden layer
                                      (default 0; a dropout hyperparameter given at build time overrides it)
          loss=softmax|svm            loss on the class scores (default softmax)
        linear accepts only init=...; knn takes no options.
        Examples:
          knn:5   knn:7:l1   linear:svm   fc:256   fc:512-256,bn,act=elu,dropout=0.3
          conv:32-pool-64-pool-fc128   conv:32-32-pool-64-64-pool-fc256,bn,init=gauss:0.01,loss=svm
        """;

    /// <summary>Largest K, filter count or unit count accepted (guards against typos such as fc:5120000).</summary>
    public const int MaxSize = 65536;

    private static readonly HiddenLayer[] NoLayers = [];
    private readonly HiddenLayer[] _hidden;
    private string? _canonical;

    private ModelSpec(ModelKind kind, int k, DistanceMetric metric, LossKind loss, HiddenLayer[] hidden,
        bool batchNorm, ActivationKind activation, Initialization? initialization, double dropout)
    {
        Kind = kind;
        K = k;
        Metric = metric;
        Loss = loss;
        _hidden = hidden;
        BatchNorm = batchNorm;
        Activation = activation;
        // An explicit scheme equal to the default is stored as "default" so that equal models compare equal.
        Initialization = initialization == DefaultInitialization(kind, activation) ? null : initialization;
        Dropout = dropout;
    }

    public ModelKind Kind { get; }

    /// <summary>Neighbours consulted by kNN (0 for other kinds).</summary>
    public int K { get; }

    /// <summary>kNN distance (L2 for other kinds).</summary>
    public DistanceMetric Metric { get; }

    /// <summary>Loss on the class scores (linear, fc, conv).</summary>
    public LossKind Loss { get; }

    /// <summary>Hidden layers in order (empty for knn and linear). The final class-score layer is not listed.</summary>
    public IReadOnlyList<HiddenLayer> Hidden => _hidden;

    /// <summary>Batchnorm after each hidden conv/fc layer, before its activation.</summary>
    public bool BatchNorm { get; }

    public ActivationKind Activation { get; }

    /// <summary>The init scheme written in the spec, or null for the default (see <see cref="EffectiveInitialization"/>).</summary>
    public Initialization? Initialization { get; }

    /// <summary>The scheme used when building: the explicit one, else He for ReLU-family nets, Xavier for tanh/sigmoid and linear.</summary>
    public Initialization EffectiveInitialization => Initialization ?? DefaultInitialization(Kind, Activation);

    /// <summary>Default drop probability (0 = no dropout layers).</summary>
    public double Dropout { get; }

    /// <summary>True for the kinds that build a <see cref="Network{T}"/> (everything but kNN).</summary>
    public bool IsNetwork => Kind != ModelKind.Knn;

    public static ModelSpec Knn(int k, DistanceMetric metric = DistanceMetric.L2)
    {
        if (k < 1 || k > MaxSize) throw new ArgumentOutOfRangeException(nameof(k), k, $"kNN needs 1 <= K <= {MaxSize}.");
        return new(ModelKind.Knn, k, metric, LossKind.Softmax, NoLayers, false, ActivationKind.Relu, null, 0);
    }

    public static ModelSpec Linear(LossKind loss, Initialization? initialization = null) =>
        new(ModelKind.Linear, 0, DistanceMetric.L2, loss, NoLayers, false, ActivationKind.Relu, initialization, 0);

    /// <summary>A fully-connected net with the given hidden sizes (at least one).</summary>
    public static ModelSpec FullyConnected(IEnumerable<int> hiddenUnits, bool batchNorm = false, ActivationKind activation = ActivationKind.Relu,
        Initialization? initialization = null, double dropout = 0, LossKind loss = LossKind.Softmax)
    {
        var hidden = hiddenUnits.Select(HiddenLayer.Fc).ToArray();
        if (hidden.Length == 0) throw new ArgumentException("An fc spec needs at least one hidden layer; use linear:softmax for none.", nameof(hiddenUnits));
        return Create(ModelKind.FullyConnected, hidden, batchNorm, activation, initialization, dropout, loss);
    }

    /// <summary>A convnet; <paramref name="layers"/> must start with a conv layer and put fc layers after all conv/pool layers.</summary>
    public static ModelSpec Convolutional(IEnumerable<HiddenLayer> layers, bool batchNorm = false, ActivationKind activation = ActivationKind.Relu,
        Initialization? initialization = null, double dropout = 0, LossKind loss = LossKind.Softmax) =>
        Create(ModelKind.Convolutional, layers.ToArray(), batchNorm, activation, initialization, dropout, loss);

    private static ModelSpec Create(ModelKind kind, HiddenLayer[] hidden, bool batchNorm, ActivationKind activation,
        Initialization? initialization, double dropout, LossKind loss)
    {
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout must satisfy 0 <= P < 1.");
        bool seenFc = false;
        for (int i = 0; i < hidden.Length; i++)
        {
            var h = hidden[i];
            if (h.Kind != HiddenLayerKind.Pool && (h.Size < 1 || h.Size > MaxSize))
                throw new ArgumentOutOfRangeException(nameof(hidden), h.Size, $"Layer sizes must be in [1, {MaxSize}].");
            if (kind == ModelKind.FullyConnected && h.Kind != HiddenLayerKind.Fc)
                throw new ArgumentException("An fc spec has fully-connected hidden layers only.", nameof(hidden));
            if (kind == ModelKind.Convolutional)
            {
                if (i == 0 && h.Kind != HiddenLayerKind.Conv) throw new ArgumentException("A conv spec must start with a conv layer.", nameof(hidden));
                if (seenFc && h.Kind != HiddenLayerKind.Fc) throw new ArgumentException("Conv and pool layers must come before the fc layers.", nameof(hidden));
            }
            seenFc |= h.Kind == HiddenLayerKind.Fc;
        }
        if (hidden.Length == 0) throw new ArgumentException("The spec needs at least one hidden layer.", nameof(hidden));
        return new(kind, 0, DistanceMetric.L2, loss, hidden, batchNorm, activation, initialization, dropout);
    }

    /// <summary>The default initialization for a model kind and activation.</summary>
    public static Initialization DefaultInitialization(ModelKind kind, ActivationKind activation) =>
        kind == ModelKind.Linear || activation is ActivationKind.Tanh or ActivationKind.Sigmoid
            ? Models.Initialization.Xavier
            : Models.Initialization.He;

    /// <summary>Parses a spec; throws <see cref="ModelSpecFormatException"/> (with the grammar) when it is malformed.</summary>
    public static ModelSpec Parse(string spec) => ModelSpecParser.Parse(spec);

    /// <summary>Parses a spec; on failure returns false and the full error message (with the grammar).</summary>
    public static bool TryParse(string? spec, out ModelSpec? result, out string? error)
    {
        try
        {
            result = ModelSpecParser.Parse(spec ?? "");
            error = null;
            return true;
        }
        catch (ModelSpecFormatException ex)
        {
            result = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>This spec with another default dropout (0 removes dropout layers).</summary>
    public ModelSpec WithDropout(double dropout) =>
        Kind is ModelKind.FullyConnected or ModelKind.Convolutional
            ? Create(Kind, _hidden, BatchNorm, Activation, Initialization, dropout, Loss)
            : throw new InvalidOperationException($"'{this}' has no dropout (only fc and conv specs do).");

    /// <summary>The canonical spec string.</summary>
    public override string ToString() => _canonical ??= Format();

    public bool Equals(ModelSpec? other) => other is not null && string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);
    public override bool Equals(object? obj) => Equals(obj as ModelSpec);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    private string Format()
    {
        var inv = CultureInfo.InvariantCulture;
        switch (Kind)
        {
            case ModelKind.Knn:
                return Metric == DistanceMetric.L1 ? $"knn:{K.ToString(inv)}:l1" : $"knn:{K.ToString(inv)}";
            case ModelKind.Linear:
                var linear = "linear:" + LossName(Loss);
                return Initialization is { } li && li != DefaultInitialization(Kind, Activation) ? linear + ",init=" + li : linear;
        }
        var sb = new StringBuilder(Kind == ModelKind.FullyConnected ? "fc:" : "conv:");
        for (int i = 0; i < _hidden.Length; i++)
        {
            if (i > 0) sb.Append('-');
            var h = _hidden[i];
            switch (h.Kind)
            {
                case HiddenLayerKind.Pool: sb.Append("pool"); break;
                case HiddenLayerKind.Fc when Kind == ModelKind.Convolutional: sb.Append("fc").Append(h.Size.ToString(inv)); break;
                default: sb.Append(h.Size.ToString(inv)); break;
            }
        }
        if (BatchNorm) sb.Append(",bn");
        if (Activation != ActivationKind.Relu) sb.Append(",act=").Append(ActivationName(Activation));
        if (Initialization is { } init && init != DefaultInitialization(Kind, Activation)) sb.Append(",init=").Append(init.ToString());
        if (Dropout > 0) sb.Append(",dropout=").Append(Dropout.ToString("R", inv));
        if (Loss != LossKind.Softmax) sb.Append(",loss=").Append(LossName(Loss));
        return sb.ToString();
    }

    internal static string LossName(LossKind loss) => loss == LossKind.Svm ? "svm" : "softmax";

    internal static string ActivationName(ActivationKind a) => a switch
    {
        ActivationKind.Relu => "relu",
        ActivationKind.Leaky => "leaky",
        ActivationKind.Elu => "elu",
        ActivationKind.Tanh => "tanh",
        _ => "sigmoid",
    };
}
