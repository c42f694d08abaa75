using CvLearn.Core.Optim;

namespace CvLearn.Core.Tests.Optim;

/// <summary>
/// Each rule against the CS231n notes' formula, written out by hand here in double precision for a 3-element
/// vector over several steps (the float rule must agree to float rounding).
/// </summary>
public class UpdateRuleFormulaTests
{
    private static readonly double[] X0 = [1.0, -2.0, 0.5];
    private static readonly double[][] Grads = [[0.3, -0.1, 2.0], [-0.5, 0.2, 1.0], [0.1, 0.4, -3.0]];
    private const double Lr = 0.1;

    private static float[] Run(IUpdateRule rule, int steps)
    {
        var w = Array.ConvertAll(X0, v => (float)v);
        for (int s = 0; s < steps; s++) rule.Step(w, Array.ConvertAll(Grads[s], v => (float)v), (float)Lr);
        return w;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-6 * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact]
    public void SgdStepsDownTheGradient()
    {
        // x = [1, -2, 0.5]; step 1: x -= 0.1·[0.3, -0.1, 2] = [0.97, -1.99, 0.3];
        // step 2: x -= 0.1·[-0.5, 0.2, 1] = [1.02, -2.01, 0.2].
        AssertClose([0.97, -1.99, 0.3], Run(new Sgd(), 1));
        AssertClose([1.02, -2.01, 0.2], Run(new Sgd(), 2));
    }

    [Fact]
    public void MomentumMatchesNotes()
    {
        const double mu = 0.9;
        var x = (double[])X0.Clone();
        var v = new double[3];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < 3; i++)
            {
                v[i] = mu * v[i] - Lr * Grads[s][i];
                x[i] += v[i];
            }
            AssertClose(x, Run(new Momentum(mu), s + 1));
        }
        // Spot-check step 2 of element 0 by hand: v1 = −0.03, x1 = 0.97; v2 = 0.9·(−0.03) + 0.05 = 0.023, x2 = 0.993.
        AssertClose([0.993], [Run(new Momentum(mu), 2)[0]]);
    }

    [Fact]
    public void NesterovMatchesNotesLookAheadForm()
    {
        const double mu = 0.9;
        var x = (double[])X0.Clone();
        var v = new double[3];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < 3; i++)
            {
                double vPrev = v[i];
                v[i] = mu * v[i] - Lr * Grads[s][i];
                x[i] += -mu * vPrev + (1 + mu) * v[i];
            }
            AssertClose(x, Run(new NesterovMomentum(mu), s + 1));
        }
        // Element 0 by hand: step 1 v = −0.03, x = 1 + 1.9·(−0.03) = 0.943;
        // step 2 v = −0.027 + 0.05 = 0.023, x = 0.943 + 0.027 + 1.9·0.023 = 1.0137.
        AssertClose([1.0137], [Run(new NesterovMomentum(mu), 2)[0]]);
    }

    [Fact]
    public void AdagradMatchesNotes()
    {
        const double eps = 1e-8;
        var x = (double[])X0.Clone();
        var cache = new double[3];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < 3; i++)
            {
                double g = Grads[s][i];
                cache[i] += g * g;
                x[i] += -Lr * g / (Math.Sqrt(cache[i]) + eps);
            }
            AssertClose(x, Run(new Adagrad(eps), s + 1));
        }
        // Step 1 moves every element by lr·sign(g): [0.9, -1.9, 0.4].
        AssertClose([0.9, -1.9, 0.4], Run(new Adagrad(eps), 1));
    }

    [Fact]
    public void RmsPropMatchesNotes()
    {
        const double decay = 0.99, eps = 1e-8;
        var x = (double[])X0.Clone();
        var cache = new double[3];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < 3; i++)
            {
                double g = Grads[s][i];
                cache[i] = decay * cache[i] + (1 - decay) * g * g;
                x[i] += -Lr * g / (Math.Sqrt(cache[i]) + eps);
            }
            AssertClose(x, Run(new RmsProp(decay, eps), s + 1));
        }
        // Step 1: cache = 0.01·g², so the step is lr·g/(0.1·|g|) = sign(g): [0, -1, -0.5].
        AssertClose([0.0, -1.0, -0.5], Run(new RmsProp(decay, eps), 1));
    }

    [Fact]
    public void AdamMatchesNotesWithBiasCorrection()
    {
        const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var x = (double[])X0.Clone();
        var m = new double[3];
        var v = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            for (int i = 0; i < 3; i++)
            {
                double g = Grads[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                double mt = m[i] / (1 - Math.Pow(b1, t));
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double vt = v[i] / (1 - Math.Pow(b2, t));
                x[i] += -Lr * mt / (Math.Sqrt(vt) + eps);
            }
            var rule = new Adam(b1, b2, eps);
            AssertClose(x, Run(rule, t));
            Assert.Equal(t, rule.Steps);
        }
        // t = 1: mt = g and vt = g² exactly, so every element moves by lr·sign(g): [0.9, -1.9, 0.4].
        AssertClose([0.9, -1.9, 0.4], Run(new Adam(b1, b2, eps), 1));
        // t = 2, element 0 by hand: m = 0.9·0.03 − 0.05 = −0.023, mt = −0.023/0.19;
        // v = 0.999·9e-5 + 0.001·0.25 = 3.3991e-4, vt = 3.3991e-4/0.001999; x = 0.9 − 0.1·mt/√vt.
        double expected = 0.9 - 0.1 * (-0.023 / 0.19) / Math.Sqrt(3.3991e-4 / 0.001999);
        AssertClose([expected], [Run(new Adam(b1, b2, eps), 2)[0]]);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void VectorPathAgreesBitwiseWithScalarTail(string name)
    {
        // 37 elements: SIMD body plus a scalar tail. Element i of the long buffer and the same values placed alone
        // in a 1-element buffer (pure scalar path) must follow identical trajectories.
        const int n = 37;
        var rng = new Random(7);
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        var grads = new float[3][];
        for (int s = 0; s < 3; s++)
        {
            grads[s] = new float[n];
            for (int i = 0; i < n; i++) grads[s][i] = (float)(rng.NextDouble() * 2 - 1);
        }
        var wide = UpdateRules.Create(name);
        var big = (float[])w.Clone();
        for (int s = 0; s < 3; s++) wide.Step(big, grads[s], 0.01f);
        for (int i = 0; i < n; i++)
        {
            var single = UpdateRules.Create(name);
            var one = new[] { w[i] };
            for (int s = 0; s < 3; s++) single.Step(one, new[] { grads[s][i] }, 0.01f);
            Assert.Equal(one[0], big[i]);
        }
    }
}
