namespace CvLearn.Core.Data;

/// <summary>
/// Deterministic permutation from a seed (SplitMix64 + Fisher–Yates). Our own generator rather than System.Random
/// so that a split is identical on every worker and every .NET version: a trial's validation set must not depend
/// on which machine ran it.
/// </summary>
internal static class SeededShuffle
{
    internal static int[] Permutation(int n, int seed)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        ulong state = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(Next(ref state) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
