using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Spatial batch normalization. x: (N, C, H, W); statistics per channel over N, H and W (M = N·H·W values);
/// γ, β: (C); out: (N, C, H, W). Same training/test semantics and running-statistics update as <see cref="BatchNorm{T}"/>.
/// </summary>
/// <remarks>
/// Works directly on the contiguous H·W planes of NCHW memory instead of transposing to (N·H·W, C), so no extra copy.
/// Per-channel sums are accumulated in double: with float data and M in the tens of thousands a float running sum
/// would lose several digits of the mean.
/// </remarks>
public sealed class SpatialBatchNorm<T> : ILayer<T>, IStatefulLayer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _parameters;
    private readonly double _momentum;
    private readonly double _eps;
    private readonly T[] _invStd;
    private Tensor<T>? _xhat;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private bool _hasForward;

    /// <param name="parameters">Set to register "name.gamma", "name.beta" (C) and the running statistics in.</param>
    /// <param name="name">Layer name, prefix of its parameter names.</param>
    /// <param name="channels">C.</param>
    /// <param name="momentum">Weight m of the old running value, in [0, 1).</param>
    /// <param name="eps">Added to the variance before the square root, &gt; 0.</param>
    public SpatialBatchNorm(ParameterSet<T> parameters, string name, int channels, double momentum = 0.9, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"spatial batchnorm '{name}': channel count must be at least 1.");
        BatchNormMath.Validate("spatial batchnorm", name, momentum, eps);
        _parameters = parameters;
        Name = name;
        Channels = channels;
        Momentum = momentum;
        Epsilon = eps;
        _momentum = momentum;
        _eps = eps;
        Gamma = parameters.Add(name + ".gamma", [channels], ParameterRole.Scale, channels, channels);
        Beta = parameters.Add(name + ".beta", [channels], ParameterRole.Shift, channels, channels);
        RunningMean = parameters.AddState(name + ".running_mean", [channels]);
        RunningVar = parameters.AddState(name + ".running_var", [channels]);
        _invStd = new T[channels];
    }

    public string Name { get; }
    public int Channels { get; }
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

    /// <summary>x: (N, C, H, W); returns (N, C, H, W).</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var (n, c, hw) = CheckInput(x.Shape);
        var y = Tensor<T>.Ensure(ref _out, x.Shape);
        ReadOnlySpan<T> xs = x.Span;
        var ys = y.Span;
        ReadOnlySpan<T> gamma = _parameters.Value(Gamma);
        ReadOnlySpan<T> beta = _parameters.Value(Beta);
        var runMean = _parameters.StateOf(RunningMean);
        var runVar = _parameters.StateOf(RunningVar);
        if (!training)
        {
            for (int ch = 0; ch < c; ch++)
            {
                T scale = gamma[ch] / T.Sqrt(runVar[ch] + T.CreateChecked(_eps));
                T shift = beta[ch] - runMean[ch] * scale;
                for (int i = 0; i < n; i++)
                {
                    int off = (i * c + ch) * hw;
                    var yp = ys.Slice(off, hw);
                    TensorPrimitives.Multiply(xs.Slice(off, hw), scale, yp);
                    TensorPrimitives.Add(yp, shift, yp);
                }
            }
            _hasForward = false;
            return y;
        }

        long m = (long)n * hw;
        if (m == 0) throw new ArgumentException($"spatial batchnorm '{Name}': a training-mode batch must contain at least one sample.");
        var xhat = Tensor<T>.Ensure(ref _xhat, x.Shape).Span;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += double.CreateTruncating(TensorPrimitives.Sum(xs.Slice((i * c + ch) * hw, hw)));
            double mean = sum / m;
            T meanT = T.CreateTruncating(mean);
            double sq = 0;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * hw;
                var xp = xhat.Slice(off, hw);
                TensorPrimitives.Subtract(xs.Slice(off, hw), meanT, xp);
                sq += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(xp));
            }
            double variance = sq / m;
            double invStd = 1.0 / Math.Sqrt(variance + _eps);
            _invStd[ch] = T.CreateTruncating(invStd);
            runMean[ch] = T.CreateTruncating(_momentum * double.CreateTruncating(runMean[ch]) + (1 - _momentum) * mean);
            runVar[ch] = T.CreateTruncating(_momentum * double.CreateTruncating(runVar[ch]) + (1 - _momentum) * variance);
            T invStdT = _invStd[ch], g = gamma[ch], b = beta[ch];
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * hw;
                var xp = xhat.Slice(off, hw);
                var yp = ys.Slice(off, hw);
                TensorPrimitives.Multiply(xp, invStdT, xp);
                TensorPrimitives.Multiply(xp, g, yp);
                TensorPrimitives.Add(yp, b, yp);
            }
        }
        _hasForward = true;
        return y;
    }

    /// <summary>dout: (N, C, H, W); writes dγ, dβ (C); returns dx (N, C, H, W).</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null || _xhat is null) throw LayerChecks.NoForward("spatial batchnorm", Name);
        LayerChecks.SameShape("spatial batchnorm", Name, dout, _out);
        var (n, c, hw) = CheckInput(dout.Shape);
        ReadOnlySpan<T> g = dout.Span;
        ReadOnlySpan<T> xhat = _xhat.Span;
        ReadOnlySpan<T> gamma = _parameters.Value(Gamma);
        var dgamma = _parameters.Grad(Gamma);
        var dbeta = _parameters.Grad(Beta);
        Span<T> dxs = PropagateGradient ? Tensor<T>.Ensure(ref _dx, dout.Shape).Span : default;
        double m = (double)n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * hw;
                var gp = g.Slice(off, hw);
                sumG += double.CreateTruncating(TensorPrimitives.Sum(gp));
                sumGx += double.CreateTruncating(TensorPrimitives.Dot(gp, xhat.Slice(off, hw)));
            }
            dbeta[ch] = T.CreateTruncating(sumG);
            dgamma[ch] = T.CreateTruncating(sumGx);
            if (!PropagateGradient) continue;
            // dx = k1·dout + k3·x̂ + k2 with k1 = γ/σ, k2 = −k1·Σdout/M, k3 = −k1·Σ(dout·x̂)/M.
            T k1 = gamma[ch] * _invStd[ch];
            double k1d = double.CreateTruncating(k1);
            T k2 = T.CreateTruncating(-k1d * sumG / m);
            T k3 = T.CreateTruncating(-k1d * sumGx / m);
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * hw;
                var r = dxs.Slice(off, hw);
                TensorPrimitives.Multiply(g.Slice(off, hw), k1, r);
                TensorPrimitives.MultiplyAdd(xhat.Slice(off, hw), k3, r, r);
                TensorPrimitives.Add(r, k2, r);
            }
        }
        return PropagateGradient ? _dx : null;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        CheckInput(inputShape);
        return inputShape.ToArray();
    }

    private (int N, int C, int HW) CheckInput(ReadOnlySpan<int> shape)
    {
        LayerChecks.Rank4("spatial batchnorm", Name, shape);
        if (shape[1] != Channels)
            throw new ArgumentException(
                $"spatial batchnorm '{Name}' was built for {Channels} channels but receives {Tensor<T>.ShapeString(shape)} with {shape[1]}; set its channel count to {shape[1]}.");
        return (shape[0], shape[1], shape[2] * shape[3]);
    }
}
