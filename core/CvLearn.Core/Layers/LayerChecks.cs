using System.Numerics;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Layers;

/// <summary>Shared argument checks with messages that name the layer and say how to fix the problem.</summary>
internal static class LayerChecks
{
    /// <summary>Throws when Backward is called without a preceding training-mode Forward.</summary>
    public static InvalidOperationException NoForward(string kind, string name) =>
        new($"{kind} '{name}': Backward called without a preceding training-mode Forward (call Forward(x, training: true) first).");

    /// <summary>Checks that dout has the shape of the layer's last output.</summary>
    public static void SameShape<T>(string kind, string name, Tensor<T> dout, Tensor<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!dout.HasShape(output.Shape))
            throw new ArgumentException(
                $"{kind} '{name}': upstream gradient has shape {Tensor<T>.ShapeString(dout.Shape)} but the last forward output was {Tensor<T>.ShapeString(output.Shape)}.",
                nameof(dout));
    }

    /// <summary>Checks an NCHW input of rank 4 with at least one sample.</summary>
    public static void Rank4(string kind, string name, ReadOnlySpan<int> shape)
    {
        if (shape.Length != 4)
            throw new ArgumentException($"{kind} '{name}' expects input (N, C, H, W), got {Tensor<float>.ShapeString(shape)}; put it after an image input or another convolutional layer, not after a fully-connected one.");
    }

    /// <summary>Checks a batched input of rank ≥ 1.</summary>
    public static void Batched(string kind, string name, ReadOnlySpan<int> shape)
    {
        if (shape.Length < 1)
            throw new ArgumentException($"{kind} '{name}' expects a batched input (N, ...), got a scalar shape ().");
    }
}
