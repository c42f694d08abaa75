using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Training;
using CvLearn.Master.Hosting;
using CvLearn.Master.Services;
using CvLearn.Master.Trials;
using CvLearn.Protos.Rpc;
using CvLearn.Storage.Azure;
using CvLearn.Worker.Commands;
using Google.Protobuf;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Commands;

/// <summary>
/// `cvlearn-master ensemble`: pulls the best checkpoints of a search (from a live master, or offline from its state
/// file) into a directory with a manifest, and optionally scores each one, their average and a greedy selection.
/// </summary>
public static class EnsembleCommand
{
    public static Command Create()
    {
        var master = new Option<string?>("--master") { Description = "The master's gRPC address: http://HOST:PORT or HOST:PORT (its --grpc-port, 50051 by default)." };
        var state = new Option<string?>("--state") { Description = "Instead of --master: the state file of a search (e.g. after `serve --exit-when-done`)." };
        var top = new Option<int>("--top") { Description = "Number of best trials whose best checkpoint joins the ensemble.", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out") { Description = "Directory to write the checkpoints and manifest.json to.", Required = true };
        var storage = new Option<string?>("--storage") { Description = "Read checkpoints from here instead of the location the master announces (e.g. the share mounted elsewhere)." };
        var evaluate = new Option<bool>("--evaluate") { Description = "Score each checkpoint, their average and a greedy selection (chosen on the validation split)." };
        var split = new Option<string>("--split") { Description = "Split to score with --evaluate: test or val.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "val");
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory holding the dataset files (for --evaluate)." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var command = new Command("ensemble", "Download the top-k checkpoints of a search with a manifest; optionally evaluate them and their ensembles.")
        { master, state, top, output, storage, evaluate, split, dataDir, json };
        command.SetAction((r, ct) => CliRunner.GuardAsync(async () =>
        {
            int k = r.GetValue(top);
            if (k < 1) throw new ArgumentException($"--top: must be at least 1, got {k}.");
            var (experiment, location, entries) = await TopAsync(r.GetValue(master), r.GetValue(state), k, ct);
            location = r.GetValue(storage) ?? location;
            if (entries.Count == 0) throw new InvalidOperationException("the search has no checkpoints yet (no trial finished an epoch, or all diverged).");
            var store = await AzureStorage.OpenAsync(location, ct);
            string outDir = Path.GetFullPath(r.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            string FileOf(int i) => Path.Combine(outDir, $"{i + 1:00}-{entries[i].TrialId}-{CheckpointName.Format(entries[i].ValAcc, entries[i].Epoch)}");
            // A few downloads at a time (each a round trip or more to a blob store); each file is written as it arrives.
            var loaded = new Checkpoint[entries.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, entries.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, c) =>
            {
                loaded[i] = await StoredCheckpoints.LoadAsync(store, entries[i].CheckpointKey, c);
                await AtomicFile.WriteAllBytesAsync(FileOf(i), CheckpointFile.ToBytes(loaded[i]), c);
            });
            var members = new List<NamedCheckpoint>();
            var manifest = new JsonArray();
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                string file = FileOf(i);
                members.Add(new NamedCheckpoint(e.TrialId, loaded[i]));
                manifest.Add(new JsonObject
                {
                    ["rank"] = i + 1, ["trial_id"] = e.TrialId, ["file"] = Path.GetFileName(file), ["checkpoint_key"] = e.CheckpointKey,
                    ["val_acc"] = e.ValAcc, ["epoch"] = e.Epoch,
                    ["hyperparameters"] = JsonNode.Parse(JsonFormatter.Default.Format(e.Hyperparameters ?? new Pb.HyperParameters())),
                });
            }

            var doc = new JsonObject { ["experiment"] = experiment, ["storage"] = store.Describe, ["top"] = k, ["checkpoints"] = manifest };
            await AtomicFile.WriteAllBytesAsync(Path.Combine(outDir, "manifest.json"),
                System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), ct);
            if (!r.GetValue(json)) Console.WriteLine($"{entries.Count} checkpoint(s) of '{experiment}' written to {outDir} (manifest.json lists them)");

            if (r.GetValue(evaluate))
            {
                var which = r.GetValue(split) == "val" ? EvaluationSplit.Validation : EvaluationSplit.Test;
                var result = await CheckpointEnsemble.EvaluateAsync(members, which, new CheckpointEnsembleOptions { DataDir = r.GetValue(dataDir), TopK = members.Count, Greedy = true }, ct);
                doc["evaluation"] = ToJson(result);
                if (!r.GetValue(json)) Print(result);
            }

            if (r.GetValue(json)) Console.WriteLine(doc.ToJsonString());
            return CliRunner.Success;
        }));
        return command;
    }

    private static async Task<(string Experiment, string Storage, IReadOnlyList<Pb.CheckpointEntry> Entries)> TopAsync(string? master, string? state, int k, CancellationToken ct)
    {
        if ((master is null) == (state is null)) throw new ArgumentException("give exactly one of --master URL (a running master) or --state FILE (a search's state file).");
        if (master is not null)
        {
            var uri = GrpcAddress.Parse(master);
            using var channel = new RpcChannel(uri);
            var client = new SearchServiceClient(channel);
            try
            {
                var opts = CallOptions.WithTimeout(TimeSpan.FromSeconds(15), cancellationToken: ct);
                var top = await client.GetTopCheckpointsAsync(new Pb.TopCheckpointsRequest { K = k }, opts);
                var board = await client.GetLeaderboardAsync(new Pb.LeaderboardRequest { Top = 1 }, opts);
                return (board.Experiment, top.Storage, top.Entries);
            }
            catch (RpcException e)
            {
                throw MasterAddress.Unreachable(uri, e);
            }
        }

        var (config, store, coordinator, _) = await SearchSetup.OpenAsync(null, state, c => new SearchCoordinator(c, new CoordinatorOptions()), ct);
        await using (store)
        {
            string storage = await store.GetMetaAsync(SearchSetup.StorageMetaKey, ct)
                ?? throw new InvalidDataException($"--state: '{state}' does not record where checkpoints are; pass --storage.");
            var entries = coordinator.TopCheckpoints(k).Select(ProtoMapping.ToCheckpointEntry).ToList();
            return (config.Experiment, storage, entries);
        }
    }

    private static void Print(CheckpointEnsembleResult r)
    {
        Console.WriteLine($"{r.SplitName} split, {r.Images} images");
        foreach (var m in r.Members) Console.WriteLine($"  {LeaderboardRenderer.Pct(m.Accuracy),8}  {m.Name}");
        Console.WriteLine($"  {LeaderboardRenderer.Pct(r.BestSingleAccuracy),8}  best single model");
        Console.WriteLine($"  {LeaderboardRenderer.Pct(r.TopKAccuracy),8}  ensemble: average of the top {r.TopK}");
        if (r.Greedy is { } g)
            Console.WriteLine($"  {LeaderboardRenderer.Pct(g.Accuracy),8}  ensemble: greedy selection on validation ({string.Join(" ", g.Names)})");
    }

    private static JsonObject ToJson(CheckpointEnsembleResult r) => new()
    {
        ["split"] = r.SplitName,
        ["images"] = r.Images,
        ["members"] = new JsonArray(r.Members.Select(m => (JsonNode)new JsonObject { ["trial_id"] = m.Name, ["accuracy"] = m.Accuracy }).ToArray()),
        ["best_single_accuracy"] = r.BestSingleAccuracy,
        ["top_k"] = r.TopK,
        ["top_k_accuracy"] = r.TopKAccuracy,
        ["greedy_accuracy"] = r.Greedy?.Accuracy,
        ["greedy_members"] = r.Greedy is null ? null : new JsonArray(r.Greedy.Names.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
    };
}
