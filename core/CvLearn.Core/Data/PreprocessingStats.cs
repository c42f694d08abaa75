using System.Numerics.Tensors;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Data;

/// <summary>
/// Preprocessing statistics fitted on the TRAINING split only (CS231n: "any preprocessing statistics must only be
/// computed on the training data, and then applied to the validation / test data"), and applied unchanged to every
/// split and at inference. Immutable; stored in checkpoints so the statistics travel with the model.
/// <para>
/// Sample transform, for an input image x of shape (C, H, W) flattened to D = C·H·W:
/// x ← x − mean; x ← x / std; then with projection y = U x (U: k×D, rows = top-k covariance eigenvectors) and,
/// when whitening, yᵢ ← yᵢ / √(λᵢ + ε). With projection the output sample shape is (k, 1, 1): a model consumes it
/// with input shape (k, 1, 1) (an affine first layer sees k features), not (C, H, W) — convolutions make no sense after PCA.
/// </para>
/// PCA cost: the D×D covariance is built with <see cref="Gemm.Multiply{T}"/> in chunks (N·D² multiply-adds, 3·10¹⁰ for all
/// of Fashion-MNIST: fast only with the SIMD GEMM) and decomposed by <see cref="SymmetricEigen"/> (O(D³), about a second for D = 784).
/// Much larger D (CIFAR-10's 3072) works but takes tens of seconds for the eigen-decomposition.
/// </summary>
public sealed class PreprocessingStats
{
    private const int ChunkRows = 256;

    /// <summary>Builds stats from stored values (checkpoint loading). Lengths are validated against the options and shape.</summary>
    /// <param name="mean">Length D (per pixel), C (per channel) or 0 (no mean subtraction).</param>
    /// <param name="std">Same convention as <paramref name="mean"/>; values already guarded (never ~0).</param>
    /// <param name="components">k×D row-major principal directions, or empty without projection.</param>
    /// <param name="eigenvalues">The k eigenvalues (descending) matching <paramref name="components"/>, or empty.</param>
    public PreprocessingStats(PreprocessingOptions options, int channels, int height, int width,
        float[] mean, float[] std, float[] components, double[] eigenvalues)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException($"Invalid image shape ({channels}, {height}, {width}).");
        Options = options;
        Channels = channels;
        Height = height;
        Width = width;
        int d = InputSize;
        CheckLength("mean", mean.Length, options.Mean, channels, d);
        CheckLength("std", std.Length, options.Std, channels, d);
        if (options.UsesProjection)
        {
            int k = eigenvalues.Length;
            if (k == 0 || k > d) throw new ArgumentException($"Projection needs 1..{d} eigenvalues, got {k}.");
            if (options.PcaComponents > 0 && k != options.PcaComponents) throw new ArgumentException($"{k} eigenvalues stored for {options.PcaComponents} PCA components.");
            if (components.Length != (long)k * d) throw new ArgumentException($"Components hold {components.Length} values, expected {k}×{d}.");
        }
        else if (components.Length != 0 || eigenvalues.Length != 0)
        {
            throw new ArgumentException("Components/eigenvalues given but the options do not ask for PCA or whitening.");
        }
        Mean = mean;
        Std = std;
        Components = components;
        Eigenvalues = eigenvalues;
        // Per-feature (length D) copies of the statistics, so that normalisation is two SIMD passes per sample
        // whatever the pooling mode.
        int hw = height * width;
        _featureMean = new float[options.Mean == StatisticMode.None ? 0 : d];
        for (int i = 0; i < _featureMean.Length; i++) _featureMean[i] = MeanAt(i, hw);
        _featureStd = new float[options.Std == StatisticMode.None ? 0 : d];
        for (int i = 0; i < _featureStd.Length; i++) _featureStd[i] = StdAt(i, hw);
        _whitenScale = new float[options.Whiten ? eigenvalues.Length : 0];
        for (int j = 0; j < _whitenScale.Length; j++) _whitenScale[j] = (float)(1.0 / Math.Sqrt(eigenvalues[j] + options.Epsilon));
    }

    private readonly float[] _whitenScale;
    private readonly float[] _featureMean;
    private readonly float[] _featureStd;

    public PreprocessingOptions Options { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>D = C·H·W of the raw input.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Per-pixel (length D) or per-channel (length C) mean; empty when disabled.</summary>
    public float[] Mean { get; }

    /// <summary>Per-pixel or per-channel divisor (guarded: tiny std replaced by 1); empty when disabled.</summary>
    public float[] Std { get; }

    /// <summary>k×D row-major principal directions (descending variance); empty without projection.</summary>
    public float[] Components { get; }

    /// <summary>Covariance eigenvalues of the kept components, descending; empty without projection.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>Input shape (C, H, W) the stats were fitted on.</summary>
    public int[] InputShape => [Channels, Height, Width];

    /// <summary>Shape of a preprocessed sample: (C, H, W), or (k, 1, 1) after PCA/whitening.</summary>
    public int[] OutputShape => Options.UsesProjection ? [Eigenvalues.Length, 1, 1] : InputShape;

    public int OutputSize => Options.UsesProjection ? Eigenvalues.Length : InputSize;

    /// <summary>
    /// True when <paramref name="other"/> transforms images exactly as these statistics do (same options, shape and
    /// values): e.g. the checkpoints of one search, which each carry their own copy of the statistics. Lets a caller
    /// preprocess a split once for all of them.
    /// </summary>
    public bool SameTransform(PreprocessingStats? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (Options == other.Options && Channels == other.Channels && Height == other.Height && Width == other.Width
             && Mean.AsSpan().SequenceEqual(other.Mean) && Std.AsSpan().SequenceEqual(other.Std)
             && Components.AsSpan().SequenceEqual(other.Components) && Eigenvalues.AsSpan().SequenceEqual(other.Eigenvalues)));

    /// <summary>Fits the statistics on <paramref name="train"/> (the training split — never validation or test data).</summary>
    public static PreprocessingStats Fit(IImageSet train, PreprocessingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        RefuseNormalizedView(train);
        options ??= PreprocessingOptions.Default;
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("Cannot fit preprocessing statistics on an empty training set.");
        int c = train.Channels, hw = train.Height * train.Width, d = train.SampleSize;
        if (options.PcaComponents > d)
            throw new ArgumentException($"PCA to {options.PcaComponents} components is impossible: samples have only {d} values.");
        float[] mean = Pool(options.Mean, train, c, hw, center: null);
        float[] std = [];
        if (options.Std != StatisticMode.None)
        {
            // Std of the mean-subtracted data: expand the mean to one value per feature, then pool squared deviations.
            var meanOnly = new PreprocessingStats(options with { Std = StatisticMode.None, PcaComponents = 0, Whiten = false }, c, train.Height, train.Width, mean, [], [], []);
            float[] center = meanOnly._featureMean.Length == d ? meanOnly._featureMean : new float[d];
            float[] variance = Pool(options.Std, train, c, hw, center);
            std = new float[variance.Length];
            for (int i = 0; i < std.Length; i++)
            {
                double s = Math.Sqrt(variance[i]);
                std[i] = s < options.MinStd ? 1f : (float)s;
            }
        }
        if (!options.UsesProjection)
            return new PreprocessingStats(options, c, train.Height, train.Width, mean, std, [], []);

        var normalizer = new PreprocessingStats(options with { PcaComponents = 0, Whiten = false }, c, train.Height, train.Width, mean, std, [], []);
        double[] cov = Covariance(normalizer, train, d);
        var (values, vectors) = SymmetricEigen.Decompose(cov, d);
        int k = options.PcaComponents > 0 ? options.PcaComponents : d;
        var components = new float[k * d];
        for (int i = 0; i < components.Length; i++) components[i] = (float)vectors[i];
        var eig = new double[k];
        for (int i = 0; i < k; i++) eig[i] = Math.Max(values[i], 0);   // covariance is PSD; clamp rounding noise
        return new PreprocessingStats(options, c, train.Height, train.Width, mean, std, components, eig);
    }

    /// <summary>
    /// Like <see cref="Apply"/>, but a mean/std transform (no projection) overwrites the pixels of
    /// <paramref name="images"/> and returns a set over the same arrays: for images nobody else holds, e.g. the fresh
    /// copies of a split. Saves a copy of the whole set (first touches of fresh memory cost ~0.7 s for Fashion-MNIST's
    /// training split here). With a projection the output has another size, so it is <see cref="Apply"/>.
    /// </summary>
    public LabeledImages ApplyInPlace(LabeledImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (Options.UsesProjection) return Apply(images);
        if (images.Channels != Channels || images.Height != Height || images.Width != Width)
            throw new ArgumentException($"Images have shape ({images.Channels}, {images.Height}, {images.Width}) but the preprocessing was fitted on ({Channels}, {Height}, {Width}).");
        Normalize(images.Pixels.AsSpan(0, images.Count * InputSize), images.Count);
        return images;
    }

    /// <summary>Applies the transform to every image; returns a new set (new arrays) with shape <see cref="OutputShape"/>.</summary>
    public LabeledImages Apply(IImageSet images)
    {
        ArgumentNullException.ThrowIfNull(images);
        RefuseNormalizedView(images);
        if (images.Channels != Channels || images.Height != Height || images.Width != Width)
            throw new ArgumentException($"Images have shape ({images.Channels}, {images.Height}, {images.Width}) but the preprocessing was fitted on ({Channels}, {Height}, {Width}).");
        var output = new float[(long)images.Count * OutputSize];
        if (images is LabeledImages floats)
        {
            Transform(floats.Pixels, floats.Count, output);
        }
        else
        {
            int k = OutputSize;
            ForEachChunk(images, (rows, start, count) => Transform(rows, count, output.AsSpan(start * k, count * k)));
        }
        int[] shape = OutputShape;
        return new LabeledImages(output, (int[])images.Labels.Clone(), shape[0], shape[1], shape[2], images.Classes, images.ClassNames);
    }

    /// <summary>
    /// Transforms <paramref name="count"/> raw samples (count·D values) into <paramref name="output"/> (count·<see cref="OutputSize"/> values).
    /// Allocates one chunk buffer when projecting (preprocessing runs once per dataset, not per minibatch).
    /// </summary>
    public void Transform(ReadOnlySpan<float> input, int count, Span<float> output)
    {
        int d = InputSize, k = OutputSize;
        if (input.Length < (long)count * d) throw new ArgumentException($"Input holds {input.Length} values, expected {count}×{d}.");
        if (output.Length < (long)count * k) throw new ArgumentException($"Output holds {output.Length} values, expected {count}×{k}.");
        if (!Options.UsesProjection)
        {
            input[..(count * d)].CopyTo(output);
            Normalize(output[..(count * d)], count);
            return;
        }
        var chunk = new float[Math.Min(count, ChunkRows) * d];
        for (int start = 0; start < count; start += ChunkRows)
        {
            int rows = Math.Min(ChunkRows, count - start);
            Span<float> buf = chunk.AsSpan(0, rows * d);
            input.Slice(start * d, rows * d).CopyTo(buf);
            Normalize(buf, rows);
            Span<float> y = output.Slice(start * k, rows * k);
            // Y (rows×k) = X (rows×D) · Uᵀ (D×k)
            Gemm.Multiply(false, true, rows, k, d, 1f, buf, d, Components, d, 0f, y, k);
            if (Options.Whiten)
            {
                for (int r = 0; r < rows; r++)
                {
                    Span<float> row = y.Slice(r * k, k);
                    TensorPrimitives.Multiply(row, _whitenScale, row);
                }
            }
        }
    }

    /// <summary>Subtracts the mean and divides by the std in place, for <paramref name="count"/> samples of D values.</summary>
    internal void Normalize(Span<float> x, int count)
    {
        int d = InputSize;
        for (int s = 0; s < count; s++)
        {
            Span<float> sample = x.Slice(s * d, d);
            if (Options.Mean != StatisticMode.None) TensorPrimitives.Subtract(sample, _featureMean, sample);
            if (Options.Std != StatisticMode.None) TensorPrimitives.Divide(sample, _featureStd, sample);
        }
    }

    private float MeanAt(int feature, int hw) => Options.Mean switch
    {
        StatisticMode.PerPixel => Mean[feature],
        StatisticMode.PerChannel => Mean[feature / hw],
        _ => 0f,
    };

    private float StdAt(int feature, int hw) => Options.Std switch
    {
        StatisticMode.PerPixel => Std[feature],
        StatisticMode.PerChannel => Std[feature / hw],
        _ => 1f,
    };

    /// <summary>
    /// Averages x (or (x − center)² when <paramref name="center"/> is given) over samples (per pixel) or over samples
    /// and positions (per channel). Sums in double: 60 000 float additions per feature would lose digits.
    /// </summary>
    private static float[] Pool(StatisticMode mode, IImageSet images, int c, int hw, float[]? center)
    {
        if (mode == StatisticMode.None) return [];
        int d = c * hw, n = images.Count;
        var sum = new double[d];
        ForEachChunk(images, (rows, _, count) =>
        {
            for (int r = 0; r < count; r++)
            {
                ReadOnlySpan<float> sample = rows.Slice(r * d, d);
                if (center is null)
                {
                    for (int i = 0; i < d; i++) sum[i] += sample[i];
                }
                else
                {
                    for (int i = 0; i < d; i++) { double v = sample[i] - center[i]; sum[i] += v * v; }
                }
            }
        });
        if (mode == StatisticMode.PerPixel)
        {
            var result = new float[d];
            for (int i = 0; i < d; i++) result[i] = (float)(sum[i] / n);
            return result;
        }
        var perChannel = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double total = 0;
            for (int j = 0; j < hw; j++) total += sum[ch * hw + j];
            perChannel[ch] = (float)(total / ((double)n * hw));
        }
        return perChannel;
    }

    /// <summary>Covariance (D×D, divided by N) of the normalised training data, accumulated in double from float GEMM chunks.</summary>
    private static double[] Covariance(PreprocessingStats normalizer, IImageSet images, int d)
    {
        int n = images.Count;
        var cov = new double[(long)d * d];
        var partial = new float[d * d];
        ForEachChunk(images, (rows, _, count) =>
        {
            normalizer.Normalize(rows, count);
            // partial (D×D) = Xᵀ X over this chunk; summing chunks in double keeps precision for N = 60 000.
            Gemm.Multiply(true, false, d, d, count, 1f, rows, d, rows, d, 0f, partial, d);
            for (int i = 0; i < partial.Length; i++) cov[i] += partial[i];
        });
        for (int i = 0; i < cov.Length; i++) cov[i] /= n;
        return cov;
    }

    private delegate void ChunkAction(Span<float> rows, int start, int count);

    /// <summary>
    /// Reads the images in order, <see cref="ChunkRows"/> at a time through one scratch buffer, so that a set stored
    /// as bytes is never materialized as floats; <paramref name="action"/> gets each chunk (count·D values).
    /// </summary>
    private static void ForEachChunk(IImageSet images, ChunkAction action)
    {
        int d = images.SampleSize, n = images.Count;
        var chunk = new float[Math.Min(n, ChunkRows) * d];
        for (int start = 0; start < n; start += ChunkRows)
        {
            int count = Math.Min(ChunkRows, n - start);
            Span<float> rows = chunk.AsSpan(0, count * d);
            images.CopyImages(start, count, rows);
            action(rows, start, count);
        }
    }

    /// <summary>Fit and Apply take raw pixel values: a view that normalizes as it reads would be normalized twice.</summary>
    private static void RefuseNormalizedView(IImageSet images)
    {
        if (images is RawImageView { Preprocessing: not null })
            throw new ArgumentException("These images are already preprocessed (a view that normalizes as it reads); fit and apply statistics to the raw view (new RawImageView(source, indices)).", nameof(images));
    }

    private static void CheckLength(string name, int length, StatisticMode mode, int channels, int d)
    {
        int expected = mode switch { StatisticMode.PerPixel => d, StatisticMode.PerChannel => channels, _ => 0 };
        if (length != expected) throw new ArgumentException($"{name} holds {length} values, expected {expected} for {mode}.");
    }
}
