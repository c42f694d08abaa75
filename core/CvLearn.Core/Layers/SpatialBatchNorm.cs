using System.Numerics;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Spatial batch normalization. x: (N, C, H, W); statistics per channel over N, H, W; γ, β: (C).</summary>
public sealed class SpatialBatchNorm<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public SpatialBatchNorm(ParameterSet<T> parameters, string name, int channels, double momentum = 0.9, double eps = 1e-5) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
