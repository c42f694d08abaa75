using CvLearn.Master.Config;
using CvLearn.Master.Search;

namespace CvLearn.Master.Scheduling;

/// <summary>The next stage's prior for one parameter, the border warning (if any) and the updated envelope.</summary>
public sealed record NarrowingResult(IDistribution Distribution, IReadOnlyList<BorderWarning> Warnings, IDistribution Envelope);

/// <summary>
/// Coarse-to-fine for one parameter. All geometry is in search coordinates (log10 for log-uniform), with W the width
/// of the range the finished stage sampled from:
/// <list type="number">
/// <item>span the top trials' values [min, max] and widen by <see cref="NarrowingOptions.MarginFraction"/> × span on
/// each side; if narrower than <see cref="NarrowingOptions.MinWidthFraction"/> × W, widen around the centre to that;</item>
/// <item>border rule: an edge is "hit" when the best trial's value, or at least half of the top values, lie within
/// <see cref="NarrowingOptions.BorderFraction"/> × W of it. A hit edge is pushed past the old edge by at least
/// <see cref="NarrowingOptions.LogExtensionDecades"/> decades (log) or <see cref="NarrowingOptions.LinearExtensionFraction"/> × W
/// (linear), limited by the parameter's hard limits (<see cref="ParameterInfo.ExtendMin"/>/<see cref="ParameterInfo.ExtendMax"/>);</item>
/// <item>an edge that is not hit is clipped to the envelope — the hull of the original config range and every
/// earlier stage's range (so an extension made earlier is not undone); the window slides rather than shrinks when
/// it overhangs;</item>
/// <item>integers round outward; a collapsed range becomes fixed. Choices keep only the values the top trials used;
/// fixed values stay.</item>
/// </list>
/// The result always contains every top value.
/// </summary>
public static class RangeNarrower
{
    /// <summary>
    /// Narrows <paramref name="current"/> (the prior stage <paramref name="stage"/> sampled from) around
    /// <paramref name="topValues"/> (best trial first). With no top values the prior is returned unchanged.
    /// </summary>
    public static NarrowingResult Narrow(
        string name,
        IDistribution current,
        IDistribution envelope,
        IReadOnlyList<ParamValue> topValues,
        int stage,
        bool hasNextStage,
        NarrowingOptions options)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(topValues);
        ArgumentNullException.ThrowIfNull(options);
        if (topValues.Count == 0) return new NarrowingResult(current, [], envelope);

        switch (current)
        {
            case Choice choice:
                return new NarrowingResult(choice.Restrict(topValues), [], envelope);
            case INumericRange range:
                return NarrowNumeric(name, range, envelope as INumericRange ?? range, topValues, stage, hasNextStage, options);
            default:
                return new NarrowingResult(current, [], envelope);
        }
    }

    private static NarrowingResult NarrowNumeric(
        string name, INumericRange cur, INumericRange env, IReadOnlyList<ParamValue> topValues, int stage, bool hasNextStage, NarrowingOptions o)
    {
        int n = topValues.Count;
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = topValues[i].AsNumber();
        double vMin = values.Min(), vMax = values.Max();

        double tLo = cur.ToSearch(cur.Low), tHi = cur.ToSearch(cur.High), w = tHi - tLo;
        double eLo = Math.Min(env.ToSearch(env.Low), tLo), eHi = Math.Max(env.ToSearch(env.High), tHi);
        double sMin = cur.ToSearch(vMin), sMax = cur.ToSearch(vMax), span = sMax - sMin;

        double a = sMin - o.MarginFraction * span, b = sMax + o.MarginFraction * span;
        double minWidth = o.MinWidthFraction * w;
        if (b - a < minWidth)
        {
            double c = 0.5 * (sMin + sMax);
            a = c - 0.5 * minWidth;
            b = c + 0.5 * minWidth;
        }

        // Border detection against the range the stage sampled from.
        double zone = o.BorderFraction * w;
        double best = cur.ToSearch(values[0]);
        int nearLow = 0, nearHigh = 0;
        foreach (double v in values)
        {
            double s = cur.ToSearch(v);
            if (s <= tLo + zone) nearLow++;
            if (s >= tHi - zone) nearHigh++;
        }

        bool bestLow = best <= tLo + zone, bestHigh = best >= tHi - zone;
        bool hitLow = bestLow || (n >= 2 && 2 * nearLow >= n);
        bool hitHigh = bestHigh || (n >= 2 && 2 * nearHigh >= n);

        // Hard limits for extension (never cut the configured envelope or a top value).
        ParameterCatalog.TryGet(name, out var info);
        double hardLo = eLo, hardHi = eHi;
        if (info is not null)
        {
            if (!cur.IsLogScale || info.ExtendMin > 0) hardLo = Math.Min(eLo, cur.ToSearch(info.ExtendMin));
            hardHi = Math.Max(eHi, cur.ToSearch(info.ExtendMax));
        }

        double extension = cur.IsLogScale ? o.LogExtensionDecades : o.LinearExtensionFraction * w;
        bool extendedLow = false, extendedHigh = false;
        if (hitLow && hasNextStage)
        {
            double target = Math.Max(tLo - extension, hardLo);
            extendedLow = target < tLo;
            a = Math.Min(a, target);
        }

        if (hitHigh && hasNextStage)
        {
            double target = Math.Min(tHi + extension, hardHi);
            extendedHigh = target > tHi;
            b = Math.Max(b, target);
        }

        // Slide an overhanging window back inside its limits: the envelope on edges that were not extended, the
        // parameter's hard limits on extended ones (the margin alone may reach past them).
        double lowLimit = extendedLow ? hardLo : eLo, highLimit = extendedHigh ? hardHi : eHi;
        if (a < lowLimit)
        {
            b += lowLimit - a;
            a = lowLimit;
        }

        if (b > highLimit)
        {
            a -= b - highLimit;
            b = highLimit;
        }

        a = Math.Max(a, lowLimit);

        // Back to value space; pad by the top values so round-off can never exclude them.
        double lo = Math.Min(cur.FromSearch(a), vMin), hi = Math.Max(cur.FromSearch(b), vMax);
        var next = cur.WithBounds(lo, hi);

        var warnings = new List<BorderWarning>(2);
        if (hitLow) warnings.Add(Warning(BorderEdge.Low, bestLow, nearLow, extendedLow));
        if (hitHigh) warnings.Add(Warning(BorderEdge.High, bestHigh, nearHigh, extendedHigh));

        var newEnvelope = Hull(env, next);
        return new NarrowingResult(next, warnings, newEnvelope);

        BorderWarning Warning(BorderEdge edge, bool bestNear, int near, bool extended) =>
            new(name, stage, edge, bestNear ? values[0] : (edge == BorderEdge.High ? vMax : vMin), cur.Low, cur.High,
                bestNear, near, n, extended, hasNextStage);
    }

    /// <summary>The smallest range of <paramref name="envelope"/>'s kind containing both.</summary>
    private static IDistribution Hull(INumericRange envelope, IDistribution next)
    {
        if (next is not INumericRange r) return envelope;
        double lo = Math.Min(envelope.Low, r.Low), hi = Math.Max(envelope.High, r.High);
        return lo == envelope.Low && hi == envelope.High ? envelope : envelope.WithBounds(lo, hi);
    }
}
