using System.Collections.Concurrent;
using CvLearn.Master.Search;

namespace CvLearn.Master.Tests;

public class SamplerTests
{
    private static SearchSpace Space() => new(
    [
        new SearchParameter("learning_rate", new LogUniform(1e-6, 1e-1)),
        new SearchParameter("reg", new LogUniform(1e-6, 1e-1)),
        new SearchParameter("batch_size", new IntUniform(64, 512)),
        new SearchParameter("optimizer", new Choice("adam", "sgd", "momentum")),
        new SearchParameter("momentum", new Fixed(ParamValue.Of(0.9))),
    ]);

    private static string Fingerprint(TrialSampler s, SearchSpace space, int stage, int index) =>
        s.Sample(space, stage, index).ToJson().ToJsonString() + "|" + s.TrainingSeed(stage, index);

    [Fact]
    public void SameTriple_SameValues_RegardlessOfOrderAndThreads()
    {
        var space = Space();
        const int Trials = 64;

        // "1 worker": ask in index order, one sampler.
        var sequential = new string[Trials];
        var one = new TrialSampler(42);
        for (int i = 0; i < Trials; i++) sequential[i] = Fingerprint(one, space, 1, i);

        // "8 workers": a fresh sampler per worker, shuffled request order, 8 threads at once, each trial asked twice.
        var order = Enumerable.Range(0, Trials).Concat(Enumerable.Range(0, Trials)).ToArray();
        new Random(5).Shuffle(order);
        var parallel = new ConcurrentDictionary<int, ConcurrentBag<string>>();
        Parallel.ForEach(
            order,
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            () => new TrialSampler(42),
            (i, _, sampler) =>
            {
                parallel.GetOrAdd(i, _ => []).Add(Fingerprint(sampler, space, 1, i));
                return sampler;
            },
            _ => { });

        for (int i = 0; i < Trials; i++)
        {
            Assert.All(parallel[i], f => Assert.Equal(sequential[i], f));
        }

        // And trials differ from each other (the key actually feeds the stream).
        Assert.Equal(Trials, sequential.Distinct().Count());
    }

    [Fact]
    public void DifferentSeedStageOrIndex_GiveDifferentValues()
    {
        var space = Space();
        string a = Fingerprint(new TrialSampler(42), space, 1, 3);
        Assert.NotEqual(a, Fingerprint(new TrialSampler(43), space, 1, 3));
        Assert.NotEqual(a, Fingerprint(new TrialSampler(42), space, 2, 3));
        Assert.NotEqual(a, Fingerprint(new TrialSampler(42), space, 1, 4));
    }

    [Fact]
    public void AddingAParameter_DoesNotShiftTheOthers()
    {
        var s = new TrialSampler(7);
        var before = Space();
        var after = before.With("dropout", new Uniform(0, 0.8));
        for (int i = 0; i < 20; i++)
        {
            var h0 = s.Sample(before, 1, i);
            var h1 = s.Sample(after, 1, i);
            foreach (var kv in h0.Values) Assert.Equal(kv.Value, h1[kv.Key]);
            Assert.InRange(h1.GetNumber("dropout")!.Value, 0, 0.8);
        }
    }

    [Fact]
    public void TrainingSeed_IsNonNegativeAndDistinctPerTrial()
    {
        var s = new TrialSampler(1);
        var seeds = Enumerable.Range(0, 200).Select(i => s.TrainingSeed(1, i)).ToList();
        Assert.All(seeds, v => Assert.True(v >= 0));
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
    }

    [Fact]
    public void StreamsOfDifferentParameters_AreNotCorrelated()
    {
        // learning_rate and reg use the same prior; if the streams were shared or shifted copies, their log-values
        // would be (anti)correlated across trials.
        var s = new TrialSampler(42);
        var space = Space();
        var pairs = Enumerable.Range(0, 2000).Select(i => s.Sample(space, 1, i))
            .Select(h => (Math.Log10(h.GetNumber("learning_rate")!.Value), Math.Log10(h.GetNumber("reg")!.Value))).ToList();
        double mx = pairs.Average(p => p.Item1), my = pairs.Average(p => p.Item2);
        double cov = pairs.Average(p => (p.Item1 - mx) * (p.Item2 - my));
        double r = cov / Math.Sqrt(pairs.Average(p => Math.Pow(p.Item1 - mx, 2)) * pairs.Average(p => Math.Pow(p.Item2 - my, 2)));
        // |r| < 4/√n is far outside what independent streams produce by chance (~4σ).
        Assert.InRange(r, -4 / Math.Sqrt(2000), 4 / Math.Sqrt(2000));
    }
}
