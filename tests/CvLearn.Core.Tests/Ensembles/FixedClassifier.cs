using CvLearn.Core.Data;
using CvLearn.Core.Ensembles;

namespace CvLearn.Core.Tests.Ensembles;

/// <summary>A test double that returns fixed probabilities for a data set of the expected size.</summary>
internal sealed class FixedClassifier(float[] probabilities, int classes, string name = "fixed") : IClassifier
{
    public int Calls { get; private set; }
    public int Classes => classes;

    public void PredictProbabilities(LabeledImages data, float[] destination, CancellationToken cancellationToken)
    {
        Assert.Equal(probabilities.Length, data.Count * classes);
        Calls++;
        probabilities.CopyTo(destination, 0);
    }

    public override string ToString() => name;

    /// <summary>Dummy images (content irrelevant to fixed classifiers) with the given labels.</summary>
    public static LabeledImages Data(int[] labels, int classes) => new(new float[labels.Length], labels, 1, 1, 1, classes);
}
