using CvLearn.Core.Layers;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Training.TestDoubles;

/// <summary>Test-only softmax cross-entropy: mean over the batch of −log p[label]; dscores = (p − onehot)/N.</summary>
internal sealed class SoftmaxCrossEntropy : ILoss<float>
{
    public float Compute(Tensor<float> scores, ReadOnlySpan<int> labels, Tensor<float> dscores)
    {
        int n = scores.Dim(0), c = scores.Dim(1);
        dscores.Resize(scores.Shape);
        var s = scores.Span;
        var d = dscores.Span;
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            float max = float.NegativeInfinity;
            for (int j = 0; j < c; j++) max = MathF.Max(max, s[i * c + j]);
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.Exp(s[i * c + j] - max);
            double logSum = Math.Log(sum) + max;
            loss += logSum - s[i * c + labels[i]];
            for (int j = 0; j < c; j++)
                d[i * c + j] = (float)((Math.Exp(s[i * c + j] - logSum) - (j == labels[i] ? 1 : 0)) / n);
        }
        return (float)(loss / n);
    }
}
