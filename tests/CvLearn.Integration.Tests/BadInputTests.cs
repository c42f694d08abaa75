using CvLearn.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CvLearn.Integration.Tests;

/// <summary>Bad input: exit code 2 and a message on stderr that names the field or flag and how to fix it.</summary>
[Collection(ProcessCollection.Name)]
public sealed class BadInputTests(ITestOutputHelper output)
{
    private const string Dataset = "\"experiment\":\"bad\",\"dataset\":{\"name\":\"fashion-mnist\",\"train_limit\":100,\"validation\":50}";

    [Theory]
    [InlineData("\"space\":{\"model\":\"fc:64\",\"learning_rate\":{\"log_uniform\":[-6,1]}},\"stages\":[{\"trials\":2,\"epochs\":1}]",
        "space.learning_rate.log_uniform", "exponents")]
    [InlineData("\"space\":{\"model\":\"fc:64\",\"learning_rat\":{\"log_uniform\":[1e-6,1e-1]}},\"stages\":[{\"trials\":2,\"epochs\":1}]",
        "space.learning_rat", "learning_rate")]
    [InlineData("\"space\":{\"model\":\"fc:64\",\"learning_rate\":{\"log_uniform\":[1e-6,1e-1]}},\"stages\":[{\"trials\":2,\"epochs\":1},{\"trials\":2,\"epochs\":1,\"from_top\":5}]",
        "stages[1].from_top", "2 trials")]
    public async Task Serve_rejects_a_bad_config_with_exit_code_2_naming_the_field(string body, string field, string hint)
    {
        using var world = new TestWorld(output, "badcfg");
        await world.RunAsync(async () =>
        {
            string config = Path.Combine(world.Root, "search.json");
            await File.WriteAllTextAsync(config, "{" + Dataset + "," + body + "}");
            var (code, _, stderr) = await world.RunMasterCliAsync("serve",
                ["serve", "--config", config, "--grpc-port", "0", "--http-port", "0", "--bind", "127.0.0.1", "--storage", world.Storage, "--state", world.StatePath]);
            Assert.Equal(2, code);
            Assert.Contains(field, stderr, StringComparison.Ordinal);
            Assert.Contains(hint, stderr, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Serve_with_local_workers_needs_the_dataset_on_this_machine_before_any_worker_starts()
    {
        using var world = new TestWorld(output, "nodata");
        await world.RunAsync(async () =>
        {
            string nowhere = Path.Combine(world.Root, "nowhere");
            string config = Path.Combine(world.Root, "search.json");
            await File.WriteAllTextAsync(config, "{\"experiment\":\"nodata\",\"dataset\":{\"name\":\"mnist\",\"data_dir\":\"" + nowhere + "\",\"train_limit\":100,\"validation\":50},"
                + "\"space\":{\"model\":\"fc:64\",\"learning_rate\":{\"log_uniform\":[1e-4,1e-2]}},\"stages\":[{\"trials\":2,\"epochs\":1}]}");
            var (code, _, stderr) = await world.RunMasterCliAsync("serve",
                ["serve", "--config", config, "--grpc-port", "0", "--http-port", "0", "--bind", "127.0.0.1", "--storage", world.Storage, "--state", world.StatePath,
                    "--local-workers", "1", "--exit-when-done"]);
            Assert.Equal(2, code);
            Assert.Contains("--local-workers", stderr, StringComparison.Ordinal);
            Assert.Contains("Dataset 'mnist' not found", stderr, StringComparison.Ordinal);
            Assert.Contains(nowhere, stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(world.StatePath)!, "workers")), "a local worker was started");
        });
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1:50051")]
    public async Task Join_rejects_a_malformed_master_address(string address)
    {
        using var world = new TestWorld(output, "badjoin");
        await world.RunAsync(async () =>
        {
            var (code, _, stderr) = await world.RunWorkerCliAsync("join", ["join", "--master", address]);
            Assert.Equal(2, code);
            Assert.Contains("--master", stderr, StringComparison.Ordinal);
            Assert.Contains("http://HOST:PORT", stderr, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Ensemble_needs_master_or_state()
    {
        using var world = new TestWorld(output, "badens");
        await world.RunAsync(async () =>
        {
            var (code, _, stderr) = await world.RunMasterCliAsync("ensemble", ["ensemble", "--top", "3", "--out", Path.Combine(world.Root, "out")]);
            Assert.Equal(2, code);
            Assert.Contains("--master", stderr, StringComparison.Ordinal);
            Assert.Contains("--state", stderr, StringComparison.Ordinal);
        });
    }
}
