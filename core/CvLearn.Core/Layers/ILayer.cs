using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>
/// One layer as a forward/backward pair (CS231n's layers.py). A layer registers its parameters in the model's
/// <see cref="Models.ParameterSet{T}"/> when constructed and reads/writes them through that set.
/// Tensors returned by Forward/Backward are owned by the layer and stay valid until its next call; they are
/// reused across minibatches, so steady-state training allocates nothing.
/// </summary>
public interface ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Unique name in the model (prefix of its parameter names).</summary>
    string Name { get; }

    /// <summary>
    /// When false, <see cref="Backward"/> need not compute dL/dx (set on a model's first layer, where nobody
    /// needs it) and may return null.
    /// </summary>
    bool PropagateGradient { get; set; }

    /// <summary>Forward pass. In training mode the layer caches what <see cref="Backward"/> needs.</summary>
    Tensor<T> Forward(Tensor<T> x, bool training);

    /// <summary>
    /// Backward pass for the last training-mode Forward: given dL/dout, writes (overwrites, does not add)
    /// the gradients of this layer's parameters into the parameter set, and returns dL/dx.
    /// </summary>
    Tensor<T>? Backward(Tensor<T> dout);

    /// <summary>Output shape for an input shape (batch dimension included), with a clear error when it does not fit.</summary>
    int[] OutputShape(ReadOnlySpan<int> inputShape);
}

/// <summary>A classification loss on scores.</summary>
public interface ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// scores: (N, C); labels: N class indices in [0, C). Returns the mean data loss over the batch and writes
    /// dL/dscores (N, C) into <paramref name="dscores"/>, which is resized as needed.
    /// </summary>
    T Compute(Tensor<T> scores, ReadOnlySpan<int> labels, Tensor<T> dscores);
}
