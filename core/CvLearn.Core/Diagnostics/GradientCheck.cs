using System.Globalization;
using System.Text;
using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Diagnostics;

/// <summary>One compared gradient entry.</summary>
/// <param name="Name">"dx" for a layer input, otherwise the parameter name (e.g. "fc1.W").</param>
/// <param name="Index">Flat index of the entry within that tensor.</param>
/// <param name="Analytic">Gradient from backward.</param>
/// <param name="Numeric">Centered-difference estimate.</param>
/// <param name="RelativeError">|a − n| / max(|a|, |n|), see <see cref="GradientCheck.RelativeError"/>.</param>
public readonly record struct GradientSample(string Name, int Index, double Analytic, double Numeric, double RelativeError)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}[{Index}]: analytic {Analytic:E6}, numeric {Numeric:E6}, relative error {RelativeError:E2}");
}

/// <summary>All compared entries of one check, with the worst one at hand for assertions and messages.</summary>
public sealed class GradientCheckReport
{
    private readonly List<GradientSample> _samples = new();

    public IReadOnlyList<GradientSample> Samples => _samples;

    /// <summary>Largest relative error (NaN if any entry was NaN, so a NaN gradient never passes a threshold).</summary>
    public double MaxRelativeError { get; private set; }

    /// <summary>Largest relative error among entries whose name is <paramref name="name"/>.</summary>
    public double MaxRelativeErrorOf(string name)
    {
        double max = 0;
        foreach (var s in _samples)
            if (s.Name == name && (double.IsNaN(s.RelativeError) || s.RelativeError > max)) max = s.RelativeError;
        return max;
    }

    /// <summary>Distinct tensor names that were checked, in order of first appearance.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            var names = new List<string>();
            foreach (var s in _samples) if (!names.Contains(s.Name)) names.Add(s.Name);
            return names;
        }
    }

    internal void Add(GradientSample sample)
    {
        _samples.Add(sample);
        if (double.IsNaN(MaxRelativeError)) return;
        if (double.IsNaN(sample.RelativeError) || sample.RelativeError > MaxRelativeError) MaxRelativeError = sample.RelativeError;
    }

    /// <summary>The worst entry per tensor, one line each: meant for assertion messages.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"max relative error {MaxRelativeError:E2} over {_samples.Count} entries");
        foreach (var name in Names)
        {
            GradientSample? worst = null;
            foreach (var s in _samples)
                if (s.Name == name && (worst is null || double.IsNaN(s.RelativeError) || s.RelativeError > worst.Value.RelativeError)) worst = s;
            sb.Append("\n  worst ").Append(worst);
        }
        return sb.ToString();
    }
}

/// <summary>
/// Numeric gradient checking as in the CS231n notes: compare backward's analytic gradient with the centered difference
/// (f(x + h) − f(x − h)) / 2h, whose error is O(h²) rather than the one-sided O(h), in double precision.
/// </summary>
/// <remarks>
/// The function being differentiated must be deterministic across evaluations. Batchnorm in training mode is (it uses
/// the batch's own statistics; the running averages it also updates are not read in training). Dropout is not: pass
/// <c>beforeForward</c> that reseeds it (<see cref="IStochasticLayer.Reseed"/>) so every evaluation uses the same mask.
/// Check points near a kink (ReLU at 0, hinge at the margin, max-pool ties) can disagree legitimately: keep inputs away
/// from kinks, and expect ~1e-5 rather than ~1e-7 where kinks exist.
/// </remarks>
public static class GradientCheck
{
    /// <summary>Step h of the centered difference: small enough for O(h²) truncation error, large enough for double round-off.</summary>
    public const double DefaultStep = 1e-5;

    /// <summary>
    /// The notes' relative error |a − n| / max(|a|, |n|). Defined as 0 when both are 0: the two gradients then agree
    /// exactly (e.g. a dead ReLU unit or an unused bias), while the literal ratio 0/0 would be NaN and fail every check.
    /// </summary>
    public static double RelativeError(double analytic, double numeric)
    {
        double scale = Math.Max(Math.Abs(analytic), Math.Abs(numeric));
        if (scale == 0) return 0;
        return Math.Abs(analytic - numeric) / scale;
    }

    /// <summary>
    /// Centered difference of <paramref name="f"/> with respect to <c>values[index]</c>, which is perturbed by ±h and
    /// restored to its exact original value afterwards.
    /// </summary>
    public static double NumericDerivative(Func<double> f, double[] values, int index, double h = DefaultStep)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(values);
        if (!(h > 0)) throw new ArgumentOutOfRangeException(nameof(h), h, "The finite-difference step must be positive (1e-5 is the usual choice in double).");
        double old = values[index];
        values[index] = old + h;
        double plus = f();
        values[index] = old - h;
        double minus = f();
        values[index] = old;
        return (plus - minus) / (2 * h);
    }

    /// <summary>
    /// Checks a layer's backward with the scalar loss L = Σ out·dout for a fixed random upstream gradient dout (so
    /// dL/dout = dout exactly): compares dx (when <see cref="ILayer{T}.PropagateGradient"/>) and every parameter
    /// named "layer.Name.*" in <paramref name="parameters"/>, at <paramref name="checks"/> random entries per tensor
    /// (all entries when a tensor is smaller). Forward runs in training mode.
    /// </summary>
    /// <param name="layer">The layer under test.</param>
    /// <param name="parameters">Its parameter set (frozen), or null for a parameterless layer.</param>
    /// <param name="x">Input; its entries are perturbed during the check and restored.</param>
    /// <param name="checks">Entries compared per tensor.</param>
    /// <param name="seed">Seed for dout and for the choice of entries.</param>
    /// <param name="beforeForward">Run before every forward, e.g. to reseed dropout.</param>
    /// <param name="h">Finite-difference step.</param>
    public static GradientCheckReport Layer(ILayer<double> layer, ParameterSet<double>? parameters, Tensor<double> x,
        int checks = 10, int seed = 0, Action? beforeForward = null, double h = DefaultStep)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(x);
        if (checks < 1) throw new ArgumentOutOfRangeException(nameof(checks), checks, "Check at least one entry per tensor.");
        var rng = new Random(seed);

        beforeForward?.Invoke();
        var outShape = layer.Forward(x, training: true).Shape.ToArray();
        var dout = new Tensor<double>(outShape);
        FillGaussian(dout.Span, rng);
        var dx = layer.Backward(dout);
        double[]? analyticDx = dx?.Span.ToArray();
        double[]? analyticParams = parameters?.Grads.ToArray();

        double Loss()
        {
            beforeForward?.Invoke();
            var y = layer.Forward(x, training: true);
            double s = 0;
            var ys = y.Span;
            var ds = dout.Span;
            for (int i = 0; i < ys.Length; i++) s += ys[i] * ds[i];
            return s;
        }

        var report = new GradientCheckReport();
        if (analyticDx is not null)
        {
            foreach (int i in PickIndices(x.Length, checks, rng))
                Record(report, "dx", i, analyticDx[i], NumericDerivative(Loss, x.Buffer, i, h));
        }
        if (parameters is not null && analyticParams is not null)
        {
            string prefix = layer.Name + ".";
            foreach (var p in parameters.Parameters)
            {
                if (!p.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                foreach (int i in PickIndices(p.Length, checks, rng))
                    Record(report, p.Name, i, analyticParams[p.Offset + i], NumericDerivative(Loss, parameters.Values, p.Offset + i, h));
            }
        }
        return report;
    }

    /// <summary>
    /// Checks a whole network's parameter gradients (data loss + regularization) at <paramref name="checksPerParameter"/>
    /// random entries of every parameter, using <see cref="Network{T}.LossAndGradients"/> for the analytic gradient and
    /// <see cref="Network{T}.TotalLoss"/> (training mode) for the numeric one.
    /// </summary>
    public static GradientCheckReport Network(Network<double> network, Tensor<double> x, ReadOnlySpan<int> labels,
        int checksPerParameter = 5, int seed = 0, Action? beforeForward = null, double h = DefaultStep)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x);
        if (checksPerParameter < 1) throw new ArgumentOutOfRangeException(nameof(checksPerParameter), checksPerParameter, "Check at least one entry per parameter.");
        var rng = new Random(seed);
        var ps = network.Parameters;
        beforeForward?.Invoke();
        network.LossAndGradients(x, labels);
        double[] analytic = ps.Grads.ToArray();
        int[] labelCopy = labels.ToArray();

        double Loss()
        {
            beforeForward?.Invoke();
            return network.TotalLoss(x, labelCopy, training: true);
        }

        var report = new GradientCheckReport();
        foreach (var p in ps.Parameters)
        {
            foreach (int i in PickIndices(p.Length, checksPerParameter, rng))
                Record(report, p.Name, i, analytic[p.Offset + i], NumericDerivative(Loss, ps.Values, p.Offset + i, h));
        }
        return report;
    }

    private static void Record(GradientCheckReport report, string name, int index, double analytic, double numeric) =>
        report.Add(new GradientSample(name, index, analytic, numeric, RelativeError(analytic, numeric)));

    /// <summary>All indices when the tensor is small, otherwise <paramref name="count"/> distinct random ones.</summary>
    private static int[] PickIndices(int length, int count, Random rng)
    {
        if (length <= count)
        {
            var all = new int[length];
            for (int i = 0; i < length; i++) all[i] = i;
            return all;
        }
        var chosen = new HashSet<int>();
        while (chosen.Count < count) chosen.Add(rng.Next(length));
        var result = new int[count];
        chosen.CopyTo(result);
        Array.Sort(result);
        return result;
    }

    private static void FillGaussian(Span<double> values, Random rng)
    {
        for (int i = 0; i < values.Length; i++)
        {
            // Box–Muller; 1 − U keeps the logarithm's argument in (0, 1].
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            values[i] = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }
}
