using System.IO.Compression;

namespace CvLearn.Core.Data;

/// <summary>
/// Whole-file reads for dataset files: one bulk read (or one gzip decompression) into a byte array,
/// so that 47 MB of Fashion-MNIST pixels never goes through per-byte stream calls.
/// </summary>
internal static class FileBytes
{
    /// <summary>Refuses to inflate more than this from one gzip file (a corrupt or hostile file must not exhaust memory).</summary>
    internal const long MaxDecompressedBytes = 1L << 31;

    /// <summary>True when the bytes start with the gzip magic 1f 8b (decided by content, never by file extension).</summary>
    internal static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;

    /// <summary>Reads <paramref name="path"/>, transparently decompressing it when it is gzip.</summary>
    internal static async Task<byte[]> ReadMaybeGzipAsync(string path, CancellationToken ct)
    {
        // Inflated straight from the file: reading the compressed file whole first would take ~30 MB more fresh
        // memory for Fashion-MNIST, and in a VM first-touched memory costs ~3 ms per MB.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        await using (file.ConfigureAwait(false))
        {
            var head = new byte[2];
            int got = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (!IsGzip(head.AsSpan(0, got)))
            {
                var all = new byte[file.Length];
                head.AsSpan(0, got).CopyTo(all);
                await file.ReadExactlyAsync(all.AsMemory(got), ct).ConfigureAwait(false);
                return all;
            }
            // The gzip trailer's ISIZE (last 4 bytes, little-endian) is the uncompressed size mod 2^32: a good capacity hint.
            int hint = 0;
            if (file.Length >= 18)
            {
                var trailer = new byte[4];
                file.Seek(-4, SeekOrigin.End);
                await file.ReadExactlyAsync(trailer, ct).ConfigureAwait(false);
                hint = (int)Math.Min(BitConverter.ToUInt32(trailer), int.MaxValue / 2);
            }
            file.Seek(0, SeekOrigin.Begin);
            try
            {
                return await Task.Run(() => Inflate(file, hint, path, ct), ct).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                throw new DatasetFormatException($"{path}: corrupt gzip data ({ex.Message}). Re-download or re-install the file.", ex);
            }
        }
    }

    private static byte[] Inflate(Stream input, int hint, string path, CancellationToken ct)
    {
        using var gz = new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
        using var output = new MemoryStream(Math.Max(hint, 1024));
        byte[] chunk = new byte[1 << 20];
        int n;
        try
        {
            while ((n = gz.Read(chunk, 0, chunk.Length)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                if (output.Length + n > MaxDecompressedBytes)
                    throw new DatasetFormatException($"{path}: decompresses to more than {MaxDecompressedBytes} bytes; not a dataset file.");
                output.Write(chunk, 0, n);
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new DatasetFormatException($"{path}: the gzip stream is truncated ({ex.Message}). Re-download the file.", ex);
        }
        return output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();
    }
}
