namespace CvLearn.Protos.Tests;

/// <summary>npm @grpc/grpc-js (pure JS HTTP/2 implementation) as a client of our Kestrel server.</summary>
public sealed class NodeClientInteropTests(EchoServerFixture fixture) : IClassFixture<EchoServerFixture>
{
    public static TheoryData<string> Cases() =>
    [
        "unary", "unicode", "server_stream", "error_status", "unimplemented", "metadata", "oversize_request",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void NodeClient_CallsOurServer(string caseName)
    {
        InteropTools.AssertPassed(caseName, RunCase(caseName));
    }

    [Fact]
    public async Task NodeClient_Deadline_ServerSeesCancellation()
    {
        await DeadlineCases.RunAsync(fixture.Impl, timeout =>
        {
            InteropTools.AssertPassed("deadline", RunCase("deadline", "--timeout-ms", ((int)timeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task NodeClient_CancelsStream_ServerSeesCancellation()
    {
        fixture.Impl.ResetObservations();
        InteropTools.AssertPassed("stream_cancel", RunCase("stream_cancel"));
        Assert.True(await fixture.Impl.HandlerSawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private (int, string, string) RunCase(string caseName, params string[] extra)
    {
        string node = InteropTools.RequireNodeGrpc();
        string target = $"127.0.0.1:{fixture.Server.Port}";
        return InteropTools.Run(node,
            [Path.Combine(InteropTools.InteropDir, "node", "echo_client.js"), "--target", target, "--case", caseName, .. extra],
            InteropTools.InteropDir, TimeSpan.FromSeconds(90));
    }
}
