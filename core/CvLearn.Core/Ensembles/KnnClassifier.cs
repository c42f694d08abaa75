using CvLearn.Core.Data;
using CvLearn.Core.Models;

namespace CvLearn.Core.Ensembles;

/// <summary>A trained <see cref="KNearestNeighbor"/> as an <see cref="IClassifier"/> (probabilities = vote fractions).</summary>
public sealed class KnnClassifier : IClassifier
{
    public KnnClassifier(KNearestNeighbor knn, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(knn);
        if (knn.TrainCount == 0) throw new ArgumentException("Train the kNN model before wrapping it as a classifier.", nameof(knn));
        Knn = knn;
        Name = name ?? $"knn:{knn.K}" + (knn.Metric == DistanceMetric.L1 ? ":l1" : "");
    }

    public KNearestNeighbor Knn { get; }
    public string Name { get; }
    public int Classes => Knn.Classes;

    public void PredictProbabilities(LabeledImages data, float[] probabilities, CancellationToken cancellationToken) =>
        Knn.PredictProbabilities(data, probabilities, cancellationToken);

    public override string ToString() => Name;
}
