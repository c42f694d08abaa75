using System.Text.Json;
using System.Text.Json.Nodes;
using CvLearn.Core.Models;
using CvLearn.Master.Config;
using CvLearn.Master.Trials;

namespace CvLearn.Master.Hosting;

/// <summary>
/// Loads a search: the config (from --config, or the one saved in the state file) and the saved state, checking that
/// they belong together. Shared by `serve` (which then serves it) and `ensemble --state` (which only reads it).
/// </summary>
public static class SearchSetup
{
    private const string ConfigMetaKey = "config";

    /// <summary>Meta key of the storage location the search announces (read by `ensemble --state`).</summary>
    public const string StorageMetaKey = "storage";

    /// <summary>The default state file of an experiment: runs/&lt;experiment&gt;.state.db.</summary>
    public static string DefaultStatePath(string experiment) => Path.Combine("runs", experiment.Replace('/', '_') + ".state.db");

    /// <summary>Parses and validates a config file (model specs are checked with the engine's parser).</summary>
    public static async Task<(SearchConfig Config, string Canonical)> LoadConfigAsync(string path, CancellationToken ct)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SearchConfigException([new SearchConfigError("(file)", $"cannot read '{path}': {e.Message}")], path);
        }

        return (SearchConfigParser.Parse(text, ValidateModelSpec, path), Canonical(text));
    }

    /// <summary>Null when <paramref name="spec"/> is a valid model spec, else the parser's message with the grammar.</summary>
    public static string? ValidateModelSpec(string spec)
    {
        try
        {
            ModelSpec.Parse(spec);
            return null;
        }
        catch (ModelSpecFormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Opens the state file and restores <paramref name="coordinatorFactory"/>'s coordinator from it. With no
    /// <paramref name="configPath"/> the config saved in the state file is used. A state file written for another
    /// config is refused (InvalidDataException) rather than mixed with it.
    /// </summary>
    public static async Task<(SearchConfig Config, SqliteStateStore Store, SearchCoordinator Coordinator, bool Resumed)> OpenAsync(
        string? configPath, string? statePath, Func<SearchConfig, SearchCoordinator> coordinatorFactory, CancellationToken ct)
    {
        SearchConfig? config = null;
        string? canonical = null;
        if (configPath is not null) (config, canonical) = await LoadConfigAsync(configPath, ct).ConfigureAwait(false);
        string path = statePath ?? (config is not null ? DefaultStatePath(config.Experiment)
            : throw new ArgumentException("--config: required (or give --state with the state file of an earlier run of the search)."));
        if (configPath is null && !File.Exists(path)) throw new FileNotFoundException($"--state: '{path}' does not exist; start the search with --config.");

        var store = await SqliteStateStore.OpenAsync(path, ct).ConfigureAwait(false);
        try
        {
            string? saved = await store.GetMetaAsync(ConfigMetaKey, ct).ConfigureAwait(false);
            if (config is null)
            {
                if (saved is null) throw new InvalidDataException($"--state: '{path}' holds no search config; start the search with --config.");
                config = SearchConfigParser.Parse(saved, ValidateModelSpec, path + " (saved config)");
                canonical = saved;
            }
            else if (saved is not null && saved != canonical)
            {
                throw new InvalidDataException(
                    $"--state: '{path}' belongs to a search started with a different config; resume it with the same config "
                    + "(or without --config), or give a new --state file for this one.");
            }

            if (saved is null) await store.SetMetaAsync(ConfigMetaKey, canonical!, ct).ConfigureAwait(false);
            var coordinator = coordinatorFactory(config);
            var persisted = await store.LoadAsync(ct).ConfigureAwait(false);
            bool resumed = persisted.Trials.Count > 0;
            if (resumed) coordinator.Restore(persisted);
            return (config, store, coordinator, resumed);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The config text without comments and formatting, so that re-indenting a file does not count as a change.</summary>
    private static string Canonical(string text)
    {
        var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return node?.ToJsonString() ?? "null";
    }
}
