using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Batch normalization over features. x: (N, D) (or (N, d1, ..., dk) with D = d1·…·dk); γ, β: (D); out: x's shape.
/// Training: x̂ = (x − μ_B)/√(σ²_B + ε) with the batch mean and biased batch variance, out = γ·x̂ + β, and
/// running = m·running + (1 − m)·batch for mean and variance. Test mode uses the running statistics.
/// </summary>
/// <remarks>
/// Running statistics live in the parameter set's state buffer as "name.running_mean" and "name.running_var";
/// call <see cref="ResetState"/> once on a fresh model (see <see cref="IStatefulLayer"/>).
/// Backward uses the simplified closed form dx = (γ/(N·σ))·(N·dout − Σdout − x̂·Σ(dout·x̂)).
/// </remarks>
public sealed class BatchNorm<T> : ILayer<T>, IStatefulLayer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _parameters;
    private readonly T _momentum;
    private readonly T _eps;
    // Per-feature work vectors of length D, allocated once: batch mean, 1/σ, and backward coefficients.
    private readonly T[] _mean;
    private readonly T[] _invStd;
    private readonly T[] _k1;
    private readonly T[] _k2;
    private readonly T[] _k3;
    private Tensor<T>? _xhat;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private bool _hasForward;

    /// <param name="parameters">Set to register "name.gamma", "name.beta" (D) and the running statistics in.</param>
    /// <param name="name">Layer name, prefix of its parameter names.</param>
    /// <param name="features">D.</param>
    /// <param name="momentum">Weight m of the old running value, in [0, 1).</param>
    /// <param name="eps">Added to the variance before the square root, &gt; 0.</param>
    public BatchNorm(ParameterSet<T> parameters, string name, int features, double momentum = 0.9, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, $"batchnorm '{name}': feature count must be at least 1.");
        BatchNormMath.Validate("batchnorm", name, momentum, eps);
        _parameters = parameters;
        Name = name;
        Features = features;
        Momentum = momentum;
        Epsilon = eps;
        _momentum = T.CreateChecked(momentum);
        _eps = T.CreateChecked(eps);
        Gamma = parameters.Add(name + ".gamma", [features], ParameterRole.Scale, features, features);
        Beta = parameters.Add(name + ".beta", [features], ParameterRole.Shift, features, features);
        RunningMean = parameters.AddState(name + ".running_mean", [features]);
        RunningVar = parameters.AddState(name + ".running_var", [features]);
        _mean = new T[features];
        _invStd = new T[features];
        _k1 = new T[features];
        _k2 = new T[features];
        _k3 = new T[features];
    }

    public string Name { get; }
    public int Features { get; }
    public double Momentum { get; }
    public double Epsilon { get; }
    public ParameterInfo Gamma { get; }
    public ParameterInfo Beta { get; }
    public ParameterInfo RunningMean { get; }
    public ParameterInfo RunningVar { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>Sets running mean to 0 and running variance to 1.</summary>
    public void ResetState()
    {
        _parameters.StateOf(RunningMean).Clear();
        _parameters.StateOf(RunningVar).Fill(T.One);
    }

    /// <summary>x: (N, D...); returns out of x's shape. Training caches x̂ and 1/σ and updates the running statistics.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        int n = CheckInput(x.Shape), d = Features;
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        ReadOnlySpan<T> xs = x.Span;
        var ys = y.Span;
        ReadOnlySpan<T> gamma = _parameters.Value(Gamma);
        ReadOnlySpan<T> beta = _parameters.Value(Beta);
        var runMean = _parameters.StateOf(RunningMean);
        var runVar = _parameters.StateOf(RunningVar);
        if (!training)
        {
            // Fold the affine maps into one per-feature scale and shift: out = x·s + t.
            var scale = _k1.AsSpan();
            var shift = _k2.AsSpan();
            for (int j = 0; j < d; j++)
            {
                scale[j] = gamma[j] / T.Sqrt(runVar[j] + _eps);
                shift[j] = beta[j] - runMean[j] * scale[j];
            }
            for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(xs.Slice(i * d, d), scale, shift, ys.Slice(i * d, d));
            _hasForward = false;
            return y;
        }

        if (n == 0) throw new ArgumentException($"batchnorm '{Name}': a training-mode batch must contain at least one sample.");
        var xhat = Tensor<T>.Ensure(ref _xhat, n, d).Span;
        var mean = _mean.AsSpan();
        var invStd = _invStd.AsSpan();
        T invN = T.One / T.CreateChecked(n);
        mean.Clear();
        for (int i = 0; i < n; i++) TensorPrimitives.Add(mean, xs.Slice(i * d, d), mean);
        TensorPrimitives.Multiply(mean, invN, mean);
        var variance = _k3.AsSpan(); // scratch until backward
        variance.Clear();
        for (int i = 0; i < n; i++)
        {
            var c = xhat.Slice(i * d, d);
            TensorPrimitives.Subtract(xs.Slice(i * d, d), mean, c);
            TensorPrimitives.MultiplyAdd(c, c, variance, variance);
        }
        TensorPrimitives.Multiply(variance, invN, variance);
        T keep = _momentum, take = T.One - _momentum;
        for (int j = 0; j < d; j++)
        {
            invStd[j] = T.One / T.Sqrt(variance[j] + _eps);
            runMean[j] = keep * runMean[j] + take * mean[j];
            runVar[j] = keep * runVar[j] + take * variance[j];
        }
        for (int i = 0; i < n; i++)
        {
            var c = xhat.Slice(i * d, d);
            TensorPrimitives.Multiply(c, invStd, c);
            TensorPrimitives.MultiplyAdd(c, gamma, beta, ys.Slice(i * d, d));
        }
        _hasForward = true;
        return y;
    }

    /// <summary>dout: x's shape; writes dγ = Σ dout·x̂, dβ = Σ dout; returns dx of x's shape.</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null || _xhat is null) throw LayerChecks.NoForward("batchnorm", Name);
        LayerChecks.SameShape("batchnorm", Name, dout, _out);
        int n = dout.Dim(0), d = Features;
        ReadOnlySpan<T> g = dout.Span;
        ReadOnlySpan<T> xhat = _xhat.Span;
        var dgamma = _parameters.Grad(Gamma);
        var dbeta = _parameters.Grad(Beta);
        dgamma.Clear();
        dbeta.Clear();
        for (int i = 0; i < n; i++)
        {
            var gi = g.Slice(i * d, d);
            TensorPrimitives.Add(dbeta, gi, dbeta);
            TensorPrimitives.MultiplyAdd(gi, xhat.Slice(i * d, d), dgamma, dgamma);
        }
        if (!PropagateGradient) return null;

        ReadOnlySpan<T> gamma = _parameters.Value(Gamma);
        T invN = T.One / T.CreateChecked(n);
        for (int j = 0; j < d; j++)
        {
            T k1 = gamma[j] * _invStd[j];
            _k1[j] = k1;
            _k2[j] = -k1 * dbeta[j] * invN;
            _k3[j] = -k1 * dgamma[j] * invN;
        }
        var dx = Tensor<T>.Ensure(ref _dx, dout.Shape);
        var dxs = dx.Span;
        for (int i = 0; i < n; i++)
        {
            var r = dxs.Slice(i * d, d);
            TensorPrimitives.Multiply(g.Slice(i * d, d), _k1, r);
            TensorPrimitives.MultiplyAdd(xhat.Slice(i * d, d), _k3, r, r);
            TensorPrimitives.Add(r, _k2, r);
        }
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        CheckInput(inputShape);
        return inputShape.ToArray();
    }

    private int CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"batchnorm '{Name}' expects (N, D), got {Tensor<T>.ShapeString(shape)}.");
        long features = 1;
        for (int i = 1; i < shape.Length; i++) features *= shape[i];
        if (features != Features)
            throw new ArgumentException(
                $"batchnorm '{Name}' was built for {Features} features but receives {Tensor<T>.ShapeString(shape)} = {features} per sample; "
                + (shape.Length == 4 ? "use SpatialBatchNorm after convolutions." : $"set its feature count to {features}."));
        return shape[0];
    }
}

/// <summary>Checks shared by both batchnorm layers.</summary>
internal static class BatchNormMath
{
    public static void Validate(string kind, string name, double momentum, double eps)
    {
        if (!(momentum >= 0 && momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{kind} '{name}': momentum must be in [0, 1) (it is the weight of the old running value; typically 0.9).");
        if (!(eps > 0) || !double.IsFinite(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{kind} '{name}': eps must be a small positive number (typically 1e-5).");
    }
}
