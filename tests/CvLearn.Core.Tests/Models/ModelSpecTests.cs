using CvLearn.Core.Models;

namespace CvLearn.Core.Tests.Models;

public class ModelSpecTests
{
    [Theory]
    [InlineData("knn:5", "knn:5")]
    [InlineData("knn:5:l2", "knn:5")]
    [InlineData("KNN:7:L1", "knn:7:l1")]
    [InlineData("linear:softmax", "linear:softmax")]
    [InlineData("linear:svm", "linear:svm")]
    [InlineData("linear:svm,init=xavier", "linear:svm")]
    [InlineData("linear:svm,init=gauss:0.001", "linear:svm,init=gauss:0.001")]
    [InlineData("fc:256", "fc:256")]
    [InlineData(" fc: 512 - 256 ", "fc:512-256")]
    [InlineData("fc:512-256,dropout=0.3,act=elu,bn", "fc:512-256,bn,act=elu,dropout=0.3")]
    [InlineData("fc:100,act=relu,init=he,loss=softmax,dropout=0", "fc:100")]
    [InlineData("fc:100,act=tanh,init=xavier", "fc:100,act=tanh")]
    [InlineData("fc:100,act=tanh,init=he", "fc:100,act=tanh,init=he")]
    [InlineData("conv:32-pool-64-pool-fc128", "conv:32-pool-64-pool-fc128")]
    [InlineData("conv:32-POOL-64-pool-FC128,loss=svm,init=gauss:1e-2", "conv:32-pool-64-pool-fc128,init=gauss:0.01,loss=svm")]
    [InlineData("conv:16-16-pool,act=leaky", "conv:16-16-pool,act=leaky")]
    public void ParseGivesCanonicalFormAndRoundTrips(string input, string canonical)
    {
        var spec = ModelSpec.Parse(input);
        Assert.Equal(canonical, spec.ToString());
        var again = ModelSpec.Parse(spec.ToString());
        Assert.Equal(spec, again);
        Assert.Equal(canonical, again.ToString());
    }

    [Fact]
    public void ParsedFieldsMatchTheSpec()
    {
        var fc = ModelSpec.Parse("fc:512-256,bn,act=elu,dropout=0.3,loss=svm");
        Assert.Equal(ModelKind.FullyConnected, fc.Kind);
        Assert.Equal([HiddenLayer.Fc(512), HiddenLayer.Fc(256)], fc.Hidden);
        Assert.True(fc.BatchNorm);
        Assert.Equal(ActivationKind.Elu, fc.Activation);
        Assert.Equal(0.3, fc.Dropout);
        Assert.Equal(LossKind.Svm, fc.Loss);
        Assert.Equal(Initialization.He, fc.EffectiveInitialization);

        var conv = ModelSpec.Parse("conv:32-pool-64-pool-fc128");
        Assert.Equal([HiddenLayer.Conv(32), HiddenLayer.Pool, HiddenLayer.Conv(64), HiddenLayer.Pool, HiddenLayer.Fc(128)], conv.Hidden);
        Assert.False(conv.BatchNorm);
        Assert.Equal(LossKind.Softmax, conv.Loss);

        var knn = ModelSpec.Parse("knn:5:l1");
        Assert.Equal((ModelKind.Knn, 5, DistanceMetric.L1), (knn.Kind, knn.K, knn.Metric));
        Assert.False(knn.IsNetwork);

        Assert.Equal(DistanceMetric.L2, ModelSpec.Parse("knn:3").Metric);
        Assert.Equal(LossKind.Svm, ModelSpec.Parse("linear:svm").Loss);
        Assert.Equal(Initialization.Xavier, ModelSpec.Parse("linear:svm").EffectiveInitialization);
        Assert.Equal(Initialization.Gaussian(0.05), ModelSpec.Parse("fc:10,init=gauss:0.05").EffectiveInitialization);
    }

    [Theory]
    [InlineData("fc:", "")]
    [InlineData("fc:abc", "abc")]
    [InlineData("fc:256-", "")]
    [InlineData("conv:32-pol", "pol")]
    [InlineData("conv:pool-32", "pool")]
    [InlineData("conv:32-fc64-pool", "pool")]
    [InlineData("conv:32-fcx", "x")]
    [InlineData("mlp:3", "mlp")]
    [InlineData("knn:0", "0")]
    [InlineData("knn:5:l3", "l3")]
    [InlineData("knn:5,bn", "bn")]
    [InlineData("linear:hinge", "hinge")]
    [InlineData("linear:svm,bn", "bn")]
    [InlineData("fc:256,act=swish", "swish")]
    [InlineData("fc:256,dropout=1", "1")]
    [InlineData("fc:256,dropout=-0.1", "-0.1")]
    [InlineData("fc:256,init=gauss:0", "0")]
    [InlineData("fc:256,init=orthogonal", "orthogonal")]
    [InlineData("fc:256,bogus", "bogus")]
    [InlineData("fc:256,bn,bn", "bn")]
    [InlineData("fc:99999999", "99999999")]
    [InlineData("fc", "fc")]
    [InlineData("", "")]
    public void MalformedSpecsAreRejectedWithGrammarAndToken(string input, string token)
    {
        var ex = Assert.Throws<ModelSpecFormatException>(() => ModelSpec.Parse(input));
        Assert.Equal(token, ex.Token);
        Assert.Contains("Model spec grammar:", ex.Message);
        Assert.Contains("Examples:", ex.Message);
        Assert.Contains($"'{input}'", ex.Message);
        if (token.Length > 0) Assert.Contains($"'{token}'", ex.Problem);
        Assert.False(ModelSpec.TryParse(input, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void ErrorMarksTheOffendingTokenWithCarets()
    {
        var ex = Assert.Throws<ModelSpecFormatException>(() => ModelSpec.Parse("conv:32-pol"));
        var lines = ex.Message.Split(Environment.NewLine);
        int specLine = Array.FindIndex(lines, l => l == "    conv:32-pol");
        Assert.True(specLine > 0, ex.Message);
        Assert.Equal("            ^^^", lines[specLine + 1]);
        Assert.Equal(8, ex.Position);
    }

    [Fact]
    public void ProgrammaticConstructionMatchesParsing()
    {
        var built = ModelSpec.Convolutional([HiddenLayer.Conv(32), HiddenLayer.Pool, HiddenLayer.Fc(128)], batchNorm: true, dropout: 0.5);
        Assert.Equal(ModelSpec.Parse("conv:32-pool-fc128,bn,dropout=0.5"), built);
        Assert.Equal("fc:10,dropout=0.25", ModelSpec.Parse("fc:10").WithDropout(0.25).ToString());
        Assert.Throws<ArgumentException>(() => ModelSpec.Convolutional([HiddenLayer.Pool, HiddenLayer.Conv(3)]));
        Assert.Throws<InvalidOperationException>(() => ModelSpec.Parse("knn:1").WithDropout(0.5));
    }
}
