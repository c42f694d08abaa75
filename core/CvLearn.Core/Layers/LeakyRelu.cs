using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Leaky ReLU: out = x if x > 0 else alpha·x, any shape.</summary>
public sealed class LeakyRelu<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public LeakyRelu(string name, double alpha = 0.01) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
