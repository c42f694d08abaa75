using System.Numerics;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Fully-connected layer. x: (N, D) or (N, d1, ..., dk) flattened to D = d1·…·dk; W: (D, M); b: (M); out: (N, M) = x·W + b.</summary>
public sealed class Affine<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Affine(ParameterSet<T> parameters, string name, int inputSize, int outputSize) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
