using System.Globalization;

namespace CvLearn.Master.Search;

/// <summary>
/// Compact, culture-invariant number formatting for messages and ids: "0.25", "128", "1e-6", "9.1e-2".
/// Hyperparameters span many decades, so small/large magnitudes use scientific notation with a short mantissa.
/// </summary>
public static class NumberFormat
{
    /// <summary>Formats <paramref name="x"/> with at most <paramref name="digits"/> significant digits.</summary>
    public static string Short(double x, int digits = 3)
    {
        if (double.IsNaN(x)) return "NaN";
        if (double.IsPositiveInfinity(x)) return "inf";
        if (double.IsNegativeInfinity(x)) return "-inf";
        if (x == 0) return "0";
        double a = Math.Abs(x);
        if (a >= 1e-3 && a < 1e5)
        {
            return x.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        string mantissa = "0." + new string('#', Math.Max(0, digits - 1));
        return x.ToString(mantissa + "e-0", CultureInfo.InvariantCulture);
    }

    /// <summary>Formats a range as "[lo, hi]".</summary>
    public static string Range(double lo, double hi, int digits = 3) => $"[{Short(lo, digits)}, {Short(hi, digits)}]";
}
