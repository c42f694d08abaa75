using System.Numerics;

namespace CvLearn.Core.Models;

/// <summary>
/// Fills a frozen <see cref="ParameterSet{T}"/> with initial values: weights from the scheme, biases 0,
/// batchnorm γ = 1 and β = 0, state buffers 0 except running variances (names ending in ".running_var") = 1,
/// so that a network evaluated before any training step normalizes with the identity statistics.
/// Deterministic for a seed (parameters are drawn in registration order from one generator).
/// </summary>
public static class Initializer
{
    /// <summary>
    /// Factor applied to the He/Xavier std of the class-score layer (the last registered weight). Small initial
    /// scores make the initial softmax loss ≈ ln C and the SVM loss ≈ C − 1 (the notes' sanity check), while hidden
    /// layers keep the scaling that preserves activation variance. Not applied to gauss:STD, which the user chose.
    /// </summary>
    public const double ClassifierScale = 0.1;

    /// <summary>Initializes every parameter and state buffer of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">A frozen parameter set.</param>
    /// <param name="scheme">Weight scheme.</param>
    /// <param name="seed">Seed of the weight generator.</param>
    /// <param name="scaleClassifier">Scale the last weight (the class-score layer) by <see cref="ClassifierScale"/> for He/Xavier.</param>
    public static void Initialize<T>(ParameterSet<T> parameters, Initialization scheme, int seed, bool scaleClassifier = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!parameters.IsFrozen) throw new InvalidOperationException("Freeze the parameter set (build the network) before initializing it.");
        var rng = new GaussianRandom(seed);
        ParameterInfo? lastWeight = null;
        foreach (var p in parameters.Parameters)
            if (p.Role == ParameterRole.Weight) lastWeight = p;

        foreach (var p in parameters.Parameters)
        {
            var values = parameters.Value(p);
            switch (p.Role)
            {
                case ParameterRole.Weight:
                    double std = scheme.StdFor(FanIn(p));
                    if (scaleClassifier && ReferenceEquals(p, lastWeight) && scheme.Kind != InitializationKind.Gaussian) std *= ClassifierScale;
                    rng.FillGaussian(values, std);
                    break;
                case ParameterRole.Scale:
                    values.Fill(T.One);
                    break;
                default:
                    values.Clear();
                    break;
            }
        }
        parameters.Grads.AsSpan().Clear();
        ResetState(parameters);
    }

    /// <summary>Running means to 0 and running variances (".running_var") to 1.</summary>
    public static void ResetState<T>(ParameterSet<T> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var s in parameters.StateBuffers)
        {
            var values = parameters.StateOf(s);
            if (s.Name.EndsWith(".running_var", StringComparison.Ordinal)) values.Fill(T.One);
            else values.Clear();
        }
    }

    /// <summary>
    /// The registered fan-in, or when a layer did not register one, the one implied by the shape:
    /// (D, M) affine weights → D; (F, C, HH, WW) filters → C·HH·WW.
    /// </summary>
    internal static int FanIn(ParameterInfo p)
    {
        if (p.FanIn > 0) return p.FanIn;
        return p.Shape.Length switch
        {
            0 => 1,
            1 => p.Shape[0],
            2 => p.Shape[0],
            _ => p.Length / Math.Max(1, p.Shape[0]),
        };
    }
}
