using System.Text.Json.Nodes;

namespace CvLearn.Integration.Tests.Infrastructure;

/// <summary>Small search configs on Fashion-MNIST (a few thousand images), so a trial takes about a second.</summary>
internal static class Configs
{
    public const string FashionMnistDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>Fails (never skips) when the dataset is missing.</summary>
    public static void RequireDataset()
    {
        if (!File.Exists(Path.Combine(FashionMnistDir, "train-images-idx3-ubyte.gz")))
            Assert.Fail($"{FashionMnistDir} is missing: run tests/run-all.sh (it apt-installs dataset-fashion-mnist).");
    }

    public static JsonObject Search(string experiment, (int Trials, int Epochs, int? FromTop)[] stages, int trainLimit = 2000,
        int validation = 500, int testLimit = 500, string model = "fc:64", int ensembleTop = 3)
    {
        RequireDataset();
        var stageArray = new JsonArray();
        foreach (var (trials, epochs, fromTop) in stages)
        {
            var s = new JsonObject { ["trials"] = trials, ["epochs"] = epochs };
            if (fromTop is int f) s["from_top"] = f;
            stageArray.Add(s);
        }

        return new JsonObject
        {
            ["experiment"] = experiment,
            ["dataset"] = new JsonObject
            {
                ["name"] = "fashion-mnist", ["data_dir"] = FashionMnistDir, ["train_limit"] = trainLimit, ["validation"] = validation, ["test_limit"] = testLimit,
            },
            ["seed"] = 11,
            ["space"] = new JsonObject
            {
                ["model"] = model,
                ["optimizer"] = "adam",
                ["learning_rate"] = new JsonObject { ["log_uniform"] = new JsonArray(1e-4, 1e-2) },
                ["reg"] = new JsonObject { ["log_uniform"] = new JsonArray(1e-6, 1e-2) },
                ["batch_size"] = 128,
            },
            ["stages"] = stageArray,
            ["ensemble"] = new JsonObject { ["top"] = ensembleTop },
            // Keep every checkpoint: the tests check the files named in the leaderboard.
            ["retention"] = new JsonObject { ["per_trial"] = 20, ["per_experiment"] = 500 },
        };
    }
}
