namespace CvLearn.Core.Models;

/// <summary>Weight penalty kind. Applies to parameters with <see cref="ParameterRole.Weight"/> only, never biases.</summary>
public enum RegularizationKind
{
    /// <summary>R(W) = ½·λ·Σ w², gradient λ·w (the notes' convention, so the gradient is simply λw).</summary>
    L2,
    /// <summary>R(W) = λ·Σ |w|, gradient λ·sign(w).</summary>
    L1,
}

/// <summary>A weight penalty with its strength λ (0 disables it).</summary>
public readonly record struct Regularization(RegularizationKind Kind, double Strength)
{
    public static Regularization None => new(RegularizationKind.L2, 0);
    public static Regularization L2(double strength) => new(RegularizationKind.L2, strength);
    public static Regularization L1(double strength) => new(RegularizationKind.L1, strength);
}
