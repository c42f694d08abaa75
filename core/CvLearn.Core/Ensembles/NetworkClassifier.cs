using CvLearn.Core.Data;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;
using CvLearn.Core.Training;

namespace CvLearn.Core.Ensembles;

/// <summary>
/// A trained network as an <see cref="IClassifier"/>: softmax of its eval-mode scores (dropout off, batchnorm on
/// running statistics), computed batch by batch. For SVM-trained networks the softmax of the scores is used as a
/// calibrated-enough probability for averaging. Calls are serialised (a network's layers keep per-call buffers).
/// </summary>
public sealed class NetworkClassifier : IClassifier
{
    private readonly Network<float> _network;
    private readonly int _batchSize;
    private readonly Lock _lock = new();
    private Tensor<float>? _batch;

    /// <param name="network">A trained network.</param>
    /// <param name="batchSize">Images per forward pass (memory vs. overhead).</param>
    /// <param name="name">Display name, e.g. the checkpoint file name.</param>
    public NetworkClassifier(Network<float> network, int batchSize = 256, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        _network = network;
        _batchSize = batchSize;
        Name = name ?? "network";
    }

    public string Name { get; }
    public int Classes => _network.Classes;
    public Network<float> Network => _network;

    public void PredictProbabilities(LabeledImages data, float[] probabilities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probabilities);
        var shape = _network.InputShape;
        if (!data.ImageShape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"The network expects images of {Tensor<float>.ShapeString(shape)}, the data has {Tensor<float>.ShapeString(data.ImageShape)}.", nameof(data));
        int c = Classes;
        if (probabilities.Length < (long)data.Count * c)
            throw new ArgumentException($"The probability buffer needs {data.Count}×{c} elements, has {probabilities.Length}.", nameof(probabilities));

        int d = data.SampleSize;
        lock (_lock)
        {
            for (int start = 0; start < data.Count; start += _batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = Math.Min(_batchSize, data.Count - start);
                var x = Tensor<float>.Ensure(ref _batch, n, shape[0], shape[1], shape[2]);
                data.Pixels.AsSpan(start * d, n * d).CopyTo(x.Span);
                var scores = _network.Scores(x, training: false).Span;
                for (int i = 0; i < n; i++) Evaluation.Softmax(scores.Slice(i * c, c), probabilities.AsSpan((start + i) * c, c));
            }
        }
    }

    public override string ToString() => Name;
}
