namespace CvLearn.Master.Config;

/// <summary>
/// "Did you mean" for misspelled names: known aliases (lr → learning_rate), then separator/case-insensitive equality,
/// initials (bs → batch_size), unambiguous prefixes (batch → batch_size), then the closest by edit distance
/// when the distance is small relative to the length.
/// </summary>
public static class NameSuggester
{
    /// <summary>Common names other tools use for our parameters.</summary>
    public static readonly IReadOnlyDictionary<string, string> ParameterAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["lr"] = "learning_rate", ["eta"] = "learning_rate", ["step_size"] = "learning_rate", ["rate"] = "learning_rate",
        ["weight_decay"] = "reg", ["wd"] = "reg", ["l2"] = "reg", ["lambda"] = "reg", ["regularization"] = "reg",
        ["reg_strength"] = "reg", ["regularisation"] = "reg",
        ["keep_prob"] = "dropout", ["drop"] = "dropout", ["dropout_rate"] = "dropout", ["p_drop"] = "dropout",
        ["mu"] = "momentum", ["beta"] = "momentum",
        ["bs"] = "batch_size", ["batch"] = "batch_size", ["minibatch"] = "batch_size", ["mini_batch_size"] = "batch_size",
        ["opt"] = "optimizer", ["optim"] = "optimizer", ["update"] = "optimizer", ["update_rule"] = "optimizer", ["solver"] = "optimizer",
        ["decay"] = "lr_decay", ["learning_rate_decay"] = "lr_decay", ["gamma"] = "lr_decay", ["lr_schedule"] = "lr_decay",
        ["arch"] = "model", ["architecture"] = "model", ["net"] = "model", ["network"] = "model",
    };

    /// <summary>The best candidate for <paramref name="input"/>, or null when nothing is close.</summary>
    public static string? Suggest(string input, IEnumerable<string> candidates, IReadOnlyDictionary<string, string>? aliases = null)
    {
        var list = candidates.ToList();
        string norm = Normalize(input);
        if (aliases is not null)
        {
            foreach (var (alias, target) in aliases)
            {
                if (Normalize(alias) == norm && list.Contains(target)) return target;
            }
        }

        foreach (var c in list)
        {
            if (Normalize(c) == norm) return c;
        }

        foreach (var c in list)
        {
            if (c.Contains('_') && Initials(c) == norm) return c;
        }

        if (norm.Length >= 3)
        {
            var prefixed = list.Where(c => Normalize(c).StartsWith(norm, StringComparison.Ordinal)).ToList();
            if (prefixed.Count == 1) return prefixed[0];
        }

        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in list)
        {
            int d = Levenshtein(norm, Normalize(c));
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }

        int allowed = Math.Max(1, Math.Min(norm.Length, best?.Length ?? 0) / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>"; did you mean 'x'?" or an empty string.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates, IReadOnlyDictionary<string, string>? aliases = null)
    {
        string? s = Suggest(input, candidates, aliases);
        return s is null ? string.Empty : $"; did you mean '{s}'?";
    }

    private static string Normalize(string s) =>
        new(s.Where(ch => ch != '_' && ch != '-' && ch != ' ' && ch != '.').Select(char.ToLowerInvariant).ToArray());

    private static string Initials(string s) =>
        new(s.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(part => char.ToLowerInvariant(part[0])).ToArray());

    /// <summary>Edit distance (insert/delete/substitute, each cost 1).</summary>
    internal static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                cur[j] = Math.Min(sub, Math.Min(prev[j] + 1, cur[j - 1] + 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
