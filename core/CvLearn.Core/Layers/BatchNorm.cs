using System.Numerics;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Batch normalization over features. x: (N, D); γ, β: (D). Training uses batch statistics and updates running mean/var with momentum; test mode uses the running statistics.</summary>
public sealed class BatchNorm<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public BatchNorm(ParameterSet<T> parameters, string name, int features, double momentum = 0.9, double eps = 1e-5) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
