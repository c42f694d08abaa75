using System.Collections;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// Custom metadata of a call: request headers, response trailers (PROTOCOL-HTTP2.md, Requests:
/// Custom-Metadata). Keys are lower-case ASCII (<c>0-9 a-z _ - .</c>); keys ending in <c>-bin</c>
/// carry binary values, sent base64-encoded; other values must be printable ASCII (0x20-0x7E).
/// Keys starting with <c>grpc-</c> are reserved for the protocol and refused.
/// </summary>
public sealed class Metadata : IReadOnlyList<Metadata.Entry>
{
    /// <summary>Suffix that marks binary-valued keys.</summary>
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = [];

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public Entry this[int index] => _entries[index];

    /// <summary>Adds an ASCII-valued entry.</summary>
    /// <exception cref="ArgumentException">Invalid key or value (message says why).</exception>
    public void Add(string key, string value)
    {
        string normalized = ValidateKey(key);
        if (normalized.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Metadata key '{key}' ends with '-bin' and so needs a byte[] value.", nameof(key));
        }

        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E)
            {
                throw new ArgumentException(
                    $"Metadata value for '{key}' contains character U+{(int)c:X4}; ASCII values must be printable (0x20-0x7E). Use a '-bin' key for binary data.",
                    nameof(value));
            }
        }

        _entries.Add(new Entry(normalized, value, null));
    }

    /// <summary>Adds a binary-valued entry (key must end in <c>-bin</c>).</summary>
    public void Add(string key, byte[] value)
    {
        string normalized = ValidateKey(key);
        if (!normalized.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Binary metadata key '{key}' must end with '-bin'.", nameof(key));
        }

        _entries.Add(new Entry(normalized, null, value));
    }

    /// <summary>The first entry with <paramref name="key"/> (case-insensitive), or null.</summary>
    public Entry? Get(string key)
    {
        foreach (Entry e in _entries)
        {
            if (string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>The first ASCII value with <paramref name="key"/>, or null.</summary>
    public string? GetValue(string key) => Get(key)?.Value;

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds an entry received from the wire, without the reserved-name check.</summary>
    internal void AddFromWire(string key, string wireValue)
    {
        string lower = key.ToLowerInvariant();
        if (lower.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            _entries.Add(new Entry(lower, null, DecodeBase64Lenient(wireValue)));
        }
        else
        {
            _entries.Add(new Entry(lower, wireValue, null));
        }
    }

    private static string ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string lower = key.ToLowerInvariant();
        foreach (char c in lower)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.';
            if (!ok)
            {
                throw new ArgumentException($"Metadata key '{key}' contains '{c}'; allowed are 0-9 a-z _ - .", nameof(key));
            }
        }

        if (lower.StartsWith("grpc-", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Metadata key '{key}' is reserved: keys starting with 'grpc-' belong to the protocol.", nameof(key));
        }

        return lower;
    }

    // The spec lets senders omit base64 padding ("Custom-Metadata": binary values are base64, receivers
    // must accept padded and unpadded), so pad before decoding.
    private static byte[] DecodeBase64Lenient(string value)
    {
        string trimmed = value.Trim();
        int pad = (4 - (trimmed.Length % 4)) % 4;
        if (pad == 3)
        {
            return [];
        }

        try
        {
            return Convert.FromBase64String(trimmed + new string('=', pad));
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>One metadata entry: exactly one of <see cref="Value"/> and <see cref="ValueBytes"/> is set.</summary>
    public sealed record Entry(string Key, string? Value, byte[]? ValueBytes)
    {
        /// <summary>True for <c>-bin</c> keys.</summary>
        public bool IsBinary => ValueBytes is not null;

        /// <summary>The value as sent in an HTTP/2 header (binary values base64-encoded).</summary>
        internal string WireValue => ValueBytes is null ? Value ?? "" : Convert.ToBase64String(ValueBytes);
    }
}
