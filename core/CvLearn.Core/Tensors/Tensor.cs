using System.Numerics;

namespace CvLearn.Core.Tensors;

/// <summary>
/// A dense, row-major (NCHW for images) array of <typeparamref name="T"/> with a shape.
/// The backing buffer may be larger than <see cref="Length"/>: <see cref="Resize"/> reuses it when it is big
/// enough, so layers can keep one output tensor per layer and never allocate per minibatch in steady state.
/// Generic so that the same layer code runs in float32 for training and in float64 for gradient checks.
/// </summary>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _buffer;
    private int[] _shape;

    /// <summary>Creates a zero-filled tensor of the given shape.</summary>
    public Tensor(params ReadOnlySpan<int> shape)
    {
        _shape = shape.ToArray();
        Length = CheckedLength(shape);
        _buffer = new T[Length];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied); its length must be at least the shape's element count.</summary>
    public Tensor(T[] data, params ReadOnlySpan<int> shape)
    {
        _shape = shape.ToArray();
        Length = CheckedLength(shape);
        if (data.Length < Length)
            throw new ArgumentException($"Buffer of {data.Length} elements is too small for shape {ShapeString(shape)}.", nameof(data));
        _buffer = data;
    }

    /// <summary>Number of elements in the current shape.</summary>
    public int Length { get; private set; }

    /// <summary>The current shape. Do not mutate.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Size of dimension <paramref name="axis"/>.</summary>
    public int Dim(int axis) => _shape[axis];

    /// <summary>The elements of the current shape.</summary>
    public Span<T> Span => _buffer.AsSpan(0, Length);

    /// <summary>The raw backing array (may be longer than <see cref="Length"/>).</summary>
    public T[] Buffer => _buffer;

    /// <summary>Product of all dimensions after the first (features per sample).</summary>
    public int SampleSize => _shape.Length == 0 ? 1 : (_shape[0] == 0 ? 0 : Length / _shape[0]);

    /// <summary>Changes the shape without touching the data; the element count must stay the same.</summary>
    public Tensor<T> Reshape(params ReadOnlySpan<int> shape)
    {
        int n = CheckedLength(shape);
        if (n != Length)
            throw new ArgumentException($"Cannot reshape {ShapeString(_shape)} ({Length} elements) to {ShapeString(shape)} ({n} elements).");
        SetShape(shape);
        return this;
    }

    /// <summary>
    /// Changes the shape, reusing the buffer when it is large enough (contents are then unspecified).
    /// Allocates only when the buffer must grow.
    /// </summary>
    public Tensor<T> Resize(params ReadOnlySpan<int> shape)
    {
        int n = CheckedLength(shape);
        if (n > _buffer.Length) _buffer = new T[n];
        Length = n;
        SetShape(shape);
        return this;
    }

    /// <summary>Returns <paramref name="cached"/> resized to <paramref name="shape"/>, creating it when null.</summary>
    public static Tensor<T> Ensure(ref Tensor<T>? cached, params ReadOnlySpan<int> shape)
    {
        if (cached is null) cached = new Tensor<T>(shape);
        else cached.Resize(shape);
        return cached;
    }

    /// <summary>True when the shape equals <paramref name="shape"/>.</summary>
    public bool HasShape(params ReadOnlySpan<int> shape) => _shape.AsSpan().SequenceEqual(shape);

    /// <summary>A deep copy with an exact-size buffer.</summary>
    public Tensor<T> Clone()
    {
        var t = new Tensor<T>(_shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => Span.Clear();

    /// <summary>Element at a multi-dimensional index (for tests and diagnostics, not hot paths).</summary>
    public T this[params ReadOnlySpan<int> index]
    {
        get => _buffer[Offset(index)];
        set => _buffer[Offset(index)] = value;
    }

    /// <summary>Converts between element types (float ↔ double), e.g. to run gradient checks in double precision.</summary>
    public Tensor<TOut> Cast<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var t = new Tensor<TOut>(_shape);
        var src = Span;
        var dst = t.Span;
        for (int i = 0; i < src.Length; i++) dst[i] = TOut.CreateTruncating(src[i]);
        return t;
    }

    public override string ToString() => $"Tensor<{typeof(T).Name}>{ShapeString(_shape)}";

    /// <summary>Formats a shape as (2, 3, 4).</summary>
    public static string ShapeString(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "(" + string.Join(", ", parts) + ")";
    }

    private int Offset(ReadOnlySpan<int> index)
    {
        if (index.Length != _shape.Length)
            throw new ArgumentException($"Index of rank {index.Length} for tensor of rank {_shape.Length}.");
        int offset = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i])
                throw new IndexOutOfRangeException($"Index {index[i]} out of range for axis {i} of size {_shape[i]}.");
            offset = offset * _shape[i] + index[i];
        }
        return offset;
    }

    private void SetShape(ReadOnlySpan<int> shape)
    {
        if (_shape.Length == shape.Length) shape.CopyTo(_shape);
        else _shape = shape.ToArray();
    }

    private static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape {ShapeString(shape)}.");
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentException($"Shape {ShapeString(shape)} is too large.");
        }
        return (int)n;
    }
}
