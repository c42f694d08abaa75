using System.Globalization;

namespace CvLearn.Core.Training;

/// <summary>lr_t = lr0 for every epoch. Spec: "constant".</summary>
public sealed class ConstantSchedule : LearningRateScheduleBase
{
    public override string Spec => "constant";
    protected override double Next(double initial, double previous, int t) => initial;
}

/// <summary>
/// Step decay: lr_t = lr0 · factor^⌊t / every⌋ (multiply by <c>factor</c> every <c>every</c> epochs).
/// Spec: "step:EVERY:FACTOR". CS231n Solver's lr_decay is "step:1:DECAY".
/// </summary>
public sealed class StepDecaySchedule : LearningRateScheduleBase
{
    public StepDecaySchedule(int everyEpochs, double factor)
    {
        if (everyEpochs < 1) throw new ArgumentOutOfRangeException(nameof(everyEpochs), everyEpochs, "Step decay needs a period of at least 1 epoch.");
        if (!(factor > 0 && factor <= 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Step decay factor must be in (0, 1].");
        EveryEpochs = everyEpochs;
        Factor = factor;
    }

    public int EveryEpochs { get; }
    public double Factor { get; }
    public override string Spec => FormattableString.Invariant($"step:{EveryEpochs}:{Factor:R}");
    protected override double Next(double initial, double previous, int t) => initial * Math.Pow(Factor, t / EveryEpochs);
}

/// <summary>Exponential decay: lr_t = lr0 · e^(−k·t). Spec: "exp:K".</summary>
public sealed class ExponentialSchedule : LearningRateScheduleBase
{
    public ExponentialSchedule(double k)
    {
        if (!(k >= 0) || double.IsInfinity(k)) throw new ArgumentOutOfRangeException(nameof(k), k, "Exponential decay rate k must be a finite number ≥ 0.");
        K = k;
    }

    public double K { get; }
    public override string Spec => FormattableString.Invariant($"exp:{K:R}");
    protected override double Next(double initial, double previous, int t) => initial * Math.Exp(-K * t);
}

/// <summary>1/t decay: lr_t = lr0 / (1 + k·t). Spec: "inv:K".</summary>
public sealed class InverseTimeSchedule : LearningRateScheduleBase
{
    public InverseTimeSchedule(double k)
    {
        if (!(k >= 0) || double.IsInfinity(k)) throw new ArgumentOutOfRangeException(nameof(k), k, "1/t decay rate k must be a finite number ≥ 0.");
        K = k;
    }

    public double K { get; }
    public override string Spec => FormattableString.Invariant($"inv:{K:R}");
    protected override double Next(double initial, double previous, int t) => initial / (1 + K * t);
}

/// <summary>
/// Halve on plateau: after each epoch, if the validation accuracy did not beat the best so far by more than
/// <see cref="Threshold"/> for <see cref="Patience"/> consecutive epochs, multiply the rate by 0.5 and start
/// counting again (the best is kept). Spec: "plateau:PATIENCE" or "plateau:PATIENCE:THRESHOLD".
/// </summary>
public sealed class PlateauSchedule : LearningRateScheduleBase
{
    /// <summary>The factor applied on a plateau.</summary>
    public const double Factor = 0.5;

    public PlateauSchedule(int patience, double threshold = 0)
    {
        if (patience < 1) throw new ArgumentOutOfRangeException(nameof(patience), patience, "Plateau patience must be at least 1 epoch.");
        if (!(threshold >= 0 && threshold < 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "Plateau threshold is an accuracy difference in [0, 1), e.g. 0.001.");
        Patience = patience;
        Threshold = threshold;
    }

    public int Patience { get; }
    public double Threshold { get; }

    public override string Spec => Threshold == 0
        ? FormattableString.Invariant($"plateau:{Patience}")
        : FormattableString.Invariant($"plateau:{Patience}:{Threshold:R}");

    protected override double ImprovementThreshold => Threshold;

    protected override double Next(double initial, double previous, int t)
    {
        if (EpochsWithoutImprovement < Patience) return previous;
        ClearStaleEpochs();
        return previous * Factor;
    }
}

/// <summary>Parses schedule specifications from the command line and configs.</summary>
public static class LearningRateSchedules
{
    /// <summary>The grammar, for help texts and error messages. t is the number of finished epochs (epoch 1 uses lr0).</summary>
    public const string Grammar =
        "constant                      lr0 every epoch\n" +
        "step:EVERY:FACTOR             lr0·FACTOR^floor(t/EVERY), EVERY ≥ 1, FACTOR in (0, 1]\n" +
        "lr_decay:DECAY                CS231n Solver's lr_decay, same as step:1:DECAY\n" +
        "exp:K                         lr0·e^(−K·t), K ≥ 0\n" +
        "inv:K                         lr0/(1 + K·t), K ≥ 0\n" +
        "plateau:PATIENCE[:THRESHOLD]  ×0.5 when validation accuracy has not improved on its best by more than\n" +
        "                              THRESHOLD (default 0) for PATIENCE ≥ 1 epochs";

    /// <summary>
    /// Parses a specification (case-insensitive keyword, numbers in invariant culture) into a new schedule;
    /// call <see cref="ILearningRateSchedule.Reset"/> with lr0 before use (the Solver does).
    /// </summary>
    /// <exception cref="ArgumentException">Malformed specification; the message shows the grammar.</exception>
    public static ILearningRateSchedule Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = spec.Trim().Split(':');
        string kind = parts[0].Trim().ToLowerInvariant();
        try
        {
            switch (kind)
            {
                case "constant" or "const":
                    Arity(parts, 0, 0);
                    return new ConstantSchedule();
                case "step":
                    Arity(parts, 2, 2);
                    return new StepDecaySchedule(Int(parts[1], "EVERY"), Real(parts[2], "FACTOR"));
                case "lr_decay":
                    Arity(parts, 1, 1);
                    return FromLrDecay(Real(parts[1], "DECAY"));
                case "exp":
                    Arity(parts, 1, 1);
                    return new ExponentialSchedule(Real(parts[1], "K"));
                case "inv":
                    Arity(parts, 1, 1);
                    return new InverseTimeSchedule(Real(parts[1], "K"));
                case "plateau":
                    int n = Arity(parts, 1, 2);
                    return new PlateauSchedule(Int(parts[1], "PATIENCE"), n == 2 ? Real(parts[2], "THRESHOLD") : 0);
                default:
                    throw new FormatException($"unknown schedule '{parts[0]}'");
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            string reason = e is ArgumentOutOfRangeException r ? r.Message.Split(" (Parameter")[0] : e.Message;
            throw new ArgumentException($"Invalid learning-rate schedule '{spec}': {reason}. Valid forms:\n{Grammar}", nameof(spec), e);
        }
    }

    /// <summary>CS231n Solver's lr_decay (lr ← lr·decay after every epoch) as a schedule.</summary>
    public static ILearningRateSchedule FromLrDecay(double decay) => new StepDecaySchedule(1, decay);

    private static int Arity(string[] parts, int min, int max)
    {
        int n = parts.Length - 1;
        if (n < min || n > max)
            throw new FormatException(min == max
                ? $"'{parts[0]}' takes {min} parameter(s), got {n}"
                : $"'{parts[0]}' takes {min} to {max} parameters, got {n}");
        return n;
    }

    private static int Int(string s, string name) =>
        int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new FormatException($"{name} must be an integer, got '{s}'");

    private static double Real(string s, string name) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new FormatException($"{name} must be a number such as 0.5, got '{s}'");
}
