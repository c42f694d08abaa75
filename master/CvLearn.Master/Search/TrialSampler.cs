using System.Text;

namespace CvLearn.Master.Search;

/// <summary>
/// Reproducible random search. A trial's hyperparameters are a pure function of
/// (experiment seed, stage, trial index, stage space): every parameter draws from its own SplitMix64 stream whose
/// seed hashes (experiment seed, stage, index, parameter name). Consequences:
/// <list type="bullet">
/// <item>no shared RNG state, so results do not depend on worker count, request order or threads;</item>
/// <item>adding or removing a parameter does not change the values of the others.</item>
/// </list>
/// The training seed (weight init, shuffling) comes from the same triple under a reserved stream name.
/// Thread-safe (stateless apart from the seed).
/// </summary>
public sealed class TrialSampler
{
    /// <summary>Stream name of the per-trial training seed; cannot collide with a parameter name (those are snake_case).</summary>
    public const string TrainingSeedStream = "#training-seed";

    /// <summary>Creates a sampler for one experiment.</summary>
    public TrialSampler(ulong experimentSeed) => ExperimentSeed = experimentSeed;

    /// <summary>The experiment seed.</summary>
    public ulong ExperimentSeed { get; }

    /// <summary>Draws the hyperparameters of trial (<paramref name="stage"/>, <paramref name="index"/>) from <paramref name="space"/>.</summary>
    public Hyperparameters Sample(SearchSpace space, int stage, int index)
    {
        ArgumentNullException.ThrowIfNull(space);
        var values = new KeyValuePair<string, ParamValue>[space.Parameters.Count];
        for (int i = 0; i < values.Length; i++)
        {
            var p = space.Parameters[i];
            values[i] = new(p.Name, p.Distribution.Sample(Stream(stage, index, p.Name)));
        }

        return new Hyperparameters(values);
    }

    /// <summary>The training seed of trial (<paramref name="stage"/>, <paramref name="index"/>), as a non-negative 63-bit value.</summary>
    public long TrainingSeed(int stage, int index) =>
        (long)(Stream(stage, index, TrainingSeedStream).NextUInt64() >> 1);

    /// <summary>The independent random stream for one (stage, index, name) under this experiment seed.</summary>
    public SplitMix64 Stream(int stage, int index, string name) => new(StreamSeed(ExperimentSeed, stage, index, name));

    /// <summary>
    /// Hashes the key into a stream seed: each component is folded in through the SplitMix64 mixer
    /// (a bijection), so distinct keys give unrelated streams.
    /// </summary>
    public static ulong StreamSeed(ulong experimentSeed, int stage, int index, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ulong h = SplitMix64.Mix(experimentSeed ^ 0x6A09E667F3BCC909UL);
        h = SplitMix64.Mix(h ^ (uint)stage ^ 0x5100000000000000UL);
        h = SplitMix64.Mix(h ^ (uint)index ^ 0x7100000000000000UL);
        return SplitMix64.Mix(h ^ Fnv1a(name));
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(s))
        {
            h ^= b;
            h *= 0x100000001B3UL;
        }

        return h;
    }
}
