namespace CvLearn.Master.Search;

/// <summary>
/// SplitMix64 generator (Steele, Lea, Flood 2014): a 64-bit counter passed through a strong bit mixer.
/// Chosen because its output is fully determined by the seed on every platform and runtime version
/// (unlike <see cref="Random"/>), which is what makes trial hyperparameters reproducible.
/// Not thread-safe: each trial/parameter stream owns its own instance.
/// </summary>
public sealed class SplitMix64
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    /// <summary>Creates a stream starting at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The SplitMix64 output mixer; also used to hash keys into seeds.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        _state += Golden;
        return Mix(_state);
    }

    /// <summary>Uniform double in [0, 1) with 53 bits of resolution.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [<paramref name="low"/>, <paramref name="high"/>] (inclusive), without modulo bias.</summary>
    public long NextInt64(long low, long high)
    {
        if (high < low) throw new ArgumentException($"empty integer range [{low}, {high}]", nameof(high));
        ulong range = (ulong)(high - low) + 1UL; // 0 means the full 2^64 range
        if (range == 0) return (long)NextUInt64();
        // Rejection sampling: discard the top partial block so every residue is equally likely.
        ulong limit = ulong.MaxValue - (ulong.MaxValue % range + 1) % range;
        ulong x;
        do
        {
            x = NextUInt64();
        }
        while (x > limit);
        return low + (long)(x % range);
    }
}
