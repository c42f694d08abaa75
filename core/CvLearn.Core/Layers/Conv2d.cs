using System.Numerics;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>2-D convolution. x: (N, C, H, W); W: (F, C, HH, WW); b: (F); out: (N, F, H', W') with H' = (H − HH + 2·pad)/stride + 1 (must divide exactly: otherwise a clear error).</summary>
public sealed class Conv2d<T> : ILayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Conv2d(ParameterSet<T> parameters, string name, int inChannels, int filters, int filterSize, int stride = 1, int pad = 0) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();
    public bool PropagateGradient { get; set; } = true;
    public Tensor<T> Forward(Tensor<T> x, bool training) => throw new NotImplementedException();
    public Tensor<T>? Backward(Tensor<T> dout) => throw new NotImplementedException();
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotImplementedException();
}
