using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Inverted dropout: in training each unit is zeroed with probability dropProbability and survivors are scaled by 1/(1 − p); identity at test time. Any shape.</summary>
public sealed class Dropout<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Dropout(string name, double dropProbability, int seed) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
