using CvLearn.Core.Models;
using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Layers;

/// <summary>Seeded random tensors and parameter initialization for layer tests.</summary>
internal static class TestData
{
    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static Tensor<double> Randn(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = new Tensor<double>(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = Gaussian(rng);
        return t;
    }

    /// <summary>Random values whose magnitude is at least <paramref name="minAbs"/>: keeps ReLU-like kinks out of reach of ±h.</summary>
    public static Tensor<double> AwayFromZero(int seed, double minAbs, params int[] shape)
    {
        var rng = new Random(seed);
        var t = new Tensor<double>(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            double v = Gaussian(rng);
            s[i] = Math.CopySign(minAbs + Math.Abs(v), v);
        }
        return t;
    }

    /// <summary>Freezes the set and fills every parameter with N(0, std²) (scales centred on 1).</summary>
    public static void Init(ParameterSet<double> ps, int seed, double std = 1.0)
    {
        ps.Freeze();
        var rng = new Random(seed);
        foreach (var p in ps.Parameters)
        {
            var v = ps.Value(p);
            for (int i = 0; i < v.Length; i++)
                v[i] = (p.Role == ParameterRole.Scale ? 1.0 : 0.0) + std * Gaussian(rng);
        }
    }

    public static int[] Labels(int seed, int n, int classes)
    {
        var rng = new Random(seed);
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rng.Next(classes);
        return y;
    }
}
