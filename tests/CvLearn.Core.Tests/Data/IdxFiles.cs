using System.Buffers.Binary;
using System.IO.Compression;

namespace CvLearn.Core.Tests.Data;

/// <summary>Builds IDX files in memory for tests (big-endian header, as the format specifies).</summary>
internal static class IdxFiles
{
    internal static byte[] Images(int count, int rows, int cols, Func<int, byte> pixel, int magic = 0x00000803)
    {
        var data = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), cols);
        for (int i = 16; i < data.Length; i++) data[i] = pixel(i - 16);
        return data;
    }

    internal static byte[] Labels(int count, Func<int, byte> label, int magic = 0x00000801)
    {
        var data = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        for (int i = 0; i < count; i++) data[8 + i] = label(i);
        return data;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Writes a complete MNIST-style directory: 4 files, train of <paramref name="trainCount"/>, test of <paramref name="testCount"/>.</summary>
    internal static void WriteDataset(string dir, int trainCount, int testCount, bool gzip)
    {
        Directory.CreateDirectory(dir);
        void Write(string name, byte[] data) => File.WriteAllBytes(Path.Combine(dir, gzip ? name + ".gz" : name), gzip ? Gzip(data) : data);
        Write("train-images-idx3-ubyte", Images(trainCount, 28, 28, i => (byte)(i % 251)));
        Write("train-labels-idx1-ubyte", Labels(trainCount, i => (byte)(i % 10)));
        Write("t10k-images-idx3-ubyte", Images(testCount, 28, 28, i => (byte)(i % 13)));
        Write("t10k-labels-idx1-ubyte", Labels(testCount, i => (byte)((i * 3) % 10)));
    }
}
