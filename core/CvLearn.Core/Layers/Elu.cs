using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>ELU: out = x if x > 0 else alpha·(exp(x) − 1), any shape.</summary>
public sealed class Elu<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Elu(string name, double alpha = 1.0) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
