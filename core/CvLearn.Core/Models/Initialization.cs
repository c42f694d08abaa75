using System.Globalization;

namespace CvLearn.Core.Models;

/// <summary>Weight initialization scheme (biases are always 0, batchnorm γ = 1 and β = 0).</summary>
public enum InitializationKind
{
    /// <summary>He et al. 2015: N(0, σ²) with σ = sqrt(2 / fan_in). Default for ReLU, leaky ReLU and ELU.</summary>
    He,
    /// <summary>
    /// Xavier in the calibrated form the CS231n notes use: N(0, σ²) with σ = sqrt(1 / fan_in) (not Glorot's uniform
    /// sqrt(6 / (fan_in + fan_out)) variant). Default for tanh, sigmoid and linear classifiers.
    /// </summary>
    Xavier,
    /// <summary>N(0, σ²) with a fixed σ for every weight (the notes' <c>weight_scale</c>).</summary>
    Gaussian,
}

/// <summary>An initialization scheme with its standard deviation (used by <see cref="InitializationKind.Gaussian"/> only).</summary>
public readonly record struct Initialization(InitializationKind Kind, double Std = 0)
{
    public static Initialization He => new(InitializationKind.He);
    public static Initialization Xavier => new(InitializationKind.Xavier);

    /// <summary>Gaussian with standard deviation <paramref name="std"/> (must be positive and finite).</summary>
    public static Initialization Gaussian(double std)
    {
        if (!(std > 0) || double.IsInfinity(std))
            throw new ArgumentOutOfRangeException(nameof(std), std, "The gaussian initialization std must be a positive finite number, e.g. 0.01.");
        return new(InitializationKind.Gaussian, std);
    }

    /// <summary>Standard deviation for a weight with the given fan-in.</summary>
    public double StdFor(int fanIn) => Kind switch
    {
        InitializationKind.He => Math.Sqrt(2.0 / Math.Max(1, fanIn)),
        InitializationKind.Xavier => Math.Sqrt(1.0 / Math.Max(1, fanIn)),
        _ => Std,
    };

    /// <summary>The spec form: he, xavier or gauss:STD.</summary>
    public override string ToString() => Kind switch
    {
        InitializationKind.He => "he",
        InitializationKind.Xavier => "xavier",
        _ => "gauss:" + Std.ToString("R", CultureInfo.InvariantCulture),
    };
}
