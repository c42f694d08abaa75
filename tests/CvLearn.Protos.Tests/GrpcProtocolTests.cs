using CvLearn.Protos.Rpc;
using CvLearn.Protos.Testing;
using CvLearn.Protos.V1;

namespace CvLearn.Protos.Tests;

public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("2H", 2 * 3600 * 1000.0)]
    [InlineData("3M", 180_000.0)]
    [InlineData("7S", 7000.0)]
    [InlineData("250m", 250.0)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2.0)]
    [InlineData("99999999m", 99_999_999.0)]
    public void ParseTimeout_AllUnits(string header, double expectedMs)
    {
        Assert.True(GrpcProtocol.TryParseTimeout(header, out TimeSpan t));
        Assert.Equal(expectedMs, t.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("123456789m")]
    [InlineData("-5S")]
    [InlineData("1.5S")]
    public void ParseTimeout_RejectsMalformed(string header) =>
        Assert.False(GrpcProtocol.TryParseTimeout(header, out _));

    [Theory]
    [InlineData(1, "100n")]
    [InlineData(10_000, "1000000n")]
    [InlineData(TimeSpan.TicksPerSecond, "1000000u")]
    [InlineData(TimeSpan.TicksPerSecond * 200, "200000m")]
    [InlineData(TimeSpan.TicksPerDay * 400, "34560000S")]
    [InlineData(TimeSpan.TicksPerDay * 4000, "5760000M")]
    public void FormatTimeout_FinestUnitWithin8Digits(long ticks, string expected) =>
        Assert.Equal(expected, GrpcProtocol.FormatTimeout(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void FormatTimeout_RoundsUp_AndParsesBack()
    {
        var t = TimeSpan.FromTicks(123_456_789_123);
        string header = GrpcProtocol.FormatTimeout(t);
        Assert.True(header.Length <= 9);
        Assert.True(GrpcProtocol.TryParseTimeout(header, out TimeSpan back));
        Assert.True(back >= t, $"{header} -> {back} is shorter than {t}");
        Assert.True(back - t < TimeSpan.FromMilliseconds(1));
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("50%", "50%25")]
    [InlineData("a\nb", "a%0Ab")]
    [InlineData("é", "%C3%A9")]
    [InlineData("~ !", "~ !")]
    public void StatusMessage_PercentEncoding(string raw, string wire)
    {
        Assert.Equal(wire, GrpcProtocol.EncodeStatusMessage(raw));
        Assert.Equal(raw, GrpcProtocol.DecodeStatusMessage(wire));
    }

    [Theory]
    [InlineData("100%", "100%")]
    [InlineData("%zz", "%zz")]
    [InlineData("%4", "%4")]
    public void StatusMessage_MalformedEncodingIsKeptLiterally(string wire, string decoded) =>
        Assert.Equal(decoded, GrpcProtocol.DecodeStatusMessage(wire));

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    public void HttpStatusMapping(int http, StatusCode expected) =>
        Assert.Equal(expected, GrpcProtocol.FromHttpStatus(http));

    [Fact]
    public void StatusCodes_HaveTheWireNumbers()
    {
        Assert.Equal(17, Enum.GetValues<StatusCode>().Length);
        Assert.Equal(4, (int)StatusCode.DeadlineExceeded);
        Assert.Equal(8, (int)StatusCode.ResourceExhausted);
        Assert.Equal(12, (int)StatusCode.Unimplemented);
        Assert.Equal(14, (int)StatusCode.Unavailable);
        Assert.Equal(16, (int)StatusCode.Unauthenticated);
    }

    [Fact]
    public void ContentType_Recognition()
    {
        Assert.True(GrpcProtocol.IsGrpcContentType("application/grpc"));
        Assert.True(GrpcProtocol.IsGrpcContentType("application/grpc+proto"));
        Assert.False(GrpcProtocol.IsGrpcContentType("application/grpc-web"));
        Assert.False(GrpcProtocol.IsGrpcContentType("application/json"));
        Assert.False(GrpcProtocol.IsGrpcContentType(null));
    }

    [Fact]
    public void Metadata_RejectsReservedAndInvalid()
    {
        var m = new Metadata();
        Assert.Throws<ArgumentException>(() => m.Add("grpc-status", "0"));
        Assert.Throws<ArgumentException>(() => m.Add("bad key", "v"));
        Assert.Throws<ArgumentException>(() => m.Add("x-a", "naïve"));
        Assert.Throws<ArgumentException>(() => m.Add("x-a-bin", "text"));
        Assert.Throws<ArgumentException>(() => m.Add("x-a", new byte[] { 1 }));
        m.Add("X-Ok", "fine");
        Assert.Equal("x-ok", m[0].Key);
    }

    [Fact]
    public void Binder_ChecksNamesKindsAndTypes()
    {
        var binder = new GrpcServiceBinder(SearchServiceClient.Service);
        var unknown = Assert.Throws<ArgumentException>(() =>
            binder.Unary<JoinRequest, JoinResponse>("Joinn", (r, c) => Task.FromResult(new JoinResponse())));
        Assert.Contains("Known methods", unknown.Message);
        Assert.Throws<ArgumentException>(() =>
            binder.Unary<LeaderboardRequest, Leaderboard>("WatchLeaderboard", (r, c) => Task.FromResult(new Leaderboard())));
        Assert.Throws<ArgumentException>(() =>
            binder.Unary<EchoRequest, JoinResponse>("Join", (r, c) => Task.FromResult(new JoinResponse())));
        binder.Unary<JoinRequest, JoinResponse>("Join", (r, c) => Task.FromResult(new JoinResponse()));
        Assert.Throws<ArgumentException>(() =>
            binder.Unary<JoinRequest, JoinResponse>("Join", (r, c) => Task.FromResult(new JoinResponse())));
        Assert.Equal("/cvlearn.v1.SearchService/Join", GrpcServiceBinder.PathOf(SearchServiceClient.Service.FindMethodByName("Join")));
    }

    [Fact]
    public void SearchProto_HasTheCoarseContract()
    {
        string[] expected = ["Join", "AcquireTrial", "ReportEpoch", "CompleteTrial", "Heartbeat", "GetLeaderboard", "WatchLeaderboard", "GetTopCheckpoints", "Leave"];
        Assert.Equal(expected, SearchServiceClient.Service.Methods.Select(m => m.Name).ToArray());
        Assert.True(SearchServiceClient.Service.FindMethodByName("WatchLeaderboard").IsServerStreaming);
    }
}
