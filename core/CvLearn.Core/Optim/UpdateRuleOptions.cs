namespace CvLearn.Core.Optim;

/// <summary>
/// Hyperparameters of the update rules other than the learning rate (which changes per epoch and is passed to
/// every <see cref="IUpdateRule.Step"/>). Defaults are the CS231n notes' recommended values. A rule ignores the
/// fields it does not use.
/// </summary>
public sealed record UpdateRuleOptions
{
    /// <summary>Momentum coefficient μ of momentum and Nesterov momentum, in [0, 1). Default 0.9.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>RMSProp cache decay rate, in [0, 1). Default 0.99.</summary>
    public double Decay { get; init; } = 0.99;

    /// <summary>Adam first-moment decay β1, in [0, 1). Default 0.9.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam second-moment decay β2, in [0, 1). Default 0.999.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Smoothing term of Adagrad, RMSProp and Adam that avoids division by zero, &gt; 0. Default 1e-8.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Shared defaults.</summary>
    public static UpdateRuleOptions Default { get; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range field.</summary>
    public void Validate()
    {
        CheckUnitInterval(Momentum, nameof(Momentum));
        CheckUnitInterval(Decay, nameof(Decay));
        CheckUnitInterval(Beta1, nameof(Beta1));
        CheckUnitInterval(Beta2, nameof(Beta2));
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon))
            throw new ArgumentException($"Update rule option {nameof(Epsilon)} must be a positive finite number (e.g. 1e-8), got {Epsilon}.");
    }

    private static void CheckUnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentException($"Update rule option {name} must be in [0, 1), got {value}.");
    }
}
