using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Softmax cross-entropy: L = mean over the batch of −log(softmax(s)[y]), computed stably (shift by the row max).</summary>
public sealed class SoftmaxLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public SoftmaxLoss() => throw new NotImplementedException();

    public T Compute(Tensor<T> scores, ReadOnlySpan<int> labels, Tensor<T> dscores) => throw new NotImplementedException();
}
