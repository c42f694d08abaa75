using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using CvLearn.Core.Data;
using CvLearn.Core.Training;

namespace CvLearn.Core.Checkpoints;

/// <summary>
/// The versioned binary checkpoint format (all integers and floats little-endian):
/// <code>
/// offset 0   magic     8 bytes  "CVLCKPT\0"
/// offset 8   version   uint32   (this build writes and reads <see cref="FormatVersion"/>)
/// offset 12  sections  uint32   number of sections
/// offset 16  length    uint64   total file length in bytes, including the checksum
/// offset 24  sections: tag (4 ASCII bytes), payload length (uint64), payload
/// end − 4    CRC-32 (IEEE) of every byte before it
/// </code>
/// Sections: MODL (spec, input shape, classes, class names), HYPR, META (string maps), PARM, STAT, EMAP (named arrays),
/// OPTM (optimizer), SOLV (string→double map), PREP (preprocessing), HIST (epoch records), and the optional vprd
/// (validation predictions: classes, labels, probabilities; see <see cref="ValidationPredictions"/>). A reader skips unknown
/// sections whose tag starts with a lowercase letter (optional additions) and rejects unknown uppercase ones
/// (critical: a newer writer's data this build would silently drop) — the PNG chunk convention.
/// The whole file is held in memory while reading, so checkpoints are limited to ~2 GB.
/// </summary>
public static class CheckpointFile
{
    public const uint FormatVersion = 1;

    /// <summary>"CVLCKPT\0".</summary>
    public static ReadOnlySpan<byte> Magic => "CVLCKPT\0"u8;

    private const int HeaderSize = 24;
    private const int SectionHeaderSize = 12;
    private const int ChecksumSize = 4;

    /// <summary>Largest file the reader accepts (it buffers the file in one array).</summary>
    public static long MaxFileBytes => Array.MaxLength;

    /// <summary>Serialises <paramref name="checkpoint"/> to bytes.</summary>
    public static byte[] ToBytes(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Serialize(checkpoint, new ArrayBufferWriter<byte>()).ToArray();
    }

    /// <summary>
    /// Serialises <paramref name="checkpoint"/> into <paramref name="buffer"/> (its earlier content is dropped) and
    /// returns the written bytes, valid until the buffer is written again. Reusing one buffer for every epoch's
    /// checkpoint spares a fresh multi-megabyte array per epoch.
    /// </summary>
    public static ReadOnlyMemory<byte> Serialize(Checkpoint checkpoint, ArrayBufferWriter<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(buffer);
        Validate(checkpoint);
        buffer.ResetWrittenCount();
        int size = EstimatedSize(checkpoint);
        if (buffer.FreeCapacity < size) buffer.GetSpan(size); // grow once, not by doubling
        var w = new BinaryBufferWriter(buffer);
        w.Bytes(Magic);
        w.U32(FormatVersion);
        int sectionCountOffset = w.Length;
        w.U32(0);
        int lengthOffset = w.Length;
        w.U64(0);

        uint sections = 0;
        void Section(string tag, Action<BinaryBufferWriter> body)
        {
            w.Bytes(Encoding.ASCII.GetBytes(tag));
            int lenAt = w.Length;
            w.U64(0);
            int start = w.Length;
            body(w);
            w.PatchU64(lenAt, (ulong)(w.Length - start));
            sections++;
        }

        Section("MODL", s =>
        {
            s.String(checkpoint.ModelSpec);
            s.Ints(checkpoint.InputShape);
            s.I32(checkpoint.Classes);
            s.I32(checkpoint.ClassNames.Count);
            foreach (string n in checkpoint.ClassNames) s.String(n);
        });
        Section("HYPR", s => WriteStringMap(s, checkpoint.Hyperparameters));
        Section("META", s => WriteStringMap(s, checkpoint.Metadata));
        Section("PARM", s => WriteArrays(s, checkpoint.Parameters));
        Section("STAT", s => WriteArrays(s, checkpoint.State));
        if (checkpoint.EmaParameters is { } ema) Section("EMAP", s => WriteArrays(s, ema));
        if (checkpoint.Optimizer is { } opt)
            Section("OPTM", s => { s.String(opt.Name); s.I64(opt.Steps); WriteArrays(s, opt.Buffers); });
        Section("SOLV", s =>
        {
            var keys = checkpoint.SolverState.Keys.Order(StringComparer.Ordinal).ToArray();
            s.I32(keys.Length);
            foreach (string k in keys) { s.String(k); s.F64(checkpoint.SolverState[k]); }
        });
        if (checkpoint.Preprocessing is { } prep) Section("PREP", s => WritePreprocessing(s, prep));
        Section("HIST", s =>
        {
            s.I32(checkpoint.History.Count);
            foreach (EpochRecord r in checkpoint.History)
            {
                s.I32(r.Epoch);
                s.F64(r.TrainLoss); s.F64(r.TrainAccuracy); s.F64(r.ValidationAccuracy);
                s.F64(r.EmaValidationAccuracy); s.F64(r.LearningRate); s.F64(r.Seconds);
            }
        });
        // Lowercase tag: optional, so readers older than it skip it and still load the model.
        if (checkpoint.ValidationPredictions is { } vp) Section("vprd", s => { s.I32(vp.Classes); s.Ints(vp.Labels); s.Floats(vp.Probabilities); });

        BinaryPrimitives.WriteUInt32LittleEndian(w.WrittenSpanMutable.Slice(sectionCountOffset, 4), sections);
        w.PatchU64(lengthOffset, (ulong)(w.Length + ChecksumSize));
        uint crc = Crc32.Compute(w.WrittenSpan);
        w.U32(crc);
        return buffer.WrittenMemory;
    }

    /// <summary>The arrays' bytes plus room for names, shapes, metadata and history: the writer then never grows.</summary>
    private static int EstimatedSize(Checkpoint c)
    {
        long floats = 0;
        void Add(IReadOnlyList<NamedArray>? arrays)
        {
            if (arrays is null) return;
            foreach (var a in arrays) floats += a.Data.Length;
        }
        Add(c.Parameters);
        Add(c.State);
        Add(c.EmaParameters);
        Add(c.Optimizer?.Buffers);
        long preprocessing = c.Preprocessing is { } p ? 4L * (p.Mean.Length + p.Std.Length + p.Components.Length) + 8L * p.Eigenvalues.Length : 0;
        long predictions = c.ValidationPredictions is { } vp ? 4L * (vp.Labels.Length + vp.Probabilities.Length) : 0;
        return (int)Math.Min(Array.MaxLength, 4 * floats + preprocessing + predictions + (1 << 16));
    }

    /// <summary>
    /// Serialises <paramref name="checkpoint"/> into <paramref name="buffer"/> (see <see cref="Serialize"/>) and stores
    /// it under <paramref name="key"/> in one put, without another copy. Returns the number of bytes stored.
    /// </summary>
    public static async Task<int> PutAsync(ICheckpointStore store, string key, Checkpoint checkpoint, ArrayBufferWriter<byte> buffer,
        IReadOnlyDictionary<string, string>? metadata, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bytes = Serialize(checkpoint, buffer);
        if (!MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> written)) throw new InvalidOperationException("An ArrayBufferWriter's memory is always an array.");
        using var stream = new MemoryStream(written.Array!, written.Offset, written.Count, writable: false);
        await store.PutAsync(key, stream, metadata, ct).ConfigureAwait(false);
        return written.Count;
    }

    /// <summary>Writes <paramref name="checkpoint"/> to <paramref name="stream"/> (serialised in memory first, then one write).</summary>
    public static async Task WriteAsync(Checkpoint checkpoint, Stream stream, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = Serialize(checkpoint, new ArrayBufferWriter<byte>()); // no copy into a byte[] of its own
        await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="checkpoint"/> to <paramref name="path"/> atomically (temp file + fsync + rename).</summary>
    public static Task SaveAsync(Checkpoint checkpoint, string path, CancellationToken ct = default)
    {
        var bytes = Serialize(checkpoint, new ArrayBufferWriter<byte>());
        return AtomicFile.WriteAsync(path, (s, c) => s.WriteAsync(bytes, c).AsTask(), ct);
    }

    /// <summary>Reads a checkpoint file; errors name the file.</summary>
    public static async Task<Checkpoint> LoadAsync(string path, CancellationToken ct = default)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await ReadAsync(fs, path, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one checkpoint from <paramref name="stream"/>. Reads the header first and then exactly the declared length,
    /// growing its buffer only as bytes actually arrive (a corrupt length field cannot trigger a huge allocation).
    /// </summary>
    public static Task<Checkpoint> ReadAsync(Stream stream, CancellationToken ct = default) => ReadAsync(stream, null, ct);

    /// <summary>Reads one checkpoint from <paramref name="stream"/>; <paramref name="sourceName"/> (file name or storage key) is named in errors.</summary>
    public static async Task<Checkpoint> ReadAsync(Stream stream, string? sourceName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[HeaderSize];
        int got = await stream.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        ulong declared = CheckHeader(header.AsSpan(0, got), sourceName);

        if (stream.CanSeek)
        {
            long actual = stream.Length - stream.Position + HeaderSize;
            if ((ulong)actual < declared)
                throw new CheckpointFormatException($"truncated checkpoint: header declares {declared} bytes but only {actual} are present (an interrupted copy or write?).", sourceName);
        }
        // Initial capacity bounded: for a non-seekable stream the declared length is not yet proven by real bytes.
        using var buffer = new MemoryStream((int)Math.Min(declared, stream.CanSeek ? declared : 16UL << 20));
        buffer.Write(header, 0, HeaderSize);
        byte[] chunk = new byte[1 << 20];
        while ((ulong)buffer.Length < declared)
        {
            int want = (int)Math.Min((ulong)chunk.Length, declared - (ulong)buffer.Length);
            int n = await stream.ReadAsync(chunk.AsMemory(0, want), ct).ConfigureAwait(false);
            if (n == 0)
                throw new CheckpointFormatException($"truncated checkpoint: header declares {declared} bytes but only {buffer.Length} are present (an interrupted copy or write?).", sourceName);
            buffer.Write(chunk, 0, n);
        }
        if (await stream.ReadAsync(chunk.AsMemory(0, 1), ct).ConfigureAwait(false) > 0)
            throw new CheckpointFormatException($"corrupt checkpoint: more data follows the {declared} bytes its header declares.", sourceName);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), sourceName);
    }

    /// <summary>Parses a complete checkpoint held in memory.</summary>
    public static Checkpoint FromBytes(ReadOnlySpan<byte> data, string? sourceName = null)
    {
        ulong declared = CheckHeader(data[..Math.Min(data.Length, HeaderSize)], sourceName);
        if ((ulong)data.Length < declared)
            throw new CheckpointFormatException($"truncated checkpoint: header declares {declared} bytes but only {data.Length} are present (an interrupted copy or write?).", sourceName);
        if ((ulong)data.Length > declared)
            throw new CheckpointFormatException($"corrupt checkpoint: {(ulong)data.Length - declared} bytes follow the {declared} bytes its header declares.", sourceName);
        return Parse(data, sourceName);
    }

    /// <summary>Checks magic, version and declared length; returns the declared total length.</summary>
    private static ulong CheckHeader(ReadOnlySpan<byte> header, string? source)
    {
        if (header.Length < Magic.Length || !header[..Magic.Length].SequenceEqual(Magic))
            throw new CheckpointFormatException($"not a CvLearn checkpoint (starts with {DescribeStart(header)}; expected \"CVLCKPT\\0\").", source);
        if (header.Length < HeaderSize)
            throw new CheckpointFormatException($"truncated checkpoint: only {header.Length} bytes, the header alone has {HeaderSize}.", source);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version > FormatVersion)
            throw new CheckpointFormatException($"checkpoint format version {version} is newer than this build, which reads version {FormatVersion}; upgrade CvLearn to load it.", source);
        if (version == 0)
            throw new CheckpointFormatException("corrupt checkpoint: format version 0 does not exist.", source);
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
        if (declared < HeaderSize + ChecksumSize || declared > (ulong)MaxFileBytes)
            throw new CheckpointFormatException($"corrupt checkpoint: header declares an impossible length of {declared} bytes.", source);
        return declared;
    }

    private static string DescribeStart(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0) return "nothing: the file is empty";
        var n = head[..Math.Min(head.Length, 8)];
        string hex = Convert.ToHexString(n);
        var text = new StringBuilder();
        foreach (byte b in n) text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        string kind = n.StartsWith("\x89PNG"u8) ? " — a PNG image" : n.StartsWith("\x1f\x8b"u8) ? " — gzip data" : "";
        return $"0x{hex} \"{text}\"{kind}";
    }

    private static Checkpoint Parse(ReadOnlySpan<byte> data, string? source)
    {
        int bodyEnd = data.Length - ChecksumSize;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[bodyEnd..]);
        uint computed = Crc32.Compute(data[..bodyEnd]);
        if (stored != computed)
            throw new CheckpointFormatException($"checksum mismatch (stored 0x{stored:X8}, computed 0x{computed:X8}): the checkpoint is corrupt (bit flip or partial overwrite); use another checkpoint.", source);

        uint sectionCount = BinaryPrimitives.ReadUInt32LittleEndian(data[12..]);
        var r = new BinaryBufferReader(data[HeaderSize..bodyEnd], "checkpoint", source);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? spec = null;
        int[] inputShape = [];
        int classes = 0;
        string[] classNames = [];
        IReadOnlyDictionary<string, string> hyper = new Dictionary<string, string>(), meta = new Dictionary<string, string>();
        IReadOnlyList<NamedArray>? parameters = null, ema = null;
        IReadOnlyList<NamedArray> state = [];
        OptimizerCheckpoint? optimizer = null;
        var solver = new Dictionary<string, double>(StringComparer.Ordinal);
        PreprocessingStats? prep = null;
        var history = new List<EpochRecord>();
        ValidationPredictions? predictions = null;

        for (uint i = 0; i < sectionCount; i++)
        {
            string tag = Encoding.ASCII.GetString(Bytes(ref r, 4, "section tag"));
            long length = r.I64($"section '{tag}' length");
            if (length < 0 || length > r.Remaining)
                throw r.Error($"section '{tag}' declares {length} bytes but only {r.Remaining} remain.");
            if (!seen.Add(tag)) throw r.Error($"section '{tag}' appears twice.");
            var s = new BinaryBufferReader(Bytes(ref r, (int)length, tag), $"checkpoint section '{tag}'", source);
            switch (tag)
            {
                case "MODL":
                    spec = s.String("model spec");
                    inputShape = s.Ints("input shape");
                    classes = s.I32("class count");
                    classNames = new string[s.Count("class name count", 4)];
                    for (int c = 0; c < classNames.Length; c++) classNames[c] = s.String("class name");
                    break;
                case "HYPR": hyper = ReadStringMap(ref s); break;
                case "META": meta = ReadStringMap(ref s); break;
                case "PARM": parameters = ReadArrays(ref s); break;
                case "STAT": state = ReadArrays(ref s); break;
                case "EMAP": ema = ReadArrays(ref s); break;
                case "OPTM":
                    string name = s.String("optimizer name");
                    long steps = s.I64("optimizer steps");
                    optimizer = new OptimizerCheckpoint(name, steps, ReadArrays(ref s));
                    break;
                case "SOLV":
                    int count = s.Count("solver state count", 12);
                    for (int k = 0; k < count; k++)
                    {
                        string key = s.String("solver state key");
                        if (!solver.TryAdd(key, s.F64("solver state value"))) throw s.Error($"duplicate solver state key '{key}'.");
                    }
                    break;
                case "PREP": prep = ReadPreprocessing(ref s); break;
                case "HIST":
                    int records = s.Count("history length", 52);
                    for (int k = 0; k < records; k++)
                        history.Add(new EpochRecord(s.I32("epoch"), s.F64("train loss"), s.F64("train accuracy"), s.F64("validation accuracy"),
                            s.F64("EMA validation accuracy"), s.F64("learning rate"), s.F64("seconds")));
                    break;
                case "vprd":
                    int predictedClasses = s.I32("validation prediction classes");
                    int[] labels = s.Ints("validation labels");
                    float[] probabilities = s.Floats("validation probabilities");
                    try { predictions = new ValidationPredictions(labels, probabilities, predictedClasses); }
                    catch (ArgumentException ex) { throw s.Error(ex.Message); }
                    break;
                default:
                    if (tag.Length > 0 && char.IsAsciiLetterLower(tag[0])) continue;   // optional section from a newer writer
                    throw new CheckpointFormatException($"checkpoint has a required section '{tag}' this build does not understand; upgrade CvLearn to load it.", source);
            }
            s.ExpectEnd();
        }
        r.ExpectEnd();
        if (spec is null) throw r.Error("the MODL section (model spec and shapes) is missing.");
        if (parameters is null) throw r.Error("the PARM section (parameters) is missing.");
        if (predictions is not null && predictions.Classes != classes)
            throw r.Error($"the validation predictions have {predictions.Classes} classes but the model has {classes}.");
        try
        {
            return new Checkpoint
            {
                ModelSpec = spec,
                InputShape = inputShape,
                Classes = classes,
                ClassNames = classNames,
                Hyperparameters = hyper,
                Metadata = meta,
                Parameters = parameters,
                State = state,
                EmaParameters = ema,
                Optimizer = optimizer,
                SolverState = solver,
                Preprocessing = prep,
                History = history,
                ValidationPredictions = predictions,
            };
        }
        catch (ArgumentException ex)
        {
            throw new CheckpointFormatException($"inconsistent checkpoint: {ex.Message}", source);
        }
    }

    private static ReadOnlySpan<byte> Bytes(ref BinaryBufferReader r, int n, string what)
    {
        if (n < 0 || n > r.Remaining) throw r.Error($"{what} needs {n} bytes but only {r.Remaining} remain.");
        // Read through the reader so its position advances; slices are views into the caller's buffer.
        return r.Slice(n);
    }

    private static void Validate(Checkpoint c)
    {
        if (string.IsNullOrEmpty(c.ModelSpec)) throw new ArgumentException("Checkpoint.ModelSpec is empty.");
        if (c.InputShape is null || c.InputShape.Length == 0) throw new ArgumentException("Checkpoint.InputShape is empty.");
        if (c.Classes <= 0) throw new ArgumentException($"Checkpoint.Classes must be positive, got {c.Classes}.");
        if (c.ClassNames.Count != 0 && c.ClassNames.Count != c.Classes)
            throw new ArgumentException($"Checkpoint has {c.ClassNames.Count} class names for {c.Classes} classes.");
        CheckUnique(c.Parameters, "Parameters");
        CheckUnique(c.State, "State");
        if (c.EmaParameters is not null) CheckUnique(c.EmaParameters, "EmaParameters");
        if (c.Optimizer is not null) CheckUnique(c.Optimizer.Buffers, "Optimizer.Buffers");
        if (c.ValidationPredictions is { } vp && vp.Classes != c.Classes)
            throw new ArgumentException($"Checkpoint.ValidationPredictions has {vp.Classes} classes but the model has {c.Classes}.");

        static void CheckUnique(IReadOnlyList<NamedArray> arrays, string what)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (NamedArray a in arrays)
                if (!names.Add(a.Name)) throw new ArgumentException($"Checkpoint.{what} has two arrays named '{a.Name}'.");
        }
    }

    private static void WriteStringMap(BinaryBufferWriter w, IReadOnlyDictionary<string, string> map)
    {
        // Sorted so that equal checkpoints serialise to equal bytes regardless of dictionary insertion order.
        var keys = map.Keys.Order(StringComparer.Ordinal).ToArray();
        w.I32(keys.Length);
        foreach (string k in keys) { w.String(k); w.String(map[k]); }
    }

    private static Dictionary<string, string> ReadStringMap(ref BinaryBufferReader r)
    {
        int n = r.Count("map size", 8);
        var map = new Dictionary<string, string>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string k = r.String("map key");
            if (!map.TryAdd(k, r.String("map value"))) throw r.Error($"duplicate key '{k}'.");
        }
        return map;
    }

    private static void WriteArrays(BinaryBufferWriter w, IReadOnlyList<NamedArray> arrays)
    {
        w.I32(arrays.Count);
        foreach (NamedArray a in arrays)
        {
            w.String(a.Name);
            w.Ints(a.Shape);
            w.Floats(a.Data);
        }
    }

    private static NamedArray[] ReadArrays(ref BinaryBufferReader r)
    {
        int n = r.Count("array count", 12);
        var arrays = new NamedArray[n];
        for (int i = 0; i < n; i++)
        {
            string name = r.String("array name");
            int[] shape = r.Ints($"shape of '{name}'");
            float[] data = r.Floats($"data of '{name}'");
            try
            {
                arrays[i] = new NamedArray(name, shape, data);
            }
            catch (ArgumentException ex)
            {
                throw r.Error(ex.Message);
            }
        }
        return arrays;
    }

    private static void WritePreprocessing(BinaryBufferWriter w, PreprocessingStats p)
    {
        PreprocessingOptions o = p.Options;
        w.I32((int)o.Mean);
        w.I32((int)o.Std);
        w.I32(o.PcaComponents);
        w.Byte(o.Whiten ? (byte)1 : (byte)0);
        w.F64(o.Epsilon);
        w.F64(o.MinStd);
        w.I32(p.Channels); w.I32(p.Height); w.I32(p.Width);
        w.Floats(p.Mean);
        w.Floats(p.Std);
        w.Floats(p.Components);
        w.Doubles(p.Eigenvalues);
    }

    private static PreprocessingStats ReadPreprocessing(ref BinaryBufferReader r)
    {
        var mean = (StatisticMode)r.I32("mean mode");
        var std = (StatisticMode)r.I32("std mode");
        if (!Enum.IsDefined(mean) || !Enum.IsDefined(std)) throw r.Error($"unknown statistic mode ({(int)mean}, {(int)std}).");
        var options = new PreprocessingOptions
        {
            Mean = mean,
            Std = std,
            PcaComponents = r.I32("PCA components"),
            Whiten = r.Byte("whiten flag") != 0,
            Epsilon = r.F64("epsilon"),
            MinStd = r.F64("min std"),
        };
        int c = r.I32("channels"), h = r.I32("height"), w = r.I32("width");
        float[] m = r.Floats("mean"), s = r.Floats("std"), comps = r.Floats("components");
        double[] eig = r.Doubles("eigenvalues");
        try
        {
            return new PreprocessingStats(options, c, h, w, m, s, comps, eig);
        }
        catch (ArgumentException ex)
        {
            throw r.Error(ex.Message);
        }
    }
}
