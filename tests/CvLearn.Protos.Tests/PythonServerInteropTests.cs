using System.Globalization;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.Testing;
using Google.Protobuf;

namespace CvLearn.Protos.Tests;

/// <summary>Our RpcChannel as a client of a Debian python3-grpcio server (real process, real sockets).</summary>
public sealed class PythonServerInteropTests : IClassFixture<PythonEchoServerFixture>, IDisposable
{
    private readonly PythonEchoServerFixture _server;
    private readonly RpcChannel _channel;

    public PythonServerInteropTests(PythonEchoServerFixture server)
    {
        _server = server;
        _server.ClearEvents();
        _channel = new RpcChannel(server.Address, new RpcChannelOptions { MaxReceiveMessageSize = 1024 * 1024 });
    }

    public void Dispose() => _channel.Dispose();

    private Task<EchoReply> EchoAsync(EchoRequest request, CallOptions options = default) =>
        _channel.CallUnaryAsync<EchoRequest, EchoReply>(EchoServerFixture.Method("Echo"), request,
            options.Deadline is null ? options with { Deadline = DateTime.UtcNow.AddSeconds(30) } : options);

    [Fact]
    public async Task Unary_WithUnicodeAndBytes()
    {
        EchoReply reply = await EchoAsync(new EchoRequest { Text = "ünïcödé 🚀 %41", Payload = ByteString.CopyFrom(0, 1, 255) });
        Assert.Equal("ünïcödé 🚀 %41", reply.Text);
        Assert.Equal(new byte[] { 0, 1, 255 }, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task ServerStreaming_AllMessagesInOrder()
    {
        using ServerStreamingCall<EchoReply> call = _channel.CallServerStreaming<EchoRequest, EchoReply>(
            EchoServerFixture.Method("ServerStream"), new EchoRequest { Text = "py", Count = 500 }, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));
        int i = 0;
        await foreach (EchoReply reply in call.ReadAllAsync())
        {
            Assert.Equal(i++, reply.Index);
        }

        Assert.Equal(500, i);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_CancelMidStream_PythonServerSeesIt()
    {
        using var cts = new CancellationTokenSource();
        using ServerStreamingCall<EchoReply> call = _channel.CallServerStreaming<EchoRequest, EchoReply>(
            EchoServerFixture.Method("ServerStream"), new EchoRequest { Count = 100_000, DelayMs = 5 }, new CallOptions(CancellationToken: cts.Token));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await call.MoveNext());
        }

        cts.Cancel();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.MoveNext())
            {
            }
        });
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(await _server.WaitForEventAsync("stream-cancelled", TimeSpan.FromSeconds(60)), "python server never saw the cancellation\n" + _server.Stderr);
    }

    [Fact]
    public async Task UnregisteredMethod_IsUnimplemented()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.CallUnaryAsync<EchoRequest, EchoReply>(EchoServerFixture.Method("Unimplemented"), new EchoRequest()));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "bad arg: 100% sure, %41 stays, ünïcödé 日本 🚀")]
    [InlineData(StatusCode.FailedPrecondition, "stage 2 not ready")]
    [InlineData(StatusCode.PermissionDenied, "")]
    public async Task ErrorStatus_MessageAndTrailers(StatusCode code, string message)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.CallUnaryAsync<FailRequest, EchoReply>(EchoServerFixture.Method("Fail"), new FailRequest { Code = (int)code, Text = message }));
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(message, ex.Status.Detail);
        Assert.Equal("code-" + ((int)code).ToString(CultureInfo.InvariantCulture), ex.Trailers.GetValue("x-fail-detail"));
    }

    [Fact]
    public async Task Deadline_IsExceeded_AndPythonHandlerSeesIt()
    {
        // Longer deadlines only if the handler had not even started (loaded machine); see DeadlineCases.
        foreach (TimeSpan timeout in DeadlineCases.Timeouts)
        {
            _server.ClearEvents();
            var ex = await Assert.ThrowsAsync<RpcException>(() =>
                EchoAsync(new EchoRequest { DelayMs = 120_000 }, CallOptions.WithTimeout(timeout)));
            Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
            if (_server.HasEvent("echo-started"))
            {
                Assert.True(await _server.WaitForEventAsync("echo-cancelled", TimeSpan.FromSeconds(60)), "python server never saw the deadline\n" + _server.Stderr);
                return;
            }
        }

        Assert.Fail("the python handler never started\n" + _server.Stderr);
    }

    [Fact]
    public async Task GrpcTimeoutHeader_IsUnderstoodByPython()
    {
        EchoReply reply = await EchoAsync(new EchoRequest { Text = "time_remaining" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        double remaining = double.Parse(reply.Text, CultureInfo.InvariantCulture);
        Assert.InRange(remaining, 0.5, 10.0);
    }

    [Fact]
    public async Task Metadata_ReachesPythonHandler()
    {
        EchoReply reply = await _channel.CallUnaryAsync<EchoRequest, EchoReply>(EchoServerFixture.Method("Metadata"),
            new EchoRequest { Text = "x-from-dotnet" }, new CallOptions(Headers: new Metadata { { "x-from-dotnet", "hello py" } }));
        Assert.Equal("hello py", reply.Text);
        reply = await _channel.CallUnaryAsync<EchoRequest, EchoReply>(EchoServerFixture.Method("Metadata"),
            new EchoRequest { Text = "x-blob-bin" }, new CallOptions(Headers: new Metadata { { "x-blob-bin", new byte[] { 0, 1, 254, 255 } } }));
        Assert.Equal("0001FEFF", reply.Text);
    }

    [Fact]
    public async Task OversizeResponse_IsResourceExhaustedOnOurClient()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => EchoAsync(new EchoRequest { PadBytes = 2 * 1024 * 1024 }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("ok", (await EchoAsync(new EchoRequest { Text = "ok" })).Text);
    }
}
