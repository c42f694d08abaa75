namespace CvLearn.Core.Optim;

/// <summary>Creates update rules by their command-line / config name.</summary>
public static class UpdateRules
{
    /// <summary>The valid names, in the order of the CS231n notes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

    /// <summary>
    /// A new rule with fresh (lazily sized) state. <paramref name="name"/> is matched case-insensitively;
    /// "sgd_momentum" (CS231n optim.py's name) is accepted for "momentum".
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones) or an option out of range.</exception>
    public static IUpdateRule Create(string name, UpdateRuleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var o = options ?? UpdateRuleOptions.Default;
        o.Validate();
        return name.Trim().ToLowerInvariant() switch
        {
            "sgd" => new Sgd(),
            "momentum" or "sgd_momentum" => new Momentum(o.Momentum),
            "nesterov" => new NesterovMomentum(o.Momentum),
            "adagrad" => new Adagrad(o.Epsilon),
            "rmsprop" => new RmsProp(o.Decay, o.Epsilon),
            "adam" => new Adam(o.Beta1, o.Beta2, o.Epsilon),
            _ => throw new ArgumentException($"Unknown update rule '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
