using System.Text.Json.Nodes;
using CvLearn.Master.Config;
using CvLearn.Master.Search;

namespace CvLearn.Master.Tests;

public class ConfigValidationTests
{
    private const string Valid = """
        {
          // comments are allowed
          "experiment": "fmnist-fc",
          "dataset": {"name": "fashion-mnist", "train_limit": 6000, "validation": 1000, "test_limit": 2000, "data_dir": null},
          "model": "fc:256",
          "seed": 42,
          "space": {
            "learning_rate": {"log_uniform": [1e-6, 1e-1]},
            "reg": {"log_uniform": [1e-6, 1e-1]},
            "dropout": {"uniform": [0, 0.8]},
            "batch_size": {"int_uniform": [64, 512]},
            "optimizer": {"choice": ["adam", "sgd", "momentum"]},
            "momentum": 0.9,
            "lr_decay": {"uniform": [0.9, 1.0]}
          },
          "stages": [{"trials": 40, "epochs": 1}, {"trials": 12, "epochs": 5, "from_top": 8}, {"trials": 4, "epochs": 20, "from_top": 4}],
          "ensemble": {"top": 5},
          "retention": {"per_trial": 2, "per_experiment": 20},
          "scheduler": {"divergence_factor": 3, "median_stopping": {"grace_epochs": 2, "min_peers": 3}},
        }
        """;

    private static string? FcOnly(string spec) => spec.StartsWith("fc:", StringComparison.Ordinal) ? null : $"unknown layer kind in '{spec}'; expected e.g. fc:256";

    private static JsonObject Base() => JsonNode.Parse(Valid, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();

    private static IReadOnlyList<SearchConfigError> Errors(Action<JsonObject> mutate)
    {
        var o = Base();
        mutate(o);
        var ex = Assert.Throws<SearchConfigException>(() => SearchConfigParser.Parse(o.ToJsonString(), FcOnly));
        Assert.NotEmpty(ex.Errors);
        return ex.Errors;
    }

    private static SearchConfigError Single(IReadOnlyList<SearchConfigError> errors, string path)
    {
        var matching = errors.Where(e => e.Path == path).ToList();
        Assert.True(matching.Count == 1, $"expected one error at '{path}', got: {string.Join(" | ", errors)}");
        return matching[0];
    }

    private static JsonObject Space(JsonObject o) => o["space"]!.AsObject();

    [Fact]
    public void ValidConfig_Parses()
    {
        var c = SearchConfigParser.Parse(Valid, FcOnly);
        Assert.Equal("fmnist-fc", c.Experiment);
        Assert.Equal(new DatasetConfig("fashion-mnist", 6000, 1000, 2000, null), c.Dataset);
        Assert.Equal(42UL, c.Seed);
        Assert.Equal([new StageConfig(40, 1, null), new StageConfig(12, 5, 8), new StageConfig(4, 20, 4)], c.Stages);
        Assert.Equal(56, c.TotalTrials);
        Assert.Equal(new RetentionConfig(2, 20), c.Retention);
        Assert.Equal(new MedianStoppingConfig(2, 3), c.Scheduler.MedianStopping);
        var lr = Assert.IsType<LogUniform>(c.Space["learning_rate"]);
        Assert.Equal((1e-6, 1e-1), (lr.Low, lr.High));
        Assert.Equal(ParamValue.Of("fc:256"), Assert.IsType<Fixed>(c.Space["model"]).Value);
        Assert.Equal(ParamValue.Of(0.9), Assert.IsType<Fixed>(c.Space["momentum"]).Value);
        Assert.IsType<IntUniform>(c.Space["batch_size"]);
        Assert.Equal(NarrowingOptions.Default, c.Narrowing);
    }

    [Fact]
    public void SpaceToJson_RoundTrips()
    {
        var c = SearchConfigParser.Parse(Valid, FcOnly);
        var o = Base();
        o.Remove("model");
        o["space"] = c.Space.ToJson();
        var again = SearchConfigParser.Parse(o.ToJsonString(), FcOnly);
        Assert.Equal(c.Space.ToString(), again.Space.ToString());
    }

    [Fact]
    public void ModelMayBeAChoiceInSpace()
    {
        var c = SearchConfigParser.Parse(Errorless(o =>
        {
            o.Remove("model");
            Space(o)["model"] = JsonNode.Parse("""{"choice": ["fc:256", "fc:512-256"]}""");
        }), FcOnly);
        Assert.Equal(2, Assert.IsType<Choice>(c.Space["model"]).Values.Count);
    }

    private static string Errorless(Action<JsonObject> mutate)
    {
        var o = Base();
        mutate(o);
        return o.ToJsonString();
    }

    [Fact]
    public void LogRangeWithExponents_SuggestsPowersOfTen()
    {
        var e = Single(Errors(o => Space(o)["learning_rate"] = JsonNode.Parse("""{"log_uniform": [-6, 1]}""")), "space.learning_rate.log_uniform");
        Assert.Equal("space.learning_rate.log_uniform: bounds must be > 0, got [-6, 1]; these look like exponents: use [1e-6, 1e1]", e.ToString());
    }

    [Fact]
    public void LogRangeFromZero_ExplainsLogCannotReachZero()
    {
        var e = Single(Errors(o => Space(o)["reg"] = JsonNode.Parse("""{"log_uniform": [0, 0.1]}""")), "space.reg.log_uniform");
        Assert.Contains("bounds must be > 0", e.Message);
        Assert.Contains("never reaches 0", e.Message);
        Assert.Contains("[1e-6, 0.1]", e.Message);
    }

    [Fact]
    public void EmptyRange_SaysUseAPlainValue()
    {
        var e = Single(Errors(o => Space(o)["dropout"] = JsonNode.Parse("""{"uniform": [0.5, 0.5]}""")), "space.dropout.uniform");
        Assert.Contains("empty range [0.5, 0.5]", e.Message);
        Assert.Contains("plain value 0.5", e.Message);
    }

    [Fact]
    public void InvertedRange_ShowsTheFixedOrder()
    {
        var e = Single(Errors(o => Space(o)["learning_rate"] = JsonNode.Parse("""{"log_uniform": [1e-1, 1e-6]}""")), "space.learning_rate.log_uniform");
        Assert.Contains("inverted range", e.Message);
        Assert.Contains("use [1e-6, 0.1]", e.Message);
    }

    [Fact]
    public void IntRangeInverted_IsRejected()
    {
        var e = Single(Errors(o => Space(o)["batch_size"] = JsonNode.Parse("""{"int_uniform": [512, 64]}""")), "space.batch_size.int_uniform");
        Assert.Contains("use [64, 512]", e.Message);
    }

    [Fact]
    public void NaNAndInfinity_AreRejected()
    {
        var errors = Errors(o =>
        {
            Space(o)["learning_rate"] = JsonNode.Parse("""{"log_uniform": [1e-6, "NaN"]}""");
            Space(o)["reg"] = JsonNode.Parse("""{"log_uniform": [1e-6, 1e999]}""");
            Space(o)["momentum"] = "Infinity";
        });
        Assert.Contains("NaN and infinity are not allowed", Single(errors, "space.learning_rate.log_uniform[1]").Message);
        Assert.Contains("not a finite double", Single(errors, "space.reg.log_uniform[1]").Message);
        Assert.Contains("NaN and infinity are not allowed", Single(errors, "space.momentum").Message);
    }

    [Theory]
    [InlineData("lr", "learning_rate")]
    [InlineData("learning-rate", "learning_rate")]
    [InlineData("weight_decay", "reg")]
    [InlineData("dropuot", "dropout")]
    [InlineData("bs", "batch_size")]
    [InlineData("batchsize", "batch_size")]
    [InlineData("optimiser", "optimizer")]
    [InlineData("lr_decey", "lr_decay")]
    public void UnknownParameter_SuggestsClosestAndListsKnown(string typo, string expected)
    {
        var e = Single(Errors(o => Space(o)[typo] = 0.5), "space." + typo);
        Assert.Contains("unknown field", e.Message);
        Assert.Contains($"did you mean '{expected}'?", e.Message);
        Assert.Contains("learning_rate, reg, dropout, momentum, batch_size, optimizer, lr_decay, model", e.Message);
    }

    [Fact]
    public void UnknownParameter_WithoutCloseMatch_StillListsKnown()
    {
        var e = Single(Errors(o => Space(o)["temperature"] = 0.5), "space.temperature");
        Assert.DoesNotContain("did you mean", e.Message);
        Assert.Contains("known fields", e.Message);
    }

    [Theory]
    [InlineData("loguniform", "log_uniform")]
    [InlineData("log", "log_uniform")]
    [InlineData("unifrom", "uniform")]
    [InlineData("randint", "int_uniform")]
    public void UnknownDistributionKind_SuggestsKnownKind(string kind, string expected)
    {
        var e = Single(Errors(o => Space(o)["learning_rate"] = new JsonObject { [kind] = new JsonArray(1e-6, 1e-1) }), "space.learning_rate." + kind);
        Assert.Contains($"unknown distribution kind '{kind}'; did you mean '{expected}'?", e.Message);
        Assert.Contains("log_uniform, uniform, int_uniform, choice", e.Message);
    }

    [Fact]
    public void DropoutOutsideZeroOne_IsRejected()
    {
        var errors = Errors(o => Space(o)["dropout"] = JsonNode.Parse("""{"uniform": [0, 1]}"""));
        var e = Single(errors, "space.dropout.uniform");
        Assert.Contains("[0, 1)", e.Message);
        Assert.Contains("probability of dropping a unit", e.Message);
        Assert.Contains("use e.g. [0, 0.95]", e.Message);

        var fixedOne = Single(Errors(o => Space(o)["dropout"] = 1.0), "space.dropout");
        Assert.Contains("must lie in [0, 1)", fixedOne.Message);
        Assert.Contains("got 1", fixedOne.Message);
    }

    [Fact]
    public void FromTopExceedingPreviousTrials_IsRejected()
    {
        var e = Single(Errors(o => o["stages"]![1]!["from_top"] = 50), "stages[1].from_top");
        Assert.Equal("50 exceeds stage 1's 40 trials: use at most 40", e.Message);
    }

    [Fact]
    public void TrialsOrEpochsBelowOne_AreRejected()
    {
        var errors = Errors(o =>
        {
            o["stages"]![0]!["trials"] = 0;
            o["stages"]![2]!["epochs"] = 0;
        });
        Assert.Contains("must be >= 1", Single(errors, "stages[0].trials").Message);
        Assert.Contains("got 0", Single(errors, "stages[2].epochs").Message);
    }

    [Fact]
    public void FirstStageWithFromTop_IsRejected()
    {
        var e = Single(Errors(o => o["stages"]![0]!["from_top"] = 5), "stages[0].from_top");
        Assert.Contains("first stage", e.Message);
        Assert.Contains("remove from_top", e.Message);
    }

    [Fact]
    public void LaterStageWithoutFromTop_IsRequired()
    {
        var e = Single(Errors(o => o["stages"]![1]!.AsObject().Remove("from_top")), "stages[1].from_top");
        Assert.StartsWith("required", e.Message);
    }

    [Fact]
    public void UnknownOptimizer_SuggestsAndListsKnown()
    {
        var e = Single(Errors(o => Space(o)["optimizer"] = JsonNode.Parse("""{"choice": ["adam", "adamw"]}""")), "space.optimizer.choice[1]");
        Assert.Equal("unknown optimizer 'adamw'; did you mean 'adam'? known: sgd, momentum, nesterov, adagrad, rmsprop, adam", e.Message);
    }

    [Fact]
    public void InvalidModelSpec_ReportsTheValidatorsMessage()
    {
        var e = Single(Errors(o => o["model"] = "conv:32"), "model");
        Assert.Equal("invalid model spec \"conv:32\": unknown layer kind in 'conv:32'; expected e.g. fc:256", e.Message);

        var inChoice = Errors(o =>
        {
            o.Remove("model");
            Space(o)["model"] = JsonNode.Parse("""{"choice": ["fc:256", "bogus"]}""");
        });
        Assert.Contains("invalid model spec \"bogus\"", Single(inChoice, "space.model.choice[1]").Message);
    }

    [Fact]
    public void MalformedJson_ShowsLineAndPosition()
    {
        const string Broken = "{\n  \"experiment\": \"x\"\n  \"seed\": 1\n}";
        var ex = Assert.Throws<SearchConfigException>(() => SearchConfigParser.Parse(Broken));
        var e = Assert.Single(ex.Errors);
        Assert.Equal("(json)", e.Path);
        Assert.StartsWith("malformed JSON at line 3, position 3:", e.Message);
    }

    [Fact]
    public void MissingRequiredFields_AreAllReported()
    {
        var errors = Errors(o =>
        {
            o.Remove("experiment");
            o.Remove("dataset");
            o.Remove("model");
            o.Remove("stages");
        });
        foreach (var path in new[] { "experiment", "dataset", "model", "stages" })
        {
            Assert.StartsWith("required", Single(errors, path).Message);
        }

        var noName = Errors(o => o["dataset"]!.AsObject().Remove("name"));
        Assert.Contains("required", Single(noName, "dataset.name").Message);
    }

    [Fact]
    public void AllErrorsAreCollected_IntoOneException()
    {
        var o = Base();
        Space(o)["lr"] = 0.1;
        Space(o)["dropout"] = JsonNode.Parse("""{"uniform": [0.9, 0.1]}""");
        o["stages"]![2]!["from_top"] = 99;
        o["seed"] = -1;
        var ex = Assert.Throws<SearchConfigException>(() => SearchConfigParser.Parse(o.ToJsonString(), FcOnly, "search.json"));
        Assert.Equal(["seed", "space.dropout.uniform", "space.lr", "stages[2].from_top"], ex.Errors.Select(e => e.Path).Order());
        Assert.StartsWith("search config 'search.json' has 4 errors:", ex.Message);
        foreach (var e in ex.Errors) Assert.Contains(e.ToString(), ex.Message);
    }

    [Fact]
    public void WrongDistributionForParameterType_ExplainsWhatToUse()
    {
        var errors = Errors(o =>
        {
            Space(o)["batch_size"] = JsonNode.Parse("""{"uniform": [64, 512]}""");
            Space(o)["dropout"] = JsonNode.Parse("""{"int_uniform": [0, 1]}""");
            Space(o)["optimizer"] = JsonNode.Parse("""{"uniform": [0, 1]}""");
        });
        Assert.Contains("int_uniform", Single(errors, "space.batch_size.uniform").Message);
        Assert.Contains("use uniform or log_uniform", Single(errors, "space.dropout.int_uniform").Message);
        Assert.Contains("categorical", Single(errors, "space.optimizer.uniform").Message);
    }

    [Fact]
    public void BareListAndDuplicateChoice_AreRejected()
    {
        var errors = Errors(o =>
        {
            Space(o)["optimizer"] = JsonNode.Parse("""["adam", "sgd"]""");
            Space(o)["batch_size"] = JsonNode.Parse("""{"choice": [64, 128, 64]}""");
        });
        Assert.Contains("{\"choice\": [\"adam\",\"sgd\"]}", Single(errors, "space.optimizer").Message);
        Assert.Contains("duplicate value 64", Single(errors, "space.batch_size.choice[2]").Message);
    }

    [Fact]
    public void UnknownTopLevelField_SuggestsName()
    {
        var e = Single(Errors(o =>
        {
            o["stage"] = o["stages"]!.DeepClone();
            o.Remove("stages");
        }), "stage");
        Assert.Contains("did you mean 'stages'?", e.Message);
    }

    [Fact]
    public void EnsembleLargerThanRetention_IsRejected()
    {
        var e = Single(Errors(o => o["ensemble"]!["top"] = 30), "retention.per_experiment");
        Assert.Contains("raise retention.per_experiment to at least 30", e.Message);
    }

    [Fact]
    public void BothModelForms_AreRejected()
    {
        var e = Single(Errors(o => Space(o)["model"] = "fc:128"), "model");
        Assert.Contains("keep one", e.Message);
    }

    [Fact]
    public void LinearLearningRateRange_IsAWarningNotAnError()
    {
        var c = SearchConfigParser.Parse(Errorless(o => Space(o)["learning_rate"] = JsonNode.Parse("""{"uniform": [1e-5, 1e-1]}""")), FcOnly);
        var w = Assert.Single(c.Warnings);
        Assert.Equal("space.learning_rate.uniform", w.Path);
        Assert.Contains("{\"log_uniform\": [1e-5, 0.1]}", w.Message);
        Assert.Empty(SearchConfigParser.Parse(Valid, FcOnly).Warnings);
    }

    [Fact]
    public void SchedulerAndNarrowingOptions_AreParsedAndChecked()
    {
        var c = SearchConfigParser.Parse(Errorless(o =>
        {
            o["scheduler"] = JsonNode.Parse("""{"median_stopping": true}""");
            o["narrowing"] = JsonNode.Parse("""{"margin": 0, "border": 0.2, "log_extension_decades": 1}""");
        }), FcOnly);
        Assert.Equal(new SchedulerConfig(3, new MedianStoppingConfig(2, 3)), c.Scheduler);
        Assert.Equal(NarrowingOptions.Default with { MarginFraction = 0, BorderFraction = 0.2, LogExtensionDecades = 1 }, c.Narrowing);

        var errors = Errors(o =>
        {
            o["scheduler"] = JsonNode.Parse("""{"divergence_factor": 1, "median_stopping": {"grace_epochs": 0}}""");
            o["narrowing"] = JsonNode.Parse("""{"border": 0.6, "min_width": 0}""");
        });
        Assert.Contains("must be in (1, 1e6]", Single(errors, "scheduler.divergence_factor").Message);
        Assert.Contains("must be >= 1", Single(errors, "scheduler.median_stopping.grace_epochs").Message);
        Assert.Contains("must be in [0, 0.49]", Single(errors, "narrowing.border").Message);
        Assert.Contains("must be in (0, 1]", Single(errors, "narrowing.min_width").Message);
    }

    [Fact]
    public async Task LoadAsync_ReadsAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cvlearn-search-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, Valid);
        try
        {
            var c = await SearchConfigParser.LoadAsync(path, FcOnly);
            Assert.Equal("fmnist-fc", c.Experiment);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExperimentNameMustBeFileSafe()
    {
        var e = Single(Errors(o => o["experiment"] = "my search/1"), "experiment");
        Assert.Contains("file names", e.Message);
    }

    [Fact]
    public async Task LoadAsync_MissingFile_IsAConfigError()
    {
        var ex = await Assert.ThrowsAsync<SearchConfigException>(() => SearchConfigParser.LoadAsync("/nonexistent/search.json"));
        Assert.Equal("(file)", Assert.Single(ex.Errors).Path);
    }

    [Fact]
    public async Task TheShippedExampleConfigs_AreValid_AsServeReadsThem()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Examples"), "*.json");
        Assert.Contains(files, f => Path.GetFileName(f) == "fashion-mnist-search.json"); // the README's main job
        foreach (string file in files)
        {
            var (config, _) = await Hosting.SearchSetup.LoadConfigAsync(file, CancellationToken.None);
            Assert.True(config.Warnings.Count == 0, $"{file}: {string.Join("; ", config.Warnings)}");
            Assert.True(config.TotalTrials > 0, file);
        }
    }
}
