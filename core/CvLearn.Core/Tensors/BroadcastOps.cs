using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CvLearn.Core.Tensors;

/// <summary>
/// Vectorised broadcast/reduction helpers that layers share: adding a bias (per column of a row-major matrix, or
/// per channel of an NCHW tensor) and the matching bias-gradient reductions. Single-threaded and with a fixed
/// summation order, so results are deterministic. For other elementwise work use
/// <see cref="System.Numerics.Tensors.TensorPrimitives"/> directly (alias it: our own type is also named Tensor).
/// </summary>
public static class BroadcastOps
{
    /// <summary>
    /// matrix[i, j] += row[j] for every row i. <paramref name="matrix"/> is rows×cols row-major (fully-connected
    /// output N×D plus bias of length D).
    /// </summary>
    public static void AddRowVector<T>(Span<T> matrix, int rows, int cols, ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMatrix(matrix.Length, rows, cols, nameof(matrix));
        CheckVector(row.Length, cols, nameof(row), "cols");
        row = row[..cols];
        for (int i = 0; i < rows; i++)
        {
            Span<T> r = matrix.Slice(i * cols, cols);
            TensorPrimitives.Add(r, row, r);
        }
    }

    /// <summary>
    /// sums[j] = Σ_i matrix[i, j] (or += when <paramref name="accumulate"/>): the bias gradient of a
    /// fully-connected layer from dY (rows×cols). Rows are added in order 0..rows-1.
    /// </summary>
    public static void SumColumns<T>(ReadOnlySpan<T> matrix, int rows, int cols, Span<T> sums, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMatrix(matrix.Length, rows, cols, nameof(matrix));
        CheckVector(sums.Length, cols, nameof(sums), "cols");
        sums = sums[..cols];
        if (!accumulate) sums.Clear();
        for (int i = 0; i < rows; i++) TensorPrimitives.Add(sums, matrix.Slice(i * cols, cols), sums);
    }

    /// <summary>
    /// x[n, c, s] += bias[c] for an NCHW tensor viewed as batch×channels×spatial (spatial = H·W): convolution bias.
    /// </summary>
    public static void AddChannelBias<T>(Span<T> x, int batch, int channels, int spatial, ReadOnlySpan<T> bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckNchw(x.Length, batch, channels, spatial, nameof(x));
        CheckVector(bias.Length, channels, nameof(bias), "channels");
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                Span<T> plane = x.Slice((n * channels + c) * spatial, spatial);
                TensorPrimitives.Add(plane, bias[c], plane);
            }
        }
    }

    /// <summary>
    /// sums[c] = Σ_{n,s} x[n, c, s] (or += when <paramref name="accumulate"/>): the convolution bias gradient from
    /// dY viewed as batch×channels×spatial. Each plane is summed, then planes are added in batch order.
    /// </summary>
    public static void SumChannels<T>(ReadOnlySpan<T> x, int batch, int channels, int spatial, Span<T> sums, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckNchw(x.Length, batch, channels, spatial, nameof(x));
        CheckVector(sums.Length, channels, nameof(sums), "channels");
        if (!accumulate) sums[..channels].Clear();
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                sums[c] += TensorPrimitives.Sum(x.Slice((n * channels + c) * spatial, spatial));
    }

    private static void CheckMatrix(int length, int rows, int cols, string name)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"Negative matrix size {rows}×{cols}.", name);
        if ((long)rows * cols > length)
            throw new ArgumentException($"{name} has {length} elements but {rows}×{cols} = {(long)rows * cols} are needed.", name);
    }

    private static void CheckNchw(int length, int batch, int channels, int spatial, string name)
    {
        if (batch < 0 || channels < 0 || spatial < 0) throw new ArgumentException($"Negative size {batch}×{channels}×{spatial}.", name);
        long need = (long)batch * channels * spatial;
        if (need > length)
            throw new ArgumentException($"{name} has {length} elements but batch×channels×spatial = {batch}×{channels}×{spatial} = {need} are needed.", name);
    }

    private static void CheckVector(int length, int needed, string name, string what)
    {
        if (length < needed)
            throw new ArgumentException($"{name} has {length} elements but must have at least {what} = {needed}.", name);
    }
}
