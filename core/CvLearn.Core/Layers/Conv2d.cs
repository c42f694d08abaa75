using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// 2-D convolution (cross-correlation, as in CS231n). x: (N, C, H, W); W: (F, C, HH, WW) with HH = WW = filterSize;
/// b: (F); out: (N, F, H', W') with H' = (H − HH + 2·pad)/stride + 1 (must divide exactly: otherwise a clear error).
/// </summary>
/// <remarks>
/// Implementation: im2col + GEMM, one image at a time. The column buffer of one image is K×P with K = C·HH·WW and
/// P = H'·W', so out_n (F×P) = W (F×K) · col (K×P) lands directly in NCHW order without a transpose, and memory stays
/// bounded by one image whatever the batch size. Backward recomputes each image's columns (im2col costs 1/F of the
/// GEMM) rather than keeping N of them: dW = Σ_n dout_n · col_nᵀ, dcol = Wᵀ · dout_n, dx_n = col2im(dcol).
/// </remarks>
public sealed class Conv2d<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _parameters;
    private Tensor<T>? _x;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private Tensor<T>? _col;
    private Tensor<T>? _dcol;

    /// <param name="parameters">Set to register "name.W" (F, C, HH, WW) and "name.b" (F) in.</param>
    /// <param name="name">Layer name, prefix of its parameter names.</param>
    /// <param name="inChannels">C, channels of the input.</param>
    /// <param name="filters">F, number of filters (output channels).</param>
    /// <param name="filterSize">HH = WW, the square filter's side.</param>
    /// <param name="stride">Step between filter positions (≥ 1).</param>
    /// <param name="pad">Zero padding on each border (≥ 0).</param>
    public Conv2d(ParameterSet<T> parameters, string name, int inChannels, int filters, int filterSize, int stride = 1, int pad = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"conv2d '{name}': input channels must be at least 1.");
        if (filters < 1) throw new ArgumentOutOfRangeException(nameof(filters), filters, $"conv2d '{name}': filter count must be at least 1.");
        if (filterSize < 1) throw new ArgumentOutOfRangeException(nameof(filterSize), filterSize, $"conv2d '{name}': filter size must be at least 1.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"conv2d '{name}': stride must be at least 1.");
        if (pad < 0) throw new ArgumentOutOfRangeException(nameof(pad), pad, $"conv2d '{name}': padding must not be negative.");
        _parameters = parameters;
        Name = name;
        InChannels = inChannels;
        Filters = filters;
        FilterSize = filterSize;
        Stride = stride;
        Pad = pad;
        int fanIn = inChannels * filterSize * filterSize;
        int fanOut = filters * filterSize * filterSize;
        Weight = parameters.Add(name + ".W", [filters, inChannels, filterSize, filterSize], ParameterRole.Weight, fanIn, fanOut);
        Bias = parameters.Add(name + ".b", [filters], ParameterRole.Bias, fanIn, fanOut);
    }

    public string Name { get; }
    public int InChannels { get; }
    public int Filters { get; }
    public int FilterSize { get; }
    public int Stride { get; }
    public int Pad { get; }
    /// <summary>W: (F, C, HH, WW).</summary>
    public ParameterInfo Weight { get; }
    /// <summary>b: (F).</summary>
    public ParameterInfo Bias { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: (N, C, H, W); returns (N, F, H', W'). In training, caches a reference to x.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var (n, h, w, ho, wo) = Geometry(x.Shape);
        int c = InChannels, f = Filters, k = c * FilterSize * FilterSize, p = ho * wo, imageSize = c * h * w;
        var y = Tensor<T>.Ensure(ref _out, n, f, ho, wo);
        var col = Tensor<T>.Ensure(ref _col, k, p).Span;
        ReadOnlySpan<T> wts = _parameters.Value(Weight);
        ReadOnlySpan<T> b = _parameters.Value(Bias);
        ReadOnlySpan<T> xs = x.Span;
        var ys = y.Span;
        for (int i = 0; i < n; i++)
        {
            Im2Col(xs.Slice(i * imageSize, imageSize), h, w, ho, wo, col);
            var yi = ys.Slice(i * f * p, f * p);
            Gemm.Multiply(false, false, f, p, k, T.One, wts, k, col, p, T.Zero, yi, p);
            for (int j = 0; j < f; j++)
            {
                var plane = yi.Slice(j * p, p);
                TensorPrimitives.Add(plane, b[j], plane);
            }
        }
        _x = training ? x : null;
        return y;
    }

    /// <summary>dout: (N, F, H', W'); writes dW, db; returns dx (N, C, H, W), or null when not propagating.</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (_x is null || _out is null) throw LayerChecks.NoForward("conv2d", Name);
        LayerChecks.SameShape("conv2d", Name, dout, _out);
        var (n, h, w, ho, wo) = Geometry(_x.Shape);
        int c = InChannels, f = Filters, k = c * FilterSize * FilterSize, p = ho * wo, imageSize = c * h * w;
        var col = Tensor<T>.Ensure(ref _col, k, p).Span;
        var dW = _parameters.Grad(Weight);
        var db = _parameters.Grad(Bias);
        db.Clear();
        ReadOnlySpan<T> wts = _parameters.Value(Weight);
        ReadOnlySpan<T> xs = _x.Span;
        ReadOnlySpan<T> g = dout.Span;
        Span<T> dxs = default, dcol = default;
        if (PropagateGradient)
        {
            dxs = Tensor<T>.Ensure(ref _dx, _x.Shape).Span;
            dcol = Tensor<T>.Ensure(ref _dcol, k, p).Span;
        }
        if (n == 0) dW.Clear();
        for (int i = 0; i < n; i++)
        {
            var gi = g.Slice(i * f * p, f * p);
            Im2Col(xs.Slice(i * imageSize, imageSize), h, w, ho, wo, col);
            // The first image overwrites dW (beta = 0), later ones accumulate: no separate clearing pass.
            Gemm.Multiply(false, true, f, k, p, T.One, gi, p, col, p, i == 0 ? T.Zero : T.One, dW, k);
            for (int j = 0; j < f; j++) db[j] += TensorPrimitives.Sum(gi.Slice(j * p, p));
            if (!PropagateGradient) continue;
            Gemm.Multiply(true, false, k, p, f, T.One, wts, k, gi, p, T.Zero, dcol, p);
            Col2Im(dcol, h, w, ho, wo, dxs.Slice(i * imageSize, imageSize));
        }
        return PropagateGradient ? _dx : null;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (n, _, _, ho, wo) = Geometry(inputShape);
        return [n, Filters, ho, wo];
    }

    /// <summary>Validates (N, C, H, W) against this layer and returns the output geometry.</summary>
    private (int N, int H, int W, int Ho, int Wo) Geometry(ReadOnlySpan<int> shape)
    {
        LayerChecks.Rank4("conv2d", Name, shape);
        if (shape[1] != InChannels)
            throw new ArgumentException(
                $"conv2d '{Name}' was built for {InChannels} input channels but receives {Tensor<T>.ShapeString(shape)} with {shape[1]}; set its input channels to {shape[1]}.");
        int ho = OutputSide("H", shape[2]);
        int wo = OutputSide("W", shape[3]);
        return (shape[0], shape[2], shape[3], ho, wo);
    }

    private int OutputSide(string axis, int size)
    {
        int span = size - FilterSize + 2 * Pad;
        if (span >= 0 && span % Stride == 0) return span / Stride + 1;
        // The message is built only on failure: Forward validates every minibatch and must not allocate.
        string formula = $"({axis} − F + 2P)/S + 1 = ({size} − {FilterSize} + {2 * Pad})/{Stride} + 1";
        if (span < 0)
            throw new ArgumentException(
                $"conv2d '{Name}': {formula} is negative: the {FilterSize}×{FilterSize} filter is larger than the padded input ({size + 2 * Pad}); use a smaller filter or more padding.");
        throw new ArgumentException($"conv2d '{Name}': {formula} is not an integer; change filter size, padding or stride.");
    }

    /// <summary>
    /// Unrolls one image (C, H, W) into col (K, P): row (c, kh, kw) holds, for every output position (oh, ow), the input
    /// pixel x[c, oh·S − pad + kh, ow·S − pad + kw], or 0 where that falls in the padding.
    /// </summary>
    private void Im2Col(ReadOnlySpan<T> x, int h, int w, int ho, int wo, Span<T> col)
    {
        int fs = FilterSize, s = Stride, pad = Pad, p = ho * wo;
        int row = 0;
        for (int c = 0; c < InChannels; c++)
        {
            var plane = x.Slice(c * h * w, h * w);
            for (int kh = 0; kh < fs; kh++)
            {
                for (int kw = 0; kw < fs; kw++, row++)
                {
                    var dst = col.Slice(row * p, p);
                    // Output columns whose input column iw = ow·S − pad + kw lies inside [0, w).
                    int owLo = ValidStart(pad - kw, s), owHi = Math.Min(wo, ValidEnd(w - 1 + pad - kw, s));
                    for (int oh = 0; oh < ho; oh++)
                    {
                        var d = dst.Slice(oh * wo, wo);
                        int ih = oh * s - pad + kh;
                        if ((uint)ih >= (uint)h || owLo >= owHi)
                        {
                            d.Clear();
                            continue;
                        }
                        var src = plane.Slice(ih * w, w);
                        d[..owLo].Clear();
                        if (s == 1)
                        {
                            src.Slice(owLo - pad + kw, owHi - owLo).CopyTo(d[owLo..owHi]);
                        }
                        else
                        {
                            for (int ow = owLo, iw = owLo * s - pad + kw; ow < owHi; ow++, iw += s) d[ow] = src[iw];
                        }
                        d[owHi..].Clear();
                    }
                }
            }
        }
    }

    /// <summary>Adjoint of <see cref="Im2Col"/>: overwrites dx (C, H, W) with the sum of each pixel's column entries.</summary>
    private void Col2Im(ReadOnlySpan<T> col, int h, int w, int ho, int wo, Span<T> dx)
    {
        int fs = FilterSize, s = Stride, pad = Pad, p = ho * wo;
        dx.Clear();
        int row = 0;
        for (int c = 0; c < InChannels; c++)
        {
            var plane = dx.Slice(c * h * w, h * w);
            for (int kh = 0; kh < fs; kh++)
            {
                for (int kw = 0; kw < fs; kw++, row++)
                {
                    var src = col.Slice(row * p, p);
                    int owLo = ValidStart(pad - kw, s), owHi = Math.Min(wo, ValidEnd(w - 1 + pad - kw, s));
                    if (owLo >= owHi) continue;
                    for (int oh = 0; oh < ho; oh++)
                    {
                        int ih = oh * s - pad + kh;
                        if ((uint)ih >= (uint)h) continue;
                        var d = plane.Slice(ih * w, w);
                        var g = src.Slice(oh * wo, wo);
                        if (s == 1)
                        {
                            var target = d.Slice(owLo - pad + kw, owHi - owLo);
                            TensorPrimitives.Add(target, g[owLo..owHi], target);
                        }
                        else
                        {
                            for (int ow = owLo, iw = owLo * s - pad + kw; ow < owHi; ow++, iw += s) d[iw] += g[ow];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Smallest ow ≥ 0 with ow·s ≥ lo.</summary>
    private static int ValidStart(int lo, int s) => lo <= 0 ? 0 : (lo + s - 1) / s;

    /// <summary>One past the largest ow with ow·s ≤ hi (0 when hi &lt; 0).</summary>
    private static int ValidEnd(int hi, int s) => hi < 0 ? 0 : hi / s + 1;
}
