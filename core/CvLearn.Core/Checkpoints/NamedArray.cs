namespace CvLearn.Core.Checkpoints;

/// <summary>A named float32 array with its shape (a parameter, a running statistic, an optimizer buffer). Row-major.</summary>
public sealed record NamedArray
{
    public NamedArray(string name, int[] shape, float[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"Array '{name}' has a negative dimension in shape ({string.Join(", ", shape)}).");
            count *= dim;
        }
        if (count != data.Length)
            throw new ArgumentException($"Array '{name}' has shape ({string.Join(", ", shape)}) = {count} elements but {data.Length} values.");
        Name = name;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }
    public int[] Shape { get; }
    public float[] Data { get; }

    /// <summary>Deconstructs into name, shape and data.</summary>
    public void Deconstruct(out string name, out int[] shape, out float[] data) => (name, shape, data) = (Name, Shape, Data);
}
