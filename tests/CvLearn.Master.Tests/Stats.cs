namespace CvLearn.Master.Tests;

/// <summary>Goodness-of-fit statistics with critical values computed (not tabulated) for a given α.</summary>
internal static class Stats
{
    /// <summary>
    /// One-sample Kolmogorov–Smirnov statistic D = sup|F_n − F| of <paramref name="samples"/> against <paramref name="cdf"/>.
    /// </summary>
    public static double KolmogorovSmirnov(IEnumerable<double> samples, Func<double, double> cdf)
    {
        var x = samples.OrderBy(v => v).ToArray();
        int n = x.Length;
        double d = 0;
        for (int i = 0; i < n; i++)
        {
            double f = cdf(x[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
        }

        return d;
    }

    /// <summary>Asymptotic KS critical value c(α)/√n with c(α) = √(−ln(α/2)/2) (≈1.95 for α = 0.001).</summary>
    public static double KsCritical(int n, double alpha) => Math.Sqrt(-0.5 * Math.Log(alpha / 2)) / Math.Sqrt(n);

    /// <summary>Pearson χ² statistic of observed counts against equal expected frequencies.</summary>
    public static double ChiSquareUniform(IReadOnlyList<int> counts)
    {
        double total = counts.Sum();
        double expected = total / counts.Count;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }

    /// <summary>Upper-α critical value of χ² with <paramref name="df"/> degrees of freedom, by bisection on <see cref="ChiSquareSurvival"/>.</summary>
    public static double ChiSquareCritical(int df, double alpha)
    {
        double lo = 0, hi = 10.0 * df + 100;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (ChiSquareSurvival(df, mid) > alpha) lo = mid;
            else hi = mid;
        }

        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// P(χ²_df &gt; x), exact closed forms for integer df: even df = 2k: e^(−x/2) Σ_{i&lt;k} (x/2)^i / i!;
    /// odd df: 2(1 − Φ(√x)) + e^(−x/2) √(2x/π) Σ_{i=1}^{(df−1)/2} x^(i−1) / (1·3·…·(2i−1)).
    /// </summary>
    public static double ChiSquareSurvival(int df, double x)
    {
        if (x <= 0) return 1;
        double sum = 0, term;
        if (df % 2 == 0)
        {
            term = 1;
            for (int i = 0; i < df / 2; i++)
            {
                sum += term;
                term *= x / 2 / (i + 1);
            }

            return Math.Exp(-x / 2) * sum;
        }

        term = 1;
        for (int i = 1; i <= (df - 1) / 2; i++)
        {
            sum += term;
            term *= x / (2 * i + 1);
        }

        return 2 * (1 - NormalCdf(Math.Sqrt(x))) + Math.Exp(-x / 2) * Math.Sqrt(2 * x / Math.PI) * sum;
    }

    /// <summary>Standard normal quantile by bisection on <see cref="NormalCdf"/>.</summary>
    public static double NormalQuantile(double p)
    {
        double lo = -10, hi = 10;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (NormalCdf(mid) < p) lo = mid;
            else hi = mid;
        }

        return 0.5 * (lo + hi);
    }

    /// <summary>Φ(x) via the complementary error function (Numerical Recipes erfc Chebyshev fit, |error| &lt; 1.2e-7).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
