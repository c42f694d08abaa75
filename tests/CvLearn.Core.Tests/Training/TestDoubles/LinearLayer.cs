using CvLearn.Core.Layers;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Training.TestDoubles;

/// <summary>
/// Test-only affine layer: flattens (N, ...) to (N, D) and computes x·W + b with W (D, C), b (C). Plain loops,
/// reused output tensors, so the Solver tests neither depend on the real layers nor see allocations from them.
/// </summary>
internal sealed class LinearLayer : ILayer<float>
{
    private readonly ParameterSet<float> _set;
    private readonly ParameterInfo _w;
    private readonly ParameterInfo _b;
    private readonly int _in;
    private readonly int _out;
    private readonly int[] _outShape = new int[2];
    private readonly int[] _inShape;
    private Tensor<float>? _x;
    private Tensor<float>? _y;
    private Tensor<float>? _dx;

    public LinearLayer(string name, ParameterSet<float> set, int inputs, int outputs)
    {
        Name = name;
        _set = set;
        _in = inputs;
        _out = outputs;
        _inShape = new int[2];
        _w = set.Add(name + ".W", [inputs, outputs], ParameterRole.Weight, inputs, outputs);
        _b = set.Add(name + ".b", [outputs], ParameterRole.Bias);
    }

    public string Name { get; }
    public bool PropagateGradient { get; set; } = true;

    public Tensor<float> Forward(Tensor<float> x, bool training)
    {
        int n = x.Dim(0);
        if (x.SampleSize != _in) throw new ArgumentException($"{Name}: expected {_in} features, got {x.SampleSize}.");
        _x = x;
        _outShape[0] = n;
        _outShape[1] = _out;
        var y = Tensor<float>.Ensure(ref _y, _outShape);
        var w = _set.Value(_w);
        var b = _set.Value(_b);
        var xs = x.Span;
        var ys = y.Span;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < _out; j++)
            {
                float s = b[j];
                for (int k = 0; k < _in; k++) s += xs[i * _in + k] * w[k * _out + j];
                ys[i * _out + j] = s;
            }
        return y;
    }

    public Tensor<float>? Backward(Tensor<float> dout)
    {
        var x = _x ?? throw new InvalidOperationException("Backward before Forward.");
        int n = x.Dim(0);
        var xs = x.Span;
        var d = dout.Span;
        var dw = _set.Grad(_w);
        var db = _set.Grad(_b);
        dw.Clear();
        db.Clear();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < _out; j++)
            {
                float g = d[i * _out + j];
                db[j] += g;
                for (int k = 0; k < _in; k++) dw[k * _out + j] += xs[i * _in + k] * g;
            }
        if (!PropagateGradient) return null;
        _inShape[0] = n;
        _inShape[1] = _in;
        var dx = Tensor<float>.Ensure(ref _dx, _inShape);
        var w = _set.Value(_w);
        var dxs = dx.Span;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < _in; k++)
            {
                float s = 0;
                for (int j = 0; j < _out; j++) s += d[i * _out + j] * w[k * _out + j];
                dxs[i * _in + k] = s;
            }
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        int d = 1;
        for (int i = 1; i < inputShape.Length; i++) d *= inputShape[i];
        if (d != _in) throw new ArgumentException($"{Name}: expected {_in} features per sample, got {d}.");
        return [inputShape[0], _out];
    }
}
