using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using CvLearn.Core.Tensors;
using CvLearn.Protos.V1;
using Microsoft.Extensions.Logging;

// The tests train real (tiny) models on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace CvLearn.Worker.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cvlearn-worker-tests-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>
/// A small Fashion-MNIST-format dataset (gzipped IDX files) whose classes are learnable: class c lights one 7×7 block
/// of the 28×28 image over seeded noise.
/// </summary>
internal static class TinyDataset
{
    public const int Train = 2100;
    public const int Validation = 100;

    public static void Write(string dir, int trainCount = Train, int testCount = 100, int seed = 3)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        byte[] trainLabels = [.. Enumerable.Range(0, trainCount).Select(_ => (byte)rng.Next(10))];
        byte[] testLabels = [.. Enumerable.Range(0, testCount).Select(_ => (byte)rng.Next(10))];
        File.WriteAllBytes(System.IO.Path.Combine(dir, "train-images-idx3-ubyte.gz"), Gzip(Images(trainLabels, rng)));
        File.WriteAllBytes(System.IO.Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Gzip(Labels(trainLabels)));
        File.WriteAllBytes(System.IO.Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Gzip(Images(testLabels, rng)));
        File.WriteAllBytes(System.IO.Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), Gzip(Labels(testLabels)));
    }

    private static byte[] Images(byte[] labels, Random rng)
    {
        var data = new byte[16 + labels.Length * 784];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), 0x803);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), labels.Length);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), 28);
        for (int i = 0; i < labels.Length; i++)
        {
            int top = labels[i] / 4 * 7, left = labels[i] % 4 * 7;
            for (int p = 0; p < 784; p++)
            {
                int row = p / 28, col = p % 28;
                bool lit = row >= top && row < top + 7 && col >= left && col < left + 7;
                data[16 + i * 784 + p] = (byte)Math.Clamp((lit ? 170 : 40) + rng.Next(-40, 41), 0, 255);
            }
        }
        return data;
    }

    private static byte[] Labels(byte[] labels)
    {
        var data = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), 0x801);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), labels.Length);
        labels.CopyTo(data, 8);
        return data;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }
}

internal static class Net
{
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

internal static class Trials
{
    public static TrialAssignment Assignment(string dataDir, int epochs = 3, string trialId = "trial-0001", int attempt = 1,
        string model = "fc:32", int batch = 64, string? resumeKey = null) => new()
    {
        TrialId = trialId,
        Experiment = "exp",
        Stage = 0,
        Index = 1,
        Attempt = attempt,
        Seed = 0x1234_5678_9ABC_DEF0UL,
        Epochs = epochs,
        Hyperparameters = new HyperParameters
        {
            Model = model,
            Optimizer = Optimizer.Adam,
            LearningRate = 3e-3,
            Reg = 1e-4,
            Momentum = 0.9,
            BatchSize = batch,
            LrDecay = 0.95,
        },
        Dataset = new DatasetSpec { Name = "fashion-mnist", Validation = TinyDataset.Validation, DataDir = dataDir, SplitSeed = 7 },
        CheckpointPrefix = $"exp/{trialId}/",
        ResumeCheckpointKey = resumeKey ?? "",
    };

    static Trials() => Engine.Threads = 1;

    public static void Init() => Engine.Threads = 1;
}
