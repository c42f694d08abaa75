using CvLearn.Core.Data;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Ensembles;

[Trait("Category", "RequiresLayers")]
public class NetworkClassifierTests
{
    [Fact]
    public void SoftmaxOfEvalScoresIndependentOfBatching()
    {
        var net = ModelFactory.CreateNetwork<float>(ModelSpec.Parse("fc:16,bn,dropout=0.5"), [1, 4, 4], 3, new ModelBuildOptions { Seed = 9 });
        var rng = new GaussianRandom(4);
        var px = new float[10 * 16];
        rng.FillGaussian<float>(px, 1.0);
        var labels = new int[10];
        var data = new LabeledImages(px, labels, 1, 4, 4, 3);

        var small = new float[30];
        new NetworkClassifier(net, batchSize: 3).PredictProbabilities(data, small, CancellationToken.None);
        var whole = new float[30];
        new NetworkClassifier(net, batchSize: 100).PredictProbabilities(data, whole, CancellationToken.None);
        for (int i = 0; i < 30; i++) Assert.Equal(whole[i], small[i], 5);

        var scores = net.Scores(new Tensor<float>(px, 10, 1, 4, 4), training: false).Span;
        for (int i = 0; i < 10; i++)
        {
            double z = 0;
            for (int j = 0; j < 3; j++) z += Math.Exp(scores[i * 3 + j]);
            for (int j = 0; j < 3; j++) Assert.Equal(Math.Exp(scores[i * 3 + j]) / z, whole[i * 3 + j], 5);
        }
        Assert.Throws<ArgumentException>(() => new NetworkClassifier(net).PredictProbabilities(
            new LabeledImages(new float[9], [0], 1, 3, 3, 3), new float[3], CancellationToken.None));
    }
}
