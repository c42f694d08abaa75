using System.Globalization;
using System.Text.RegularExpressions;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// Storage keys of checkpoints: "&lt;experiment&gt;/trial-0042/val0.8734_ep05.ckpt". Keys are '/'-separated relative
/// paths; the same key works on a file system and in a blob container. Validation rejects anything that could escape
/// a store's root or another experiment's prefix.
/// </summary>
public static partial class CheckpointKey
{
    /// <summary>The key of a trial's checkpoint.</summary>
    public static string For(string experiment, int trialNumber, double valAccuracy, int epoch)
        => TrialPrefix(experiment, trialNumber) + CheckpointName.Format(valAccuracy, epoch);

    /// <summary>"&lt;experiment&gt;/trial-0042/": the prefix listing one trial's checkpoints.</summary>
    public static string TrialPrefix(string experiment, int trialNumber)
    {
        ValidateExperiment(experiment);
        if (trialNumber < 0) throw new ArgumentOutOfRangeException(nameof(trialNumber), trialNumber, "Trial number must be ≥ 0.");
        return experiment + "/trial-" + trialNumber.ToString("0000", CultureInfo.InvariantCulture) + "/";
    }

    /// <summary>"&lt;experiment&gt;/": the prefix listing an experiment's checkpoints.</summary>
    public static string ExperimentPrefix(string experiment)
    {
        ValidateExperiment(experiment);
        return experiment + "/";
    }

    /// <summary>Parses "&lt;experiment&gt;/trial-NNNN/valA.AAAA_epEE.ckpt".</summary>
    public static bool TryParse(string key, out string experiment, out int trialNumber, out double valAccuracy, out int epoch)
    {
        experiment = "";
        trialNumber = 0;
        valAccuracy = 0;
        epoch = 0;
        if (TryGetStorageKeyError(key) is not null) return false;
        Match m = KeyPattern().Match(key);
        if (!m.Success) return false;
        if (!CheckpointName.TryParse(m.Groups[3].Value, out valAccuracy, out epoch)) return false;
        if (!int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out trialNumber)) return false;
        experiment = m.Groups[1].Value;
        return true;
    }

    /// <summary>Throws unless <paramref name="key"/> is a valid storage key inside "&lt;experimentPrefix&gt;/".</summary>
    public static void Validate(string key, string experimentPrefix)
    {
        if (TryGetError(key, experimentPrefix) is { } error) throw new ArgumentException(error, nameof(key));
    }

    /// <summary>Null when <paramref name="key"/> is valid and inside the experiment prefix, else the reason.</summary>
    public static string? TryGetError(string key, string experimentPrefix)
    {
        if (TryGetStorageKeyError(key) is { } error) return error;
        string prefix = experimentPrefix.TrimEnd('/');
        if (TryGetStorageKeyError(prefix) is { } prefixError) return "Invalid experiment prefix: " + prefixError;
        if (!key.StartsWith(prefix + "/", StringComparison.Ordinal))
            return $"Key '{key}' is outside the experiment prefix '{prefix}/'.";
        return null;
    }

    /// <summary>Throws unless <paramref name="key"/> is a valid storage key (see <see cref="TryGetStorageKeyError"/>).</summary>
    public static void ValidateStorageKey(string key)
    {
        if (TryGetStorageKeyError(key) is { } error) throw new ArgumentException(error, nameof(key));
    }

    /// <summary>
    /// Null when <paramref name="key"/> is a valid storage key: non-empty, relative, '/'-separated, no backslashes,
    /// no empty, "." or ".." segments, no segment starting with '.' (reserved for temp files and sidecars), no control characters.
    /// </summary>
    public static string? TryGetStorageKeyError(string? key)
    {
        if (string.IsNullOrEmpty(key)) return "Storage key is empty.";
        if (key.Length > 1024) return $"Storage key is {key.Length} characters long; the limit is 1024.";
        if (key.Contains('\\')) return $"Storage key '{key}' contains a backslash; use '/' as the separator.";
        if (key.StartsWith('/') || (key.Length >= 2 && key[1] == ':')) return $"Storage key '{key}' is absolute; keys are relative to the store root.";
        foreach (char ch in key)
            if (char.IsControl(ch)) return $"Storage key '{key}' contains a control character.";
        foreach (string segment in key.Split('/'))
        {
            if (segment.Length == 0) return $"Storage key '{key}' has an empty path segment (leading, trailing or double '/').";
            if (segment == "..") return $"Storage key '{key}' contains '..'; keys may not leave their prefix.";
            if (segment[0] == '.') return $"Storage key '{key}' has a segment starting with '.' ('{segment}'); such names are reserved for temporary files.";
        }
        return null;
    }

    private static void ValidateExperiment(string experiment)
    {
        if (TryGetStorageKeyError(experiment) is { } error) throw new ArgumentException("Invalid experiment name: " + error, nameof(experiment));
        if (Regex.IsMatch(experiment, @"(^|/)trial-[0-9]+(/|$)"))
            throw new ArgumentException($"Experiment name '{experiment}' contains a 'trial-N' segment, which would make its keys ambiguous.", nameof(experiment));
    }

    [GeneratedRegex(@"^(.+)/trial-([0-9]{4,9})/([^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
