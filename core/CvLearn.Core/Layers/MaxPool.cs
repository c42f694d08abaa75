using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Max pooling. x: (N, C, H, W); out: (N, C, H', W') with H' = (H − size)/stride + 1 (must divide exactly).
/// Training-mode forward records, for every output element, the flat index of its maximum in x (the first maximum on
/// ties); backward routes each upstream gradient to that element only (accumulating where windows overlap).
/// </summary>
public sealed class MaxPool<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _out;
    private Tensor<T>? _dx;
    private int[] _argmax = [];
    private int[]? _inputShape;
    private bool _hasForward;

    /// <param name="name">Layer name.</param>
    /// <param name="size">Side of the square pooling window (≥ 1).</param>
    /// <param name="stride">Step between windows (≥ 1).</param>
    public MaxPool(string name, int size = 2, int stride = 2)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, $"max-pool '{name}': window size must be at least 1.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"max-pool '{name}': stride must be at least 1.");
        Name = name;
        Size = size;
        Stride = stride;
    }

    public string Name { get; }
    public int Size { get; }
    public int Stride { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: (N, C, H, W); returns (N, C, H', W').</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        var (n, c, h, w, ho, wo) = Geometry(x.Shape);
        var y = Tensor<T>.Ensure(ref _out, n, c, ho, wo);
        int count = y.Length;
        if (training && _argmax.Length < count) _argmax = new int[count];
        Span<int> arg = training ? _argmax.AsSpan(0, count) : default;
        ReadOnlySpan<T> xs = x.Span;
        var ys = y.Span;
        int planes = n * c;
        if (Size == 2 && Stride == 2) Pool2x2(xs, ys, arg, training, planes, h, w, ho, wo);
        else PoolGeneral(xs, ys, arg, training, planes, h, w, ho, wo);
        _hasForward = training;
        if (training)
        {
            if (_inputShape is null || _inputShape.Length != 4) _inputShape = new int[4];
            x.Shape.CopyTo(_inputShape);
        }
        return y;
    }

    /// <summary>dout: (N, C, H', W'); returns dx (N, C, H, W), zero except at each window's argmax.</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (!_hasForward || _out is null || _inputShape is null) throw LayerChecks.NoForward("max-pool", Name);
        LayerChecks.SameShape("max-pool", Name, dout, _out);
        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, _inputShape);
        var dxs = dx.Span;
        dxs.Clear();
        ReadOnlySpan<T> g = dout.Span;
        ReadOnlySpan<int> arg = _argmax.AsSpan(0, g.Length);
        for (int i = 0; i < g.Length; i++) dxs[arg[i]] += g[i];
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (n, c, _, _, ho, wo) = Geometry(inputShape);
        return [n, c, ho, wo];
    }

    /// <summary>The common case: non-overlapping 2×2 windows, unrolled.</summary>
    private static void Pool2x2(ReadOnlySpan<T> x, Span<T> y, Span<int> arg, bool training, int planes, int h, int w, int ho, int wo)
    {
        int o = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int planeBase = pl * h * w;
            for (int oh = 0; oh < ho; oh++)
            {
                int r0 = planeBase + 2 * oh * w, r1 = r0 + w;
                for (int ow = 0; ow < wo; ow++, o++)
                {
                    int i0 = r0 + 2 * ow, i1 = i0 + 1, i2 = r1 + 2 * ow, i3 = i2 + 1;
                    int best = i0;
                    T m = x[i0];
                    if (x[i1] > m) { m = x[i1]; best = i1; }
                    if (x[i2] > m) { m = x[i2]; best = i2; }
                    if (x[i3] > m) { m = x[i3]; best = i3; }
                    y[o] = m;
                    if (training) arg[o] = best;
                }
            }
        }
    }

    private void PoolGeneral(ReadOnlySpan<T> x, Span<T> y, Span<int> arg, bool training, int planes, int h, int w, int ho, int wo)
    {
        int size = Size, s = Stride, o = 0;
        for (int pl = 0; pl < planes; pl++)
        {
            int planeBase = pl * h * w;
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < wo; ow++, o++)
                {
                    int start = planeBase + oh * s * w + ow * s;
                    int best = start;
                    T m = x[start];
                    for (int dh = 0; dh < size; dh++)
                    {
                        int rowStart = start + dh * w;
                        for (int dw = 0; dw < size; dw++)
                        {
                            T v = x[rowStart + dw];
                            if (v > m) { m = v; best = rowStart + dw; }
                        }
                    }
                    y[o] = m;
                    if (training) arg[o] = best;
                }
            }
        }
    }

    private (int N, int C, int H, int W, int Ho, int Wo) Geometry(ReadOnlySpan<int> shape)
    {
        LayerChecks.Rank4("max-pool", Name, shape);
        return (shape[0], shape[1], shape[2], shape[3], OutputSide("H", shape[2]), OutputSide("W", shape[3]));
    }

    private int OutputSide(string axis, int size)
    {
        int span = size - Size;
        if (span >= 0 && span % Stride == 0) return span / Stride + 1;
        // The message is built only on failure: Forward validates every minibatch and must not allocate.
        string formula = $"({axis} − size)/stride + 1 = ({size} − {Size})/{Stride} + 1";
        if (span < 0)
            throw new ArgumentException($"max-pool '{Name}': {formula} is negative: the {Size}×{Size} window is larger than the input; use a smaller window or remove a pooling layer.");
        throw new ArgumentException($"max-pool '{Name}': {formula} is not an integer; change the window size or stride, or the padding of the convolution before it.");
    }
}
