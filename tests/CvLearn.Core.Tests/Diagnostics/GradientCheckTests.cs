using CvLearn.Core.Diagnostics;
using CvLearn.Core.Layers;
using CvLearn.Core.Tensors;
using CvLearn.Core.Tests.Layers;

namespace CvLearn.Core.Tests.Diagnostics;

/// <summary>The checker itself: its formula, and that it catches wrong gradients (otherwise the layer tests prove nothing).</summary>
public class GradientCheckTests
{
    [Fact]
    public void RelativeErrorFollowsTheNotes()
    {
        Assert.Equal(0.0, GradientCheck.RelativeError(0, 0));
        Assert.Equal(0.1 / 1.1, GradientCheck.RelativeError(1.0, 1.1), 1e-15);
        Assert.Equal(0.1 / 1.1, GradientCheck.RelativeError(-1.1, -1.0), 1e-15);
        Assert.Equal(2.0, GradientCheck.RelativeError(1, -1));
        Assert.Equal(1.0, GradientCheck.RelativeError(0, 1e-20));
        Assert.True(double.IsNaN(GradientCheck.RelativeError(double.NaN, 1)));
    }

    [Fact]
    public void CenteredDifferenceIsSecondOrderAccurateAndRestoresTheValue()
    {
        double[] v = [2.0, 5.0];
        double d = GradientCheck.NumericDerivative(() => v[0] * v[0] * v[0] + v[1], v, 0);
        Assert.Equal(12.0, d, 1e-8); // one-sided differences would be off by ~3h·2 = 6e-5
        Assert.Equal(2.0, v[0]);
    }

    [Fact]
    public void DetectsAWrongBackward()
    {
        var report = GradientCheck.Layer(new WrongTanh("bad"), null, TestData.Randn(70, 3, 4));
        Assert.True(report.MaxRelativeError > 0.1, report.ToString());
    }

    [Fact]
    public void DropoutWithoutReseedingIsNotDeterministic()
    {
        // Documents why beforeForward exists: a fresh mask on every evaluation breaks the finite differences.
        var drop = new Dropout<double>("drop", 0.5, seed: 1);
        var report = GradientCheck.Layer(drop, null, TestData.Randn(71, 4, 8), checks: 16);
        Assert.True(report.MaxRelativeError > 1e-3, report.ToString());
    }

    [Fact]
    public void ReportNamesTheWorstEntry()
    {
        var report = GradientCheck.Layer(new WrongTanh("bad"), null, TestData.Randn(72, 2, 2));
        Assert.Contains("worst dx[", report.ToString());
        Assert.Equal(4, report.Samples.Count);
        Assert.Equal(report.MaxRelativeError, report.MaxRelativeErrorOf("dx"));
    }

    /// <summary>tanh whose backward forgets the square in 1 − y².</summary>
    private sealed class WrongTanh(string name) : ILayer<double>
    {
        private readonly Tensor<double> _out = new(1);
        private Tensor<double>? _dx;

        public string Name => name;
        public bool PropagateGradient { get; set; } = true;

        public Tensor<double> Forward(Tensor<double> x, bool training)
        {
            _out.Resize(x.Shape);
            for (int i = 0; i < x.Length; i++) _out.Span[i] = Math.Tanh(x.Span[i]);
            return _out;
        }

        public Tensor<double>? Backward(Tensor<double> dout)
        {
            var dx = Tensor<double>.Ensure(ref _dx, dout.Shape);
            for (int i = 0; i < dout.Length; i++) dx.Span[i] = dout.Span[i] * (1 - _out.Span[i]);
            return dx;
        }

        public int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
    }
}
