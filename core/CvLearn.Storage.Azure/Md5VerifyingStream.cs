using System.Security.Cryptography;

namespace CvLearn.Storage.Azure;

/// <summary>
/// Read-only pass-through stream that hashes what is read and, at end of stream, throws
/// <see cref="InvalidDataException"/> when the MD5 or the length differs from what the service announced.
/// </summary>
internal sealed class Md5VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly IDisposable? _owner;
    private readonly byte[]? _expectedMd5;
    private readonly long? _expectedLength;
    private readonly string _what;
#pragma warning disable CA5351 // MD5 is the integrity check the Blob service defines (Content-MD5), not a security primitive here.
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
    private long _read;
    private bool _verified;

    public Md5VerifyingStream(Stream inner, IDisposable? owner, byte[]? expectedMd5, long? expectedLength, string what)
    {
        _inner = inner;
        _owner = owner;
        _expectedMd5 = expectedMd5;
        _expectedLength = expectedLength;
        _what = what;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _expectedLength ?? throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        Account(buffer[..n], buffer.Length);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && ex is not InvalidDataException)
        {
            throw new IOException($"Download of {_what} broke off after {_read} bytes: {ex.Message}", ex);
        }
        Account(buffer.Span[..n], buffer.Length);
        return n;
    }

    private void Account(ReadOnlySpan<byte> data, int requested)
    {
        if (data.Length > 0)
        {
            _md5.AppendData(data);
            _read += data.Length;
            if (_expectedLength is long max && _read > max)
                throw new InvalidDataException($"Download of {_what} returned more than the announced {max} bytes.");
            return;
        }
        if (requested == 0 || _verified) return;
        _verified = true;
        if (_expectedLength is long len && _read != len)
            throw new InvalidDataException($"Download of {_what} is truncated: got {_read} of {len} bytes.");
        if (_expectedMd5 is not null)
        {
            byte[] actual = _md5.GetHashAndReset();
            if (!actual.AsSpan().SequenceEqual(_expectedMd5))
                throw new InvalidDataException($"Download of {_what} is corrupt: its MD5 {Convert.ToBase64String(actual)} differs from the stored Content-MD5 {Convert.ToBase64String(_expectedMd5)}.");
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _owner?.Dispose();
            _md5.Dispose();
        }
        base.Dispose(disposing);
    }
}
