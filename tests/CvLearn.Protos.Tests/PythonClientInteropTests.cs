namespace CvLearn.Protos.Tests;

/// <summary>Debian python3-grpcio as a client of our Kestrel server (real process, real sockets).</summary>
public sealed class PythonClientInteropTests(EchoServerFixture fixture) : IClassFixture<EchoServerFixture>, IDisposable
{
    private readonly string _descriptors = InteropTools.WriteEchoDescriptorSet();

    public static TheoryData<string> Cases() =>
    [
        "unary", "unicode", "server_stream", "error_status", "unknown_error", "unimplemented",
        "metadata", "oversize_request", "large_response", "concurrent",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void PythonClient_CallsOurServer(string caseName)
    {
        InteropTools.AssertPassed(caseName, RunCase(caseName));
    }

    [Fact]
    public async Task PythonClient_Deadline_ServerSeesCancellation()
    {
        await DeadlineCases.RunAsync(fixture.Impl, timeout =>
        {
            InteropTools.AssertPassed("deadline", RunCase("deadline", "--timeout-ms", ((int)timeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task PythonClient_CancelsStream_ServerSeesCancellation()
    {
        fixture.Impl.ResetObservations();
        InteropTools.AssertPassed("stream_cancel", RunCase("stream_cancel"));
        Assert.True(await fixture.Impl.HandlerSawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    public void Dispose() => File.Delete(_descriptors);

    private (int, string, string) RunCase(string caseName, params string[] extra)
    {
        InteropTools.RequirePythonGrpc();
        string target = $"127.0.0.1:{fixture.Server.Port}";
        return InteropTools.Run(InteropTools.PythonPath,
            [InteropTools.PythonScript("echo_client.py"), "--target", target, "--descriptors", _descriptors, "--case", caseName, .. extra],
            InteropTools.InteropDir, TimeSpan.FromSeconds(90));
    }
}
