using System.Diagnostics;
using System.Globalization;
using CvLearn.Core.Checkpoints;

namespace CvLearn.Benchmarks;

/// <summary>CRC-32 throughput of the folding path against the table path, measured alternately in the same run.</summary>
internal static class CrcBench
{
    public static int Run()
    {
        var data = new byte[8_577_852]; // an fc:512-256 checkpoint
        new Random(1).NextBytes(data);
        if (Crc32.Compute(data) != Crc32.ComputeWithTable(data)) throw new InvalidOperationException("the two paths disagree");
        double folded = double.MaxValue, table = double.MaxValue;
        for (int round = 0; round < 10; round++)
        {
            folded = Math.Min(folded, Time(() => Crc32.Compute(data)));
            table = Math.Min(table, Time(() => Crc32.ComputeWithTable(data)));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crc32 of {data.Length} bytes: folding {folded * 1e3:F2} ms ({data.Length / folded / 1e9:F1} GB/s), table {table * 1e3:F2} ms ({data.Length / table / 1e9:F2} GB/s): {table / folded:F1}x"));
        return 0;
    }

    private static double Time(Func<uint> crc)
    {
        long start = Stopwatch.GetTimestamp();
        GC.KeepAlive(crc());
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
