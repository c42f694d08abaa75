using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Input validation shared by the losses.</summary>
internal static class LossChecks
{
    /// <summary>Checks scores (N, C) against N labels in [0, C); returns (N, C).</summary>
    public static (int N, int C) Check<T>(string kind, Tensor<T> scores, ReadOnlySpan<int> labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scores.Rank != 2)
            throw new ArgumentException($"{kind}: scores must be (N, C) class scores, got {Tensor<T>.ShapeString(scores.Shape)}; end the network with an affine layer producing C outputs.", nameof(scores));
        int n = scores.Dim(0), c = scores.Dim(1);
        if (c < 1) throw new ArgumentException($"{kind}: scores have no classes (shape {Tensor<T>.ShapeString(scores.Shape)}).", nameof(scores));
        if (labels.Length != n)
            throw new ArgumentException($"{kind}: {labels.Length} labels for a batch of {n} score rows; pass exactly one label per sample.", nameof(labels));
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)c)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i],
                    $"{kind}: label {labels[i]} of sample {i} is outside [0, {c}); labels must be class indices below the number of classes ({c}).");
        }
        return (n, c);
    }
}
