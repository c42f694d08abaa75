using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF — the zlib/PNG variant).
/// Written here because System.IO.Hashing is not available to this build. Blocks of 64 bytes and more are folded with
/// carry-less multiplication (PCLMULQDQ; Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
/// Instruction", 2009): ~10× the table's speed, which mattered because every checkpoint (8.5 MB for fc:512-256) is
/// summed when it is written and again when it is read. The rest, and machines without PCLMULQDQ, use the table
/// (slicing-by-4).
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC (<paramref name="crc"/> from a previous call, 0 to start) over more data.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        if (Pclmulqdq.IsSupported && Sse41.IsSupported && data.Length >= 64)
        {
            int folded = data.Length & ~15;
            c = Fold(c, data[..folded]);
            data = data[folded..];
        }
        return ~AppendTable(c, data);
    }

    /// <summary>The table path alone (for tests and benchmarks: the reference the folding path must match).</summary>
    internal static uint ComputeWithTable(ReadOnlySpan<byte> data) => ~AppendTable(~0u, data);

    private static uint AppendTable(uint c, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            c ^= (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            c = t[768 + (c & 0xFF)] ^ t[512 + ((c >> 8) & 0xFF)] ^ t[256 + ((c >> 16) & 0xFF)] ^ t[c >> 24];
        }
        for (; i < data.Length; i++) c = t[(c ^ data[i]) & 0xFF] ^ (c >> 8);
        return c;
    }

    // Folding constants for the bit-reflected polynomial, each x^n mod P (reflected, shifted left by one) for the
    // distance it folds across: 4 × 128 bits ± 32 (k1, k2), 128 bits ± 32 (k3, k4), 64 bits (k5); then P itself and
    // the Barrett constant u = x^64 / P for the final reduction to 32 bits (the whitepaper's §4 and Appendix).
    private const ulong K1 = 0x154442bd4, K2 = 0x1c6e41596, K3 = 0x1751997d0, K4 = 0x0ccaa009e, K5 = 0x163cd6124;
    private const ulong PolyReflected = 0x1db710641, BarrettU = 0x1f7011641;

    /// <summary>Folds <paramref name="data"/> (at least 64 bytes, a multiple of 16) into the running (pre-inverted) CRC <paramref name="c"/>.</summary>
    private static uint Fold(uint c, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        int n = data.Length;
        var x0 = Load(ref p, 0) ^ Vector128.CreateScalar((ulong)c);
        var x1 = Load(ref p, 16);
        var x2 = Load(ref p, 32);
        var x3 = Load(ref p, 48);
        int offset = 64;
        var k12 = Vector128.Create(K1, K2);
        for (; offset + 64 <= n; offset += 64) // four independent lanes hide the multiplier's latency
        {
            x0 = FoldInto(x0, k12, Load(ref p, offset));
            x1 = FoldInto(x1, k12, Load(ref p, offset + 16));
            x2 = FoldInto(x2, k12, Load(ref p, offset + 32));
            x3 = FoldInto(x3, k12, Load(ref p, offset + 48));
        }
        var k34 = Vector128.Create(K3, K4);
        var x = FoldInto(FoldInto(FoldInto(x0, k34, x1), k34, x2), k34, x3);
        for (; offset + 16 <= n; offset += 16) x = FoldInto(x, k34, Load(ref p, offset));

        // 128 → 64 bits (which also appends the 32 zero bits the CRC definition multiplies by), then 64 → 32.
        var mask32 = Vector128.Create(0xFFFFFFFFul, 0);
        x = Pclmulqdq.CarrylessMultiply(x, k34, 0x10) ^ Sse2.ShiftRightLogical128BitLane(x, 8);
        x = Pclmulqdq.CarrylessMultiply(x & mask32, Vector128.CreateScalar(K5), 0x00) ^ Sse2.ShiftRightLogical128BitLane(x, 4);
        // Barrett reduction modulo P.
        var pu = Vector128.Create(PolyReflected, BarrettU);
        var t = Pclmulqdq.CarrylessMultiply(x & mask32, pu, 0x10) & mask32;
        x ^= Pclmulqdq.CarrylessMultiply(t, pu, 0x00);
        return Sse41.Extract(x.AsUInt32(), 1);
    }

    /// <summary>x·k folded forward by the distance k encodes, XOR the next block: (x.lo ⊗ k.lo) ⊕ (x.hi ⊗ k.hi) ⊕ next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> FoldInto(Vector128<ulong> x, Vector128<ulong> k, Vector128<ulong> next) =>
        Pclmulqdq.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(x, k, 0x11) ^ next;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load(ref byte p, int offset) => Vector128.LoadUnsafe(ref p, (nuint)offset).AsUInt64();

    private static uint[] BuildTable()
    {
        // Table k (k = 0..3) advances the CRC over one byte followed by k zero bytes, so four bytes fold in one step.
        var t = new uint[1024];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        for (int n = 0; n < 256; n++)
            for (int k = 1; k < 4; k++)
                t[k * 256 + n] = t[(k - 1) * 256 + n] >> 8 ^ t[t[(k - 1) * 256 + n] & 0xFF];
        return t;
    }
}
