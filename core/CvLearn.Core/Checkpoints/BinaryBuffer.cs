using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace CvLearn.Core.Checkpoints;

/// <summary>Little-endian writer into a growable buffer (the checkpoint is assembled in memory, then written once).</summary>
internal sealed class BinaryBufferWriter(ArrayBufferWriter<byte> buffer)
{
    // Sized up front (or reused) by callers that know roughly how much they write: growing by doubling from 64 KB
    // allocated ~4× a checkpoint's size in fresh memory, and first touches of fresh pages are slow (~3.6 ms per MB
    // measured in this VM, in the kernel, i.e. CPU taken from training).
    private readonly ArrayBufferWriter<byte> _buffer = buffer;

    public BinaryBufferWriter(int initialCapacity = 1 << 16) : this(new ArrayBufferWriter<byte>(Math.Max(initialCapacity, 256)))
    {
    }

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public Span<byte> WrittenSpanMutable => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(_buffer.WrittenSpan), _buffer.WrittenCount);

    public void Bytes(ReadOnlySpan<byte> data) => _buffer.Write(data);

    public void Byte(byte v) { _buffer.GetSpan(1)[0] = v; _buffer.Advance(1); }

    public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), v); _buffer.Advance(4); }

    public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), v); _buffer.Advance(4); }

    public void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }

    public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }

    public void F64(double v) { BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }

    public void String(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        I32(n);
        Encoding.UTF8.GetBytes(s, _buffer.GetSpan(n));
        _buffer.Advance(n);
    }

    public void Floats(ReadOnlySpan<float> data)
    {
        I32(data.Length);
        if (BitConverter.IsLittleEndian)
        {
            Bytes(MemoryMarshal.AsBytes(data));
            return;
        }
        foreach (float f in data) { BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), f); _buffer.Advance(4); }
    }

    public void Doubles(ReadOnlySpan<double> data)
    {
        I32(data.Length);
        foreach (double d in data) F64(d);
    }

    public void Ints(ReadOnlySpan<int> data)
    {
        I32(data.Length);
        foreach (int v in data) I32(v);
    }

    /// <summary>Overwrites 8 bytes at <paramref name="offset"/> (length fields patched after their content is written).</summary>
    public void PatchU64(int offset, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(WrittenSpanMutable.Slice(offset, 8), v);
}

/// <summary>
/// Bounds-checked little-endian reader over an in-memory checkpoint. Every count is checked against the bytes that
/// remain BEFORE anything is allocated, so a corrupt length can never make the reader allocate gigabytes.
/// </summary>
internal ref struct BinaryBufferReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _context;
    private readonly string? _file;
    private int _pos;

    public BinaryBufferReader(ReadOnlySpan<byte> data, string context, string? file)
    {
        _data = data;
        _context = context;
        _file = file;
        _pos = 0;
    }

    public readonly int Remaining => _data.Length - _pos;

    public readonly int Position => _pos;

    private ReadOnlySpan<byte> Take(long n, string what)
    {
        if (n < 0 || n > Remaining)
            throw new CheckpointFormatException($"corrupt {_context}: {what} needs {n} bytes but only {Remaining} remain.", _file);
        var s = _data.Slice(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    public byte Byte(string what) => Take(1, what)[0];

    /// <summary>The next <paramref name="n"/> bytes as a view (no copy).</summary>
    public ReadOnlySpan<byte> Slice(int n) => Take(n, "bytes");

    public int I32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

    public long I64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));

    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A count that must be ≥ 0 and, with <paramref name="bytesPerItem"/> bytes each, fit in what remains.</summary>
    public int Count(string what, int bytesPerItem)
    {
        int n = I32(what);
        if (n < 0 || (long)n * bytesPerItem > Remaining)
            throw new CheckpointFormatException($"corrupt {_context}: {what} is {n}, but only {Remaining} bytes remain.", _file);
        return n;
    }

    public string String(string what)
    {
        int n = Count(what + " length", 1);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(n, what));
        }
        catch (DecoderFallbackException ex)
        {
            throw new CheckpointFormatException($"corrupt {_context}: {what} is not valid UTF-8 ({ex.Message}).", _file);
        }
    }

    public float[] Floats(string what)
    {
        int n = Count(what + " length", 4);
        var result = new float[n];
        ReadOnlySpan<byte> bytes = Take(4L * n, what);
        if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        else for (int i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
        return result;
    }

    public double[] Doubles(string what)
    {
        int n = Count(what + " length", 8);
        var result = new double[n];
        for (int i = 0; i < n; i++) result[i] = F64(what);
        return result;
    }

    public int[] Ints(string what)
    {
        int n = Count(what + " length", 4);
        var result = new int[n];
        for (int i = 0; i < n; i++) result[i] = I32(what);
        return result;
    }

    public readonly void ExpectEnd()
    {
        if (Remaining != 0) throw new CheckpointFormatException($"corrupt {_context}: {Remaining} unexpected trailing bytes.", _file);
    }

    public readonly CheckpointFormatException Error(string message) => new($"corrupt {_context}: {message}", _file);
}
