using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// Fully-connected layer. x: (N, D) or (N, d1, ..., dk) flattened to D = d1·…·dk; W: (D, M); b: (M);
/// out: (N, M) = x·W + b. Backward: dW = xᵀ·dout (D, M), db = Σ_rows dout (M), dx = dout·Wᵀ reshaped to x's shape.
/// </summary>
public sealed class Affine<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _parameters;
    private Tensor<T>? _x;
    private Tensor<T>? _out;
    private Tensor<T>? _dx;

    /// <param name="parameters">Set to register "name.W" (D, M) and "name.b" (M) in.</param>
    /// <param name="name">Layer name, prefix of its parameter names.</param>
    /// <param name="inputSize">D, features per sample (product of the non-batch input dimensions).</param>
    /// <param name="outputSize">M, output units.</param>
    public Affine(ParameterSet<T> parameters, string name, int inputSize, int outputSize)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"affine '{name}': input size must be at least 1.");
        if (outputSize < 1) throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, $"affine '{name}': output size must be at least 1.");
        _parameters = parameters;
        Name = name;
        InputSize = inputSize;
        OutputSize = outputSize;
        Weight = parameters.Add(name + ".W", [inputSize, outputSize], ParameterRole.Weight, inputSize, outputSize);
        Bias = parameters.Add(name + ".b", [outputSize], ParameterRole.Bias, inputSize, outputSize);
    }

    public string Name { get; }
    public int InputSize { get; }
    public int OutputSize { get; }
    /// <summary>W: (D, M).</summary>
    public ParameterInfo Weight { get; }
    /// <summary>b: (M).</summary>
    public ParameterInfo Bias { get; }
    public bool PropagateGradient { get; set; } = true;

    /// <summary>x: (N, d1, ..., dk) with d1·…·dk = D; returns (N, M). In training, caches a reference to x.</summary>
    public Tensor<T> Forward(Tensor<T> x, bool training)
    {
        int n = CheckInput(x.Shape);
        int d = InputSize, m = OutputSize;
        var y = Tensor<T>.Ensure(ref _out, n, m);
        ReadOnlySpan<T> w = _parameters.Value(Weight);
        ReadOnlySpan<T> b = _parameters.Value(Bias);
        Gemm.Multiply(false, false, n, m, d, T.One, x.Span, d, w, m, T.Zero, y.Span, m);
        var ys = y.Span;
        for (int i = 0; i < n; i++)
        {
            var row = ys.Slice(i * m, m);
            TensorPrimitives.Add(row, b, row);
        }
        _x = training ? x : null;
        return y;
    }

    /// <summary>dout: (N, M); writes dW, db; returns dx with x's shape (or null when not propagating).</summary>
    public Tensor<T>? Backward(Tensor<T> dout)
    {
        if (_x is null || _out is null) throw LayerChecks.NoForward("affine", Name);
        LayerChecks.SameShape("affine", Name, dout, _out);
        int n = dout.Dim(0), d = InputSize, m = OutputSize;
        ReadOnlySpan<T> g = dout.Span;

        Gemm.Multiply(true, false, d, m, n, T.One, _x.Span, d, g, m, T.Zero, _parameters.Grad(Weight), m);

        var db = _parameters.Grad(Bias);
        db.Clear();
        for (int i = 0; i < n; i++) TensorPrimitives.Add(db, g.Slice(i * m, m), db);

        if (!PropagateGradient) return null;
        var dx = Tensor<T>.Ensure(ref _dx, _x.Shape);
        Gemm.Multiply(false, true, n, d, m, T.One, g, m, _parameters.Value(Weight), m, T.Zero, dx.Span, d);
        return dx;
    }

    public int[] OutputShape(ReadOnlySpan<int> inputShape) => [CheckInput(inputShape), OutputSize];

    /// <summary>Validates the input shape and returns N.</summary>
    private int CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"affine '{Name}' expects a batched input (N, ...) of rank ≥ 2, got {Tensor<T>.ShapeString(shape)}.");
        long features = 1;
        for (int i = 1; i < shape.Length; i++) features *= shape[i];
        if (features != InputSize)
            throw new ArgumentException(
                $"affine '{Name}' was built for {InputSize} input features but receives {Tensor<T>.ShapeString(shape)} = {features} per sample; set its input size to {features}.");
        return shape[0];
    }
}
