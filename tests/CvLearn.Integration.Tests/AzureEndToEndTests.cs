using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CvLearn.Core.Checkpoints;
using CvLearn.Integration.Tests.Infrastructure;
using CvLearn.Storage.Azure;
using CvLearn.Storage.Azure.Tests;
using Xunit.Abstractions;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Integration.Tests;

/// <summary>
/// The search with its checkpoints in Azure Blob Storage: a real Azurite, a master and worker processes that get the
/// connection string from CVLEARN_AZURE_CONNECTION_STRING (never from a command line) or a SAS URL.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class AzureEndToEndTests(ITestOutputHelper output)
{
    private const string Container = "ckpts";
    private const string EnvVar = "CVLEARN_AZURE_CONNECTION_STRING";
    private const int FailureExit = 1;
    private const int BadInputExit = 2;


    private static Dictionary<string, string> AzureEnv(string connectionString) => new() { [EnvVar] = connectionString };

    private static AzureBlobCheckpointStore Inspect(AzuriteServer az, string prefix = "")
        => AzureStorage.Create($"azblob://{Container}/{prefix}", null, _ => az.ConnectionString());

    [Fact]
    public async Task Search_on_Azurite_with_an_env_worker_and_a_SAS_worker_stores_every_checkpoint_and_builds_the_ensemble()
    {
        Configs.RequireDataset();
        await using var az = await AzuriteServer.StartAsync();
        using var world = new TestWorld(output, "azure");
        await world.RunAsync(async () =>
        {
            string prefix = "e2e-" + Guid.NewGuid().ToString("N")[..8];
            string cs = az.ConnectionString();
            string config = world.WriteConfig(Configs.Search("e2e-azure", [(6, 1, null), (2, 2, 3)], trainLimit: 1500));
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "30", "--heartbeat-seconds", "1"],
                storage: $"azblob://{Container}/{prefix}", env: AzureEnv(cs));
            // w1 uses the location the master announces (azblob://…, credentials from its own environment); w2 gets a
            // container SAS URL for the same prefix and no connection string at all.
            string sas = TestSas.ForContainer(BlobLocation.DevelopmentAccountName, Container, "racwdl", Convert.FromBase64String(BlobLocation.DevelopmentAccountKey), TimeSpan.FromHours(1));
            string sasSig = Uri.UnescapeDataString(sas[(sas.IndexOf("sig=", StringComparison.Ordinal) + 4)..]);
            var w1 = world.StartWorker(master.Grpc, "w1", env: AzureEnv(cs));
            var w2 = world.StartWorker(master.Grpc, "w2", extra: ["--storage", $"{az.BlobEndpoint}/{Container}/{prefix}?{sas}"], env: new Dictionary<string, string> { [EnvVar] = "" });
            var client = world.Client(master.Grpc);

            var board = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(150), "the search to finish", 250);
            Assert.Equal(8, board.TotalTrials);
            Assert.Equal(8, board.Rows.Count);
            Assert.All(board.Rows, r => Assert.True(r.Status is Pb.TrialStatus.Completed or Pb.TrialStatus.Stopped or Pb.TrialStatus.Diverged, $"{r.TrialId}: {r.Status} ({r.Message})"));
            // Both workers (env and SAS credentials) wrote checkpoints.
            Assert.Equal(2, board.Rows.Select(r => r.Worker).Distinct().Count());
            Assert.Equal(0, await w1.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, await w2.ExitCodeAsync(TimeSpan.FromSeconds(30)));

            // Every best checkpoint is a blob under the prefix, named after the reported accuracy, with its metadata.
            using var root = Inspect(az);
            var blobs = new Dictionary<string, StoredObject>(StringComparer.Ordinal);
            await foreach (var o in root.ListAsync("", CancellationToken.None)) blobs[o.Key] = o;
            Assert.All(blobs.Keys, k => Assert.StartsWith(prefix + "/", k, StringComparison.Ordinal));
            foreach (var row in board.Rows.Where(r => r.Status != Pb.TrialStatus.Diverged))
            {
                Assert.False(string.IsNullOrEmpty(row.CheckpointKey), $"{row.TrialId} has no checkpoint");
                string blobName = $"{prefix}/{row.CheckpointKey}";
                Assert.True(blobs.TryGetValue(blobName, out var blob), $"{row.TrialId}: blob '{blobName}' is not in container {Container}: {string.Join(", ", blobs.Keys)}");
                var (nameAcc, epoch) = SearchEndToEndTests.AssertNameCarriesReportedAccuracy(row);
                Assert.NotNull(blob!.Metadata);
                Assert.Equal(row.TrialId, blob.Metadata!["trial"]);
                Assert.Equal(epoch.ToString(CultureInfo.InvariantCulture), blob.Metadata["epoch"]);
                Assert.Equal(row.ValAccHistory[epoch - 1], double.Parse(blob.Metadata["val_acc"], CultureInfo.InvariantCulture), 6);
                Assert.True(blob.Size > 0);
            }

            // No secret in any output: neither the account key, nor a connection string, nor the SAS signature.
            foreach (var p in new[] { master.Process, w1, w2 })
            {
                string text = p.Output;
                Assert.DoesNotContain(BlobLocation.DevelopmentAccountKey, text, StringComparison.Ordinal);
                Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(sasSig, text, StringComparison.Ordinal);
                Assert.DoesNotContain(Uri.EscapeDataString(sasSig), text, StringComparison.Ordinal);
            }

            // The ensemble CLI pulls the top 3 from Azurite (location from the master, credentials from the environment).
            string ensembleOutput = await SearchEndToEndTests.AssertEnsembleAsync(world, master, AzureEnv(cs));
            Assert.DoesNotContain(BlobLocation.DevelopmentAccountKey, ensembleOutput, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Azurite_restarted_mid_search_loses_no_checkpoint_and_leaves_none_partial()
    {
        Configs.RequireDataset();
        await using var az = await AzuriteServer.StartAsync();
        using var world = new TestWorld(output, "azrestart");
        await world.RunAsync(async () =>
        {
            string prefix = "e2e-" + Guid.NewGuid().ToString("N")[..8];
            var env = AzureEnv(az.ConnectionString());
            string config = world.WriteConfig(Configs.Search("e2e-azrestart", [(6, 1, null), (2, 2, 3)], trainLimit: 6000)); // trials long enough to still run when Azurite stops (checkpoints got cheap)
            var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(), ["--lease-seconds", "30", "--heartbeat-seconds", "1"],
                storage: $"azblob://{Container}/{prefix}", env: env);
            var w1 = world.StartWorker(master.Grpc, "w1", env: env);
            var w2 = world.StartWorker(master.Grpc, "w2", env: env);
            var client = world.Client(master.Grpc);

            // Stop Azurite once the first checkpoints are in and a trial is running (its next checkpoint write meets the outage).
            var before = await TestWorld.PollAsync(client,
                b => b.Finished || (b.Rows.Count(r => r.CheckpointKey.Length > 0) >= 2 && b.Rows.Any(r => r.Status == Pb.TrialStatus.Running)),
                TimeSpan.FromSeconds(90), "the first checkpoints", 100);
            Assert.False(before.Finished, "the search finished before Azurite could be restarted");
            master.Process.Note("stopping Azurite");
            var down = Stopwatch.StartNew();
            await az.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            await az.StartAgainAsync();
            master.Process.Note($"Azurite back after {down.Elapsed.TotalSeconds:F1} s");
            world.AddLog("azurite", az.Output);

            var board = await TestWorld.PollAsync(client, b => b.Finished, TimeSpan.FromSeconds(150), "the search to finish", 250);
            Assert.Equal(8, board.Rows.Count);
            Assert.All(board.Rows, r => Assert.True(r.Status is Pb.TrialStatus.Completed or Pb.TrialStatus.Stopped or Pb.TrialStatus.Diverged, $"{r.TrialId}: {r.Status} ({r.Message})"));
            Assert.Equal(0, await w1.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, await w2.ExitCodeAsync(TimeSpan.FromSeconds(30)));

            // Every reported best checkpoint is there and loads; and no blob at all is partial.
            using var store = Inspect(az, prefix);
            foreach (var row in board.Rows.Where(r => r.Status != Pb.TrialStatus.Diverged))
            {
                Assert.False(string.IsNullOrEmpty(row.CheckpointKey), $"{row.TrialId} has no checkpoint");
                Assert.True(await store.ExistsAsync(row.CheckpointKey, CancellationToken.None), $"{row.TrialId}: {row.CheckpointKey} was lost");
            }

            // The master still runs: retention may delete a listed blob before it is read (e.g. a checkpoint of a trial
            // re-planned when stage 2, started early, was planned for real). Such a blob is never a reported one.
            int parsed = 0;
            var reported = board.Rows.Select(r => r.CheckpointKey).ToHashSet(StringComparer.Ordinal);
            await foreach (var o in store.ListAsync("", CancellationToken.None))
            {
                Stream s;
                try
                {
                    s = await store.OpenReadAsync(o.Key, CancellationToken.None);
                }
                catch (CheckpointNotFoundException) when (!reported.Contains(o.Key))
                {
                    continue;
                }

                await using (s)
                {
                    var checkpoint = await CheckpointFile.ReadAsync(s, o.Key, CancellationToken.None);
                    Assert.NotNull(checkpoint);
                }

                parsed++;
            }

            Assert.True(parsed >= board.Rows.Count(r => r.Status != Pb.TrialStatus.Diverged), $"only {parsed} checkpoints in the container");
        });
    }

    [Fact]
    public async Task Serve_fails_fast_and_clearly_on_a_wrong_key_a_missing_connection_string_and_an_unreachable_endpoint()
    {
        Configs.RequireDataset();
        await using var az = await AzuriteServer.StartAsync();
        using var world = new TestWorld(output, "azerrors");
        await world.RunAsync(async () =>
        {
            string config = world.WriteConfig(Configs.Search("e2e-azerrors", [(2, 1, null)]));
            string wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
            int closedPort = TestWorld.FreePort();

            async Task<(int Code, string Text, TimeSpan Took)> ServeAsync(string name, string storage, string connectionString)
            {
                var sw = Stopwatch.StartNew();
                var (code, stdout, stderr) = await world.RunMasterCliAsync(name,
                    ["serve", "--config", config, "--grpc-port", TestWorld.FreePort().ToString(CultureInfo.InvariantCulture), "--http-port", TestWorld.FreePort().ToString(CultureInfo.InvariantCulture),
                        "--bind", "127.0.0.1", "--storage", storage, "--state", Path.Combine(world.Root, name, "master.db")],
                    TimeSpan.FromSeconds(90), AzureEnv(connectionString));
                return (code, stdout + stderr, sw.Elapsed);
            }

            // Side by side: each one waits on the network (or not) on its own.
            var wrong = ServeAsync("serve-wrong-key", $"azblob://{Container}/p", az.ConnectionString(key: wrongKey));
            var missing = ServeAsync("serve-no-env", "azblob://c/p", "");
            var unreachable = ServeAsync("serve-closed-port", $"azblob://{Container}/p", az.ConnectionString(port: closedPort));
            await Task.WhenAll(wrong, missing, unreachable);

            var (code, text, took) = await wrong;
            world.AddLog("wrong key", $"exit {code} after {took.TotalSeconds:F1} s\n{text}");
            Assert.True(took < TimeSpan.FromSeconds(60), $"wrong key: took {took.TotalSeconds:F0} s");
            Assert.Equal(BadInputExit, code);
            Assert.Contains("credentials", text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(EnvVar, text, StringComparison.Ordinal);
            Assert.DoesNotContain(wrongKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);

            (code, text, took) = await missing;
            world.AddLog("missing env", $"exit {code} after {took.TotalSeconds:F1} s\n{text}");
            Assert.Equal(BadInputExit, code);
            Assert.Contains(EnvVar, text, StringComparison.Ordinal);
            Assert.Contains("azblob://c/p", text, StringComparison.Ordinal);

            (code, text, took) = await unreachable;
            world.AddLog("unreachable", $"exit {code} after {took.TotalSeconds:F1} s\n{text}");
            Assert.True(took < TimeSpan.FromSeconds(60), $"unreachable endpoint: took {took.TotalSeconds:F0} s");
            // Not the user's input necessarily (the service may be down): a plain failure.
            Assert.Equal(FailureExit, code);
            Assert.Contains("Cannot reach", text, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{closedPort}", text, StringComparison.Ordinal);
            Assert.DoesNotContain(BlobLocation.DevelopmentAccountKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
        });
    }
}
