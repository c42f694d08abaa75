using CvLearn.Core.Layers;
using CvLearn.Core.Tensors;
using CvLearn.Core.Training;

namespace CvLearn.Core.Tests.Training.TestDoubles;

/// <summary>Test-only identity layer that records the seeds the Solver gives it (stands in for Dropout).</summary>
internal sealed class SeedRecorder : ILayer<float>, IStochasticLayer
{
    public List<int> Seeds { get; } = new();
    public string Name => "seeds";
    public bool PropagateGradient { get; set; } = true;
    public Tensor<float> Forward(Tensor<float> x, bool training) => x;
    public Tensor<float>? Backward(Tensor<float> dout) => PropagateGradient ? dout : null;
    public int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
    public void Reseed(int seed) => Seeds.Add(seed);
}
