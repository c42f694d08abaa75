using System.Globalization;
using System.Text.RegularExpressions;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// Checkpoint file names carry the validation accuracy, as in CS231n: "val0.8734_ep05.ckpt" (4 decimals, epoch
/// zero-padded to at least 2 digits). Ordinal name order is accuracy order, then epoch order for epochs below 100;
/// use <see cref="Compare"/> when epochs may reach 100.
/// </summary>
public static partial class CheckpointName
{
    public const string Extension = ".ckpt";

    /// <summary>"val{acc:0.0000}_ep{epoch:00}.ckpt".</summary>
    /// <exception cref="ArgumentOutOfRangeException">Accuracy outside [0, 1] or NaN; negative epoch.</exception>
    public static string Format(double valAccuracy, int epoch)
    {
        if (!(valAccuracy >= 0 && valAccuracy <= 1))
            throw new ArgumentOutOfRangeException(nameof(valAccuracy), valAccuracy, "Validation accuracy must be a fraction in [0, 1] (not a percentage).");
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "Epoch must be ≥ 0.");
        return "val" + valAccuracy.ToString("0.0000", CultureInfo.InvariantCulture) + "_ep" + epoch.ToString("00", CultureInfo.InvariantCulture) + Extension;
    }

    /// <summary>Parses a name produced by <see cref="Format"/> (a leading directory/key path is ignored).</summary>
    public static bool TryParse(string name, out double valAccuracy, out int epoch)
    {
        valAccuracy = 0;
        epoch = 0;
        if (name is null) return false;
        int slash = name.LastIndexOf('/');
        string file = slash >= 0 ? name[(slash + 1)..] : name;
        Match m = NamePattern().Match(file);
        if (!m.Success) return false;
        if (!double.TryParse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out valAccuracy) || valAccuracy > 1)
            return false;
        return int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out epoch);
    }

    /// <summary>Orders names by accuracy, then epoch (ascending); unparsable names sort first, by ordinal.</summary>
    public static int Compare(string a, string b)
    {
        bool pa = TryParse(a, out double accA, out int epA), pb = TryParse(b, out double accB, out int epB);
        if (pa != pb) return pa ? 1 : -1;
        if (!pa) return string.CompareOrdinal(a, b);
        int c = accA.CompareTo(accB);
        return c != 0 ? c : epA.CompareTo(epB);
    }

    [GeneratedRegex(@"^val([01]\.[0-9]{4})_ep([0-9]{2,9})\.ckpt$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
