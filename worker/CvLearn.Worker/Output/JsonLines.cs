using System.Text.Json;
using System.Text.Json.Nodes;

namespace CvLearn.Worker.Output;

/// <summary>Writes one compact JSON object per line to standard output (for --json), flushing each line.</summary>
public static class JsonLines
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static void Write(JsonObject obj)
    {
        Console.Out.WriteLine(obj.ToJsonString(Options));
        Console.Out.Flush();
    }

    /// <summary>A number rounded for display without losing what matters (accuracies to 4 decimals etc.).</summary>
    public static JsonNode? Num(double value, int decimals = 6) =>
        double.IsFinite(value) ? JsonValue.Create(Math.Round(value, decimals)) : JsonValue.Create(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
