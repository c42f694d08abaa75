using CvLearn.Core.Data;

namespace CvLearn.Core.Ensembles;

/// <summary>Anything that gives class probabilities for images: a trained network, kNN, an ensemble.</summary>
public interface IClassifier
{
    /// <summary>Number of classes C.</summary>
    int Classes { get; }

    /// <summary>
    /// Writes class probabilities for every image of <paramref name="data"/> into <paramref name="probabilities"/>
    /// (N × C row-major, N = data.Count; each row sums to 1). The data must already be preprocessed the way the
    /// classifier was trained (e.g. mean-subtracted).
    /// </summary>
    void PredictProbabilities(LabeledImages data, float[] probabilities, CancellationToken cancellationToken);
}
