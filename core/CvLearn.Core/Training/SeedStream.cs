namespace CvLearn.Core.Training;

/// <summary>
/// A small, fast, allocation-free SplitMix64 generator with explicit seed derivation. Used instead of
/// <see cref="Random"/> so that shuffles are reproducible across runtimes and can be derived from
/// (seed, stream, index) without keeping generator state between epochs.
/// </summary>
internal struct SeedStream
{
    private ulong _state;

    public SeedStream(ulong seed) => _state = seed;

    /// <summary>A generator for (seed, stream, index): independent streams for shuffles, samples, dropout, …</summary>
    public static SeedStream For(int seed, int stream, int index) => new(Derive(seed, stream, index));

    /// <summary>A well-mixed 64-bit seed from the three values.</summary>
    public static ulong Derive(int seed, int stream, int index)
    {
        ulong z = Mix((ulong)(uint)seed + 0x9E3779B97F4A7C15UL);
        z = Mix(z ^ ((ulong)(uint)stream << 32 | (uint)index));
        return z;
    }

    /// <summary>A non-negative 31-bit seed for APIs that take an int.</summary>
    public static int DeriveInt(int seed, int stream, int index) => (int)(Derive(seed, stream, index) >> 33);

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public int NextInt(int bound)
    {
        uint b = (uint)bound;
        ulong m = (NextUInt64() >> 32) * b;
        uint low = (uint)m;
        if (low < b)
        {
            uint threshold = unchecked(0u - b) % b;
            while (low < threshold)
            {
                m = (NextUInt64() >> 32) * b;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Fills <paramref name="order"/> with 0..n−1 in a uniformly random order (Fisher–Yates).</summary>
    public void Permutation(Span<int> order)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
