using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Multiclass SVM (Weston-Watkins) hinge: L = mean over the batch of Σ_{j≠y} max(0, s_j − s_y + margin), margin 1 by default.</summary>
public sealed class SvmLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public SvmLoss(double margin = 1.0) => throw new NotImplementedException();

    public T Compute(Tensor<T> scores, ReadOnlySpan<int> labels, Tensor<T> dscores) => throw new NotImplementedException();
}
