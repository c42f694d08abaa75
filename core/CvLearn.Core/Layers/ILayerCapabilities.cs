namespace CvLearn.Core.Layers;

/// <summary>
/// A layer with non-trainable state in <see cref="Models.ParameterSet{T}.State"/> (batchnorm running statistics).
/// <see cref="Models.ParameterSet{T}.Freeze"/> zero-fills state, which is not a valid running variance, so whoever
/// initializes a fresh model must call <see cref="ResetState"/> on every such layer (not after loading a checkpoint,
/// which restores the state buffer).
/// </summary>
public interface IStatefulLayer
{
    /// <summary>Puts the state at its initial values (running mean 0, running variance 1).</summary>
    void ResetState();
}

/// <summary>
/// A layer whose training-mode forward draws random numbers (dropout). The solver reseeds it, e.g. from
/// (trial seed, epoch), so that a run resumed from a checkpoint draws exactly the masks the uninterrupted run would have.
/// </summary>
public interface IStochasticLayer
{
    /// <summary>Restarts the layer's random stream from <paramref name="seed"/>.</summary>
    void Reseed(int seed);
}
