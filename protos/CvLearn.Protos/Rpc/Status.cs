namespace CvLearn.Protos.Rpc;

/// <summary>The outcome of a call: a <see cref="StatusCode"/> and a human-readable detail message.</summary>
public readonly record struct Status(StatusCode StatusCode, string Detail)
{
    /// <summary>The successful status.</summary>
    public static readonly Status DefaultSuccess = new(StatusCode.OK, "");

    /// <inheritdoc />
    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}
