using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Max pooling. x: (N, C, H, W); out: (N, C, H', W') with H' = (H − size)/stride + 1 (must divide exactly).</summary>
public sealed class MaxPool<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public MaxPool(string name, int size = 2, int stride = 2) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
