namespace CvLearn.Core.Data;

/// <summary>How the per-feature statistic of a normalisation step is pooled.</summary>
public enum StatisticMode
{
    /// <summary>Step disabled.</summary>
    None = 0,
    /// <summary>One value per pixel position and channel (a "mean image"), shape (C, H, W).</summary>
    PerPixel = 1,
    /// <summary>One value per channel, shape (C).</summary>
    PerChannel = 2,
}

/// <summary>
/// Preprocessing as in the CS231n notes: mean subtraction (default: per-pixel mean image), optional scaling by the
/// standard deviation, optional PCA to <see cref="PcaComponents"/> dimensions and optional whitening.
/// PCA and whitening need <see cref="Mean"/> = <see cref="StatisticMode.PerPixel"/> (the covariance is of zero-mean data).
/// </summary>
public sealed record PreprocessingOptions
{
    public StatisticMode Mean { get; init; } = StatisticMode.PerPixel;
    public StatisticMode Std { get; init; } = StatisticMode.None;

    /// <summary>Keep the top-k principal components (0 = no PCA). Output samples then have shape (k, 1, 1).</summary>
    public int PcaComponents { get; init; }

    /// <summary>Divide each principal component by √(eigenvalue + <see cref="Epsilon"/>). Without PCA, all D components are kept.</summary>
    public bool Whiten { get; init; }

    /// <summary>Added to eigenvalues before whitening, so near-zero-variance directions (noise) are not blown up.</summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>A standard deviation below this is treated as 1 (constant pixels such as MNIST borders stay unscaled, not divided by ~0).</summary>
    public double MinStd { get; init; } = 1e-6;

    public static PreprocessingOptions Default { get; } = new();

    /// <summary>No preprocessing at all (raw pixel values).</summary>
    public static PreprocessingOptions Identity { get; } = new() { Mean = StatisticMode.None };

    public bool UsesProjection => PcaComponents > 0 || Whiten;

    /// <summary>Throws with an actionable message when the combination is not meaningful.</summary>
    public void Validate()
    {
        if (PcaComponents < 0) throw new ArgumentException($"PCA component count must be ≥ 0 (0 = no PCA), got {PcaComponents}.");
        if (!(Epsilon >= 0) || !double.IsFinite(Epsilon)) throw new ArgumentException($"Whitening epsilon must be finite and ≥ 0, got {Epsilon}.");
        if (Whiten && !(Epsilon > 0)) throw new ArgumentException("Whitening needs Epsilon > 0 (directions with zero variance would be divided by zero).");
        if (!(MinStd > 0)) throw new ArgumentException($"MinStd must be positive, got {MinStd}.");
        if (UsesProjection && Mean != StatisticMode.PerPixel)
            throw new ArgumentException("PCA and whitening need per-pixel mean subtraction (Mean = PerPixel): the covariance is only meaningful for zero-centred data.");
    }
}
