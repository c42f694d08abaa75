using System.Buffers.Binary;
using System.Text;
using CvLearn.Core.Checkpoints;
using CvLearn.Core.Tests.Data;

namespace CvLearn.Core.Tests.Checkpoints;

public class CheckpointFileTests
{
    [Fact]
    public void RoundTripIsExact()
    {
        var original = SampleCheckpoints.Full();
        var restored = CheckpointFile.FromBytes(CheckpointFile.ToBytes(original));
        SampleCheckpoints.AssertEqual(original, restored);
        // Serialising again gives the same bytes (deterministic format).
        Assert.Equal(CheckpointFile.ToBytes(original), CheckpointFile.ToBytes(restored));
    }

    [Fact]
    public void OneReusedBufferSerializesEachCheckpointAsToBytesDoes()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var full = SampleCheckpoints.Full();
        var minimal = SampleCheckpoints.Minimal();

        Assert.Equal(CheckpointFile.ToBytes(full), CheckpointFile.Serialize(full, buffer).ToArray());
        int capacity = buffer.Capacity;
        // A smaller one after a bigger one: the earlier bytes are dropped, the buffer is not grown.
        var second = CheckpointFile.Serialize(minimal, buffer);
        Assert.Equal(CheckpointFile.ToBytes(minimal), second.ToArray());
        Assert.Equal(capacity, buffer.Capacity);
        SampleCheckpoints.AssertEqual(minimal, CheckpointFile.FromBytes(second.Span));
        Assert.Equal(CheckpointFile.ToBytes(full), CheckpointFile.Serialize(full, buffer).ToArray());
    }

    [Fact]
    public void MinimalCheckpointRoundTripsWithNullOptionalParts()
    {
        var original = SampleCheckpoints.Minimal();
        var restored = CheckpointFile.FromBytes(CheckpointFile.ToBytes(original));
        SampleCheckpoints.AssertEqual(original, restored);
        Assert.Null(restored.EmaParameters);
        Assert.Null(restored.Optimizer);
        Assert.Null(restored.Preprocessing);
    }

    [Fact]
    public async Task StreamAndFileRoundTrip()
    {
        using var dir = new TempDirectory();
        var original = SampleCheckpoints.Full(2);
        using (var ms = new MemoryStream())
        {
            await CheckpointFile.WriteAsync(original, ms);
            ms.Position = 0;
            SampleCheckpoints.AssertEqual(original, await CheckpointFile.ReadAsync(ms));
        }
        string path = dir.File("sub/val0.5000_ep01.ckpt");
        await CheckpointFile.SaveAsync(original, path);
        SampleCheckpoints.AssertEqual(original, await CheckpointFile.LoadAsync(path));
    }

    [Fact]
    public void HeaderLayoutIsLittleEndianWithMagicVersionAndLength()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        Assert.Equal("CVLCKPT\0"u8.ToArray(), bytes.AsSpan(0, 8).ToArray());
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal((ulong)bytes.Length, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    [Fact]
    public void Crc32MatchesStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        byte[] data = Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog");
        Assert.Equal(0x414FA339u, Crc32.Compute(data));
        Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, 7)), data.AsSpan(7)));
    }

    [Fact]
    public void Crc32FoldingMatchesTheTableAtEveryLengthAndSplit()
    {
        Assert.True(System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported, "this machine has PCLMULQDQ, so the folding path is what runs here");
        var rng = new Random(17);
        var data = new byte[5000];
        rng.NextBytes(data);
        for (int n = 0; n <= 700; n++)
            Assert.True(Crc32.ComputeWithTable(data.AsSpan(0, n)) == Crc32.Compute(data.AsSpan(0, n)), $"length {n}");
        Assert.Equal(Crc32.ComputeWithTable(data), Crc32.Compute(data));
        for (int cut = 0; cut <= data.Length; cut += 37) // Append carries the CRC across pieces of any alignment
            Assert.Equal(Crc32.ComputeWithTable(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, cut)), data.AsSpan(cut)));
        var zeros = new byte[1 << 20];
        Assert.Equal(Crc32.ComputeWithTable(zeros), Crc32.Compute(zeros));
        Array.Fill(zeros, (byte)0xFF);
        Assert.Equal(Crc32.ComputeWithTable(zeros), Crc32.Compute(zeros));
    }

    [Fact]
    public async Task TruncatedFileReportsExpectedAndActualLength()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Full());
        byte[] cut = bytes[..(bytes.Length / 2)];
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(cut, "cut.ckpt"));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(bytes.Length.ToString(), ex.Message);
        Assert.Contains(cut.Length.ToString(), ex.Message);
        Assert.Contains("cut.ckpt", ex.Message);
        Assert.Equal("cut.ckpt", ex.FileName);

        var streamEx = await Assert.ThrowsAsync<CheckpointFormatException>(() => CheckpointFile.ReadAsync(new MemoryStream(cut)));
        Assert.Contains("truncated", streamEx.Message);
        Assert.Contains(bytes.Length.ToString(), streamEx.Message);
    }

    [Fact]
    public async Task NonSeekableStreamsRoundTripAndDetectTruncation()
    {
        var original = SampleCheckpoints.Full(3);
        byte[] bytes = CheckpointFile.ToBytes(original);
        SampleCheckpoints.AssertEqual(original, await CheckpointFile.ReadAsync(new NonSeekableStream(bytes)));
        var ex = await Assert.ThrowsAsync<CheckpointFormatException>(() => CheckpointFile.ReadAsync(new NonSeekableStream(bytes.AsSpan(0, bytes.Length - 1).ToArray()), "net", CancellationToken.None));
        Assert.Contains($"declares {bytes.Length} bytes but only {bytes.Length - 1}", ex.Message);
        var trailing = await Assert.ThrowsAsync<CheckpointFormatException>(() => CheckpointFile.ReadAsync(new NonSeekableStream([.. bytes, 1, 2])));
        Assert.Contains("more data follows", trailing.Message);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    [Fact]
    public void FileCutInsideHeaderIsTruncated()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(bytes.AsSpan(0, 12)));
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void EveryPayloadBitFlipIsDetected()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        // Flip one bit in each byte after the fixed header (sections and checksum); every flip must be rejected.
        for (int i = 24; i < bytes.Length; i++)
        {
            byte[] bad = (byte[])bytes.Clone();
            bad[i] ^= (byte)(1 << (i % 8));
            var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(bad));
            Assert.Contains("checksum mismatch", ex.Message);
        }
    }

    [Fact]
    public async Task BitFlipInLargeFileNamesFileAndChecksum()
    {
        using var dir = new TempDirectory();
        string path = dir.File("flip.ckpt");
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Full());
        bytes[bytes.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);
        var ex = await Assert.ThrowsAsync<CheckpointFormatException>(() => CheckpointFile.LoadAsync(path));
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("text")]
    [InlineData("random")]
    [InlineData("empty")]
    public void ForeignFilesAreNotCheckpoints(string kind)
    {
        byte[] data = kind switch
        {
            "png" => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0],
            "text" => Encoding.UTF8.GetBytes("learning_rate = 0.001\nreg = 1e-5\n"),
            "random" => RandomBytes(4096),
            _ => [],
        };
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(data, "foreign.bin"));
        Assert.Contains("not a CvLearn checkpoint", ex.Message);
        Assert.Contains("foreign.bin", ex.Message);
        if (kind == "png") Assert.Contains("PNG", ex.Message);
        if (kind == "text") Assert.Contains("learning", ex.Message);
        if (kind == "empty") Assert.Contains("empty", ex.Message);
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(5).NextBytes(b);
        return b;
    }

    [Fact]
    public void FutureVersionSaysWhichVersionAndWhichThisBuildReads()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 7);
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(bytes));
        Assert.Contains("version 7", ex.Message);
        Assert.Contains($"reads version {CheckpointFile.FormatVersion}", ex.Message);
    }

    /// <summary>Re-seals a modified body with a valid CRC so that structure checks (not the checksum) must catch the damage.</summary>
    private static byte[] Reseal(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), (ulong)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    [Fact]
    public void AbsurdSectionLengthIsRejectedWithoutAllocating()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        // First section header at offset 24: tag (4) + uint64 length. Claim 40 GB.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(28), 40UL << 30);
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(Reseal(bytes)));
        Assert.Contains("MODL", ex.Message);
        Assert.Contains("remain", ex.Message);
    }

    [Fact]
    public void AbsurdArrayLengthIsRejected()
    {
        var cp = SampleCheckpoints.Minimal();
        byte[] bytes = CheckpointFile.ToBytes(cp);
        // The float count of parameter "W" (2 floats) precedes its 8 data bytes: find it from the end of the PARM payload.
        int pos = FindSequence(bytes, [2, 0, 0, 0, 0, 0, 0x80, 0x3F]);   // count 2, then 1.0f
        Assert.True(pos > 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(pos), int.MaxValue);
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(Reseal(bytes)));
        Assert.Contains("data of 'W'", ex.Message);
    }

    [Fact]
    public async Task AbsurdDeclaredFileLengthIsRejectedFromStreamWithoutReadingIt()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), ulong.MaxValue / 2);
        var ex = await Assert.ThrowsAsync<CheckpointFormatException>(() => CheckpointFile.ReadAsync(new MemoryStream(bytes)));
        Assert.Contains("impossible length", ex.Message);
    }

    [Fact]
    public void UnknownCriticalSectionIsRejectedButOptionalIsSkipped()
    {
        byte[] Build(string tag)
        {
            byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
            var body = bytes[..^4].ToList();
            body.AddRange(Encoding.ASCII.GetBytes(tag));
            body.AddRange(BitConverter.GetBytes(3UL));
            body.AddRange(new byte[] { 1, 2, 3 });
            body.AddRange(new byte[4]);
            byte[] result = body.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(12), BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(12)) + 1);
            return Reseal(result);
        }
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(Build("ZZZZ")));
        Assert.Contains("ZZZZ", ex.Message);
        SampleCheckpoints.AssertEqual(SampleCheckpoints.Minimal(), CheckpointFile.FromBytes(Build("zzzz")));
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        byte[] bytes = CheckpointFile.ToBytes(SampleCheckpoints.Minimal());
        byte[] longer = [.. bytes, 0];
        Assert.Contains("follow", Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(longer)).Message);
    }

    [Fact]
    public void WriterRejectsInconsistentCheckpoints()
    {
        var dup = SampleCheckpoints.Minimal() with { Parameters = [new NamedArray("W", [1], [1f]), new NamedArray("W", [1], [2f])] };
        Assert.Contains("two arrays named 'W'", Assert.Throws<ArgumentException>(() => CheckpointFile.ToBytes(dup)).Message);
        Assert.Throws<ArgumentException>(() => new NamedArray("x", [2, 3], new float[5]));
        var names = SampleCheckpoints.Minimal() with { ClassNames = ["a", "b"] };
        Assert.Throws<ArgumentException>(() => CheckpointFile.ToBytes(names));
    }

    [Fact]
    public void ValidationPredictionsAreOptionalAndCheckedOnBothSides()
    {
        var full = SampleCheckpoints.Full();
        Assert.NotNull(CheckpointFile.FromBytes(CheckpointFile.ToBytes(full)).ValidationPredictions);
        Assert.Null(CheckpointFile.FromBytes(CheckpointFile.ToBytes(SampleCheckpoints.Minimal())).ValidationPredictions);

        // Writer: predictions for another number of classes than the model's.
        var other = full with { ValidationPredictions = new ValidationPredictions([0, 1], new float[6], 3) };
        Assert.Contains("3 classes", Assert.Throws<ArgumentException>(() => CheckpointFile.ToBytes(other)).Message);

        // Reader: a resealed "vprd" whose class count no longer fits its arrays, and one that disagrees with the model.
        byte[] bytes = CheckpointFile.ToBytes(full);
        int at = FindSequence(bytes, "vprd"u8.ToArray());
        Assert.True(at > 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 12), 9);
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(Reseal(bytes)));
        Assert.Contains("vprd", ex.Message);
        Assert.Contains("7 images × 9 classes", ex.Message);

        var five = full with { Classes = 5, ClassNames = [], ValidationPredictions = new ValidationPredictions([0, 4], new float[10], 5) };
        byte[] renamed = CheckpointFile.ToBytes(five);
        int modl = FindSequence(renamed, "MODL"u8.ToArray());
        int classesAt = FindSequence(renamed[modl..], BitConverter.GetBytes(5)) + modl; // MODL: spec, shape, then the class count
        BinaryPrimitives.WriteInt32LittleEndian(renamed.AsSpan(classesAt), 10);
        ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.FromBytes(Reseal(renamed)));
        Assert.Contains("validation predictions have 5 classes but the model has 10", ex.Message);
    }

    private static int FindSequence(byte[] data, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= data.Length; i++)
            if (data.AsSpan(i, pattern.Length).SequenceEqual(pattern)) return i;
        return -1;
    }
}
