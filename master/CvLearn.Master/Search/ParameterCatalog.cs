namespace CvLearn.Master.Search;

/// <summary>How a parameter's values look.</summary>
public enum ParameterType
{
    /// <summary>A real number (learning rate, reg, dropout, momentum, lr decay).</summary>
    Real,

    /// <summary>An integer (batch size).</summary>
    Integer,

    /// <summary>A string from a set (optimizer, model spec).</summary>
    Text,
}

/// <summary>
/// What the master knows about one searchable parameter: valid values and how far coarse-to-fine may extend a range
/// past a border (<see cref="ExtendMin"/>..<see cref="ExtendMax"/>, always inside the valid set).
/// </summary>
public sealed record ParameterInfo(
    string Name,
    ParameterType Type,
    double Min,
    bool MinInclusive,
    double Max,
    bool MaxInclusive,
    double ExtendMin,
    double ExtendMax,
    string Meaning)
{
    /// <summary>Whether <paramref name="x"/> is a valid value of this parameter.</summary>
    public bool IsValid(double x) =>
        double.IsFinite(x)
        && (MinInclusive ? x >= Min : x > Min)
        && (MaxInclusive ? x <= Max : x < Max)
        && (Type != ParameterType.Integer || x == Math.Floor(x));

    /// <summary>The valid set in interval notation, e.g. "[0, 1)".</summary>
    public string ValidRange =>
        (MinInclusive ? "[" : "(") + NumberFormat.Short(Min) + ", "
        + (double.IsPositiveInfinity(Max) ? "inf" : NumberFormat.Short(Max)) + (MaxInclusive ? "]" : ")");
}

/// <summary>The parameters a search may set, as understood by the workers' trainer.</summary>
public static class ParameterCatalog
{
    /// <summary>Learning rate (log scale recommended).</summary>
    public const string LearningRate = "learning_rate";

    /// <summary>L2 regularization strength λ (log scale recommended).</summary>
    public const string Reg = "reg";

    /// <summary>Dropout probability of dropping a unit.</summary>
    public const string Dropout = "dropout";

    /// <summary>Momentum coefficient (momentum/nesterov optimizers).</summary>
    public const string Momentum = "momentum";

    /// <summary>Minibatch size.</summary>
    public const string BatchSize = "batch_size";

    /// <summary>Update rule name.</summary>
    public const string Optimizer = "optimizer";

    /// <summary>Per-epoch multiplicative learning-rate decay.</summary>
    public const string LrDecay = "lr_decay";

    /// <summary>Model spec, e.g. "fc:256".</summary>
    public const string Model = "model";

    /// <summary>Update rules the engine implements.</summary>
    public static readonly IReadOnlyList<string> Optimizers = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

    private static readonly ParameterInfo[] s_all =
    [
        new(LearningRate, ParameterType.Real, 0, false, double.PositiveInfinity, false, 1e-10, 10, "step size of the update rule"),
        new(Reg, ParameterType.Real, 0, true, double.PositiveInfinity, false, 1e-12, 1e3, "L2 regularization strength"),
        new(Dropout, ParameterType.Real, 0, true, 1, false, 0, 0.95, "probability of dropping a unit"),
        new(Momentum, ParameterType.Real, 0, true, 1, false, 0, 0.999, "momentum coefficient"),
        new(BatchSize, ParameterType.Integer, 1, true, 65536, true, 1, 65536, "minibatch size"),
        new(Optimizer, ParameterType.Text, 0, true, 0, true, 0, 0, "update rule"),
        new(LrDecay, ParameterType.Real, 0, false, 1, true, 1e-3, 1, "learning-rate multiplier applied after each epoch"),
        new(Model, ParameterType.Text, 0, true, 0, true, 0, 0, "model spec"),
    ];

    /// <summary>All known parameters in canonical order.</summary>
    public static IReadOnlyList<ParameterInfo> All => s_all;

    /// <summary>All known names in canonical order.</summary>
    public static IReadOnlyList<string> Names { get; } = s_all.Select(p => p.Name).ToArray();

    /// <summary>Looks a parameter up by exact name.</summary>
    public static bool TryGet(string name, out ParameterInfo info)
    {
        foreach (var p in s_all)
        {
            if (p.Name == name)
            {
                info = p;
                return true;
            }
        }

        info = null!;
        return false;
    }

    /// <summary>Looks a parameter up; throws for unknown names.</summary>
    public static ParameterInfo Get(string name) =>
        TryGet(name, out var info) ? info : throw new KeyNotFoundException($"unknown parameter '{name}'; known: {string.Join(", ", Names)}");
}
