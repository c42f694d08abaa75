using System.Text.Json;
using CvLearn.Master.Search;

namespace CvLearn.Master.Config;

/// <summary>
/// Reads and validates a search config (JSON; <c>//</c> comments and trailing commas allowed). Every problem is
/// collected and reported together in one <see cref="SearchConfigException"/>, each naming its field path.
/// <code>
/// {
///   "experiment": "fmnist-fc",
///   "dataset": {"name": "fashion-mnist", "train_limit": 6000, "validation": 1000, "test_limit": 2000, "data_dir": null},
///   "model": "fc:256",                       // or {"choice": [...]}, or as space.model
///   "seed": 42,                              // optional, default 0
///   "space": {"learning_rate": {"log_uniform": [1e-6, 1e-1]}, "optimizer": "adam", ...},
///   "stages": [{"trials": 40, "epochs": 1}, {"trials": 12, "epochs": 5, "from_top": 8}],
///   "ensemble": {"top": 5}, "retention": {"per_trial": 2, "per_experiment": 20},
///   "scheduler": {"divergence_factor": 3, "median_stopping": {"grace_epochs": 2, "min_peers": 3}, "early_next_stage": true},
///   "narrowing": {"margin": 0.25, "min_width": 0.1, "border": 0.1, "log_extension_decades": 0.5, "linear_extension": 0.25}
/// }
/// </code>
/// </summary>
public static class SearchConfigParser
{
    private static readonly string[] s_topFields = ["experiment", "dataset", "model", "seed", "space", "stages", "ensemble", "retention", "scheduler", "narrowing"];
    private static readonly string[] s_datasetFields = ["name", "train_limit", "validation", "test_limit", "data_dir"];
    private static readonly string[] s_stageFields = ["trials", "epochs", "from_top"];
    private static readonly string[] s_schedulerFields = ["divergence_factor", "median_stopping", "early_next_stage"];
    private static readonly string[] s_medianFields = ["grace_epochs", "min_peers"];
    private static readonly string[] s_narrowingFields = ["margin", "min_width", "border", "log_extension_decades", "linear_extension"];

    /// <summary>Reads and validates the config file at <paramref name="path"/>.</summary>
    public static async Task<SearchConfig> LoadAsync(string path, Func<string, string?>? modelSpecValidator = null, CancellationToken cancellationToken = default)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SearchConfigException([new SearchConfigError("(file)", $"cannot read '{path}': {ex.Message}")], path);
        }

        return Parse(json, modelSpecValidator, path);
    }

    /// <summary>
    /// Parses and validates <paramref name="json"/>. <paramref name="modelSpecValidator"/> returns an error message for
    /// an invalid model spec (null when valid); when null, model specs are only checked to be non-empty.
    /// </summary>
    /// <exception cref="SearchConfigException">With every problem found.</exception>
    public static SearchConfig Parse(string json, Func<string, string?>? modelSpecValidator = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            string reason = ex.Message;
            int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0) reason = reason[..cut];
            string where = ex.LineNumber is long line ? $"line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}" : "unknown position";
            throw new SearchConfigException([new SearchConfigError("(json)", $"malformed JSON at {where}: {reason}")], source);
        }

        using (doc)
        {
            var r = new ConfigReader();
            var config = Read(doc.RootElement, r, new ParameterSpecParser(r, modelSpecValidator));
            if (r.Errors.Count > 0 || config is null) throw new SearchConfigException(r.Errors.ToList(), source);
            return config with { Warnings = r.Warnings.ToList() };
        }
    }

    private static SearchConfig? Read(JsonElement root, ConfigReader r, ParameterSpecParser specs)
    {
        var top = r.Object(root, string.Empty, s_topFields, "the search config");
        if (top is null) return null;

        string? experiment = r.String(top, string.Empty, "experiment", true, "a name for this search, used in checkpoint and log file names");
        if (experiment is not null && (experiment.Length == 0 || experiment.Length > 64
            || !experiment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            r.Error("experiment", $"\"{experiment}\" is not usable in file names: use 1-64 letters, digits, '-', '_' or '.'");
        }

        var dataset = ReadDataset(top, r);
        ulong seed = ReadSeed(top, r);
        var space = ReadSpace(top, r, specs);
        var stages = ReadStages(top, r);

        int ensembleTop = 5;
        if (ConfigReader.TryField(top, "ensemble", out var ens))
        {
            var o = r.Object(ens, "ensemble", ["top"], "ensemble");
            ensembleTop = r.Int(o, "ensemble", "top", false, 1, "how many best checkpoints to average") ?? ensembleTop;
        }

        int perTrial = 2, perExperiment = 20;
        bool retentionGiven = ConfigReader.TryField(top, "retention", out var ret);
        if (retentionGiven)
        {
            var o = r.Object(ret, "retention", ["per_trial", "per_experiment"], "retention");
            perTrial = r.Int(o, "retention", "per_trial", false, 1, "best checkpoints kept per trial") ?? perTrial;
            perExperiment = r.Int(o, "retention", "per_experiment", false, 1, "best checkpoints kept over the whole experiment") ?? perExperiment;
        }

        if (ensembleTop > perExperiment)
        {
            r.Error(retentionGiven ? "retention.per_experiment" : "ensemble.top",
                $"the ensemble needs its top {ensembleTop} checkpoints but retention keeps only {perExperiment}: raise retention.per_experiment to at least {ensembleTop} or lower ensemble.top");
        }

        var scheduler = ReadScheduler(top, r);
        var narrowing = ReadNarrowing(top, r);

        if (experiment is null || dataset is null || space is null || stages is null || r.Errors.Count > 0) return null;
        return new SearchConfig(experiment, dataset, seed, space, stages, new EnsembleConfig(ensembleTop),
            new RetentionConfig(perTrial, perExperiment), scheduler, narrowing);
    }

    private static DatasetConfig? ReadDataset(Dictionary<string, JsonElement> top, ConfigReader r)
    {
        if (!ConfigReader.TryField(top, "dataset", out var e))
        {
            r.Error("dataset", "required: e.g. {\"name\": \"fashion-mnist\", \"train_limit\": 6000, \"validation\": 1000}");
            return null;
        }

        if (e.ValueKind == JsonValueKind.String)
        {
            string name = e.GetString()!;
            if (name.Trim().Length == 0) r.Error("dataset", "empty dataset name: give one such as \"fashion-mnist\"");
            return new DatasetConfig(name, null, null, null, null);
        }

        var o = r.Object(e, "dataset", s_datasetFields, "dataset");
        if (o is null) return null;
        string? n = r.String(o, "dataset", "name", true, "dataset name such as \"fashion-mnist\", \"mnist\" or \"cifar10\"");
        if (n is not null && n.Trim().Length == 0) r.Error("dataset.name", "empty dataset name: give one such as \"fashion-mnist\"");
        int? train = r.Int(o, "dataset", "train_limit", false, 1, "number of training images to use");
        int? val = r.Int(o, "dataset", "validation", false, 1, "number of training images held out for validation");
        int? test = r.Int(o, "dataset", "test_limit", false, 1, "number of test images to use");
        string? dir = r.String(o, "dataset", "data_dir", false, "directory with the dataset files, or null for the default");
        if (train is not null && val is not null && val >= train)
        {
            r.Error("dataset.validation", $"{val} validation images are held out of train_limit {train}, leaving none to train on: use fewer validation images or a larger train_limit");
        }

        return n is null ? null : new DatasetConfig(n, train, val, test, dir);
    }

    private static ulong ReadSeed(Dictionary<string, JsonElement> top, ConfigReader r)
    {
        if (!ConfigReader.TryField(top, "seed", out var e)) return 0;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetUInt64(out ulong seed))
        {
            r.Error("seed", $"must be a non-negative integer (it makes the search reproducible), got {ConfigReader.Describe(e)}");
            return 0;
        }

        return seed;
    }

    private static SearchSpace? ReadSpace(Dictionary<string, JsonElement> top, ConfigReader r, ParameterSpecParser specs)
    {
        var parameters = new List<SearchParameter>();
        bool ok = true;
        bool hasSpace = ConfigReader.TryField(top, "space", out var spaceElement);
        Dictionary<string, JsonElement>? space = null;
        if (!hasSpace)
        {
            r.Error("space", "required: the parameters to search, e.g. {\"learning_rate\": {\"log_uniform\": [1e-6, 1e-1]}, \"reg\": {\"log_uniform\": [1e-6, 1e-1]}}");
            ok = false;
        }
        else
        {
            space = r.Object(spaceElement, "space", ParameterCatalog.Names, "space (the searchable parameters)", NameSuggester.ParameterAliases);
            ok &= space is not null;
        }

        bool topModel = ConfigReader.TryField(top, "model", out var topModelElement);
        bool spaceModel = ConfigReader.TryField(space, "model", out _);
        if (topModel && spaceModel)
        {
            r.Error("model", "given both at the top level and as space.model: keep one");
            ok = false;
        }
        else if (!topModel && !spaceModel)
        {
            r.Error("model", "required: a model spec such as \"fc:256\", or {\"choice\": [\"fc:256\", \"fc:512-256\"]} (at the top level or as space.model)");
            ok = false;
        }
        else if (topModel)
        {
            var d = specs.Parse(ParameterCatalog.Get(ParameterCatalog.Model), topModelElement, "model");
            if (d is null) ok = false;
            else parameters.Add(new SearchParameter(ParameterCatalog.Model, d));
        }

        if (space is not null)
        {
            foreach (var (name, e) in space)
            {
                if (!ParameterCatalog.TryGet(name, out var info)) continue; // already reported as unknown
                var d = specs.Parse(info, e, "space." + name);
                if (d is null) ok = false;
                else parameters.Add(new SearchParameter(name, d));
            }
        }

        return ok ? new SearchSpace(parameters) : null;
    }

    private static List<StageConfig>? ReadStages(Dictionary<string, JsonElement> top, ConfigReader r)
    {
        if (!ConfigReader.TryField(top, "stages", out var e))
        {
            r.Error("stages", "required: e.g. [{\"trials\": 40, \"epochs\": 1}, {\"trials\": 12, \"epochs\": 5, \"from_top\": 8}]");
            return null;
        }

        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
        {
            r.Error("stages", $"expected a non-empty list of stages such as [{{\"trials\": 40, \"epochs\": 1}}], got {(e.ValueKind == JsonValueKind.Array ? "[]" : ConfigReader.Describe(e))}");
            return null;
        }

        var stages = new List<StageConfig>();
        bool ok = true;
        int i = 0;
        int? previousTrials = null;
        foreach (var item in e.EnumerateArray())
        {
            string path = $"stages[{i}]";
            var o = r.Object(item, path, s_stageFields, "a stage");
            int? trials = r.Int(o, path, "trials", true, 1, "number of random trials in this stage");
            int? epochs = r.Int(o, path, "epochs", true, 1, "epochs each trial trains");
            int? fromTop = null;
            bool hasFromTop = ConfigReader.TryField(o, "from_top", out _);
            if (i == 0 && hasFromTop)
            {
                r.Error(path + ".from_top", "the first stage samples the configured space and has no previous stage to take top trials from: remove from_top");
                ok = false;
            }
            else if (i > 0)
            {
                fromTop = r.Int(o, path, "from_top", true, 1, $"how many of stage {i}'s best trials define stage {i + 1}'s narrowed range, e.g. {Math.Max(1, (previousTrials ?? 10) / 4)}");
                if (fromTop is not null && previousTrials is not null && fromTop > previousTrials)
                {
                    r.Error(path + ".from_top", $"{fromTop} exceeds stage {i}'s {previousTrials} trials: use at most {previousTrials}");
                    fromTop = null;
                }

                ok &= fromTop is not null;
            }

            ok &= trials is not null && epochs is not null && o is not null;
            if (trials is not null && epochs is not null) stages.Add(new StageConfig(trials.Value, epochs.Value, fromTop));
            previousTrials = trials;
            i++;
        }

        return ok ? stages : null;
    }

    private static SchedulerConfig ReadScheduler(Dictionary<string, JsonElement> top, ConfigReader r)
    {
        if (!ConfigReader.TryField(top, "scheduler", out var e)) return SchedulerConfig.Default;
        var o = r.Object(e, "scheduler", s_schedulerFields, "scheduler");
        double factor = r.Double(o, "scheduler", "divergence_factor", 1, 1e6, "stop a trial whose loss exceeds this multiple of its first loss; CS231n uses 3") ?? 3.0;
        bool early = r.Bool(o, "scheduler", "early_next_stage",
            "start the next stage's trials on idle workers before the last trials of a stage end; they are kept only if the stage's top trials come out as predicted") ?? true;
        MedianStoppingConfig? median = null;
        if (ConfigReader.TryField(o, "median_stopping", out var m))
        {
            if (m.ValueKind == JsonValueKind.True) median = new MedianStoppingConfig(2, 3);
            else if (m.ValueKind != JsonValueKind.False)
            {
                var mo = r.Object(m, "scheduler.median_stopping", s_medianFields, "median stopping");
                median = new MedianStoppingConfig(
                    r.Int(mo, "scheduler.median_stopping", "grace_epochs", false, 1, "epochs every trial runs before it can be stopped") ?? 2,
                    r.Int(mo, "scheduler.median_stopping", "min_peers", false, 1, "completed trials needed before the median is trusted") ?? 3);
            }
        }

        return new SchedulerConfig(factor, median, early);
    }

    private static NarrowingOptions ReadNarrowing(Dictionary<string, JsonElement> top, ConfigReader r)
    {
        var d = NarrowingOptions.Default;
        if (!ConfigReader.TryField(top, "narrowing", out var e)) return d;
        var o = r.Object(e, "narrowing", s_narrowingFields, "narrowing");
        const string P = "narrowing";
        return new NarrowingOptions(
            r.Double(o, P, "margin", 0, 10, "fraction of the top trials' span added on each side", minInclusive: true) ?? d.MarginFraction,
            r.Double(o, P, "min_width", 0, 1, "minimum narrowed width as a fraction of the previous width") ?? d.MinWidthFraction,
            r.Double(o, P, "border", 0, 0.49, "fraction of the width from an edge that counts as the border", minInclusive: true) ?? d.BorderFraction,
            r.Double(o, P, "log_extension_decades", 0, 10, "decades a log range extends past a border edge") ?? d.LogExtensionDecades,
            r.Double(o, P, "linear_extension", 0, 10, "fraction of the previous width a linear range extends past a border edge") ?? d.LinearExtensionFraction);
    }
}
