using System.Net;
using CvLearn.Protos.Testing;

namespace CvLearn.Protos.Tests;

/// <summary>Server behaviour for exact, sometimes malformed, requests (PROTOCOL-HTTP2.md).</summary>
public sealed class RawProtocolTests(EchoServerFixture fixture) : IClassFixture<EchoServerFixture>
{
    private const string EchoPath = "/cvlearn.testing.EchoService/Echo";

    private async Task<(HttpResponseMessage Response, byte[] Body)> SendAsync(HttpRequestMessage request)
    {
        using var http = RawHttp.CreateClient();
        HttpResponseMessage response = await http.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        return (response, body);
    }

    [Fact]
    public async Task Success_HasHeadersMessageThenStatusInTrailers()
    {
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, RawHttp.Frame(new EchoRequest { Text = "raw" }));
        (HttpResponseMessage response, byte[] body) = await SendAsync(request);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(0, body[0]);
            Assert.Equal("raw", EchoReply.Parser.ParseFrom(body.AsSpan(5).ToArray()).Text);
            Assert.Equal("0", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task UnknownMethod_IsTrailersOnly()
    {
        using var request = RawHttp.Request(fixture.Server.Address, "/cvlearn.testing.EchoService/Nope", RawHttp.Frame(new EchoRequest()));
        (HttpResponseMessage response, byte[] body) = await SendAsync(request);
        using (response)
        {
            Assert.Empty(body);
            Assert.Equal("H:12", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task InvalidProtobuf_IsInternal()
    {
        // Field 1 (text, wire type 2) claiming 100 bytes with only 2 present.
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, RawHttp.Frame([0x0A, 100, 1, 2]));
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal("H:13", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task CompressedFlagWithoutEncoding_IsInternal()
    {
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, RawHttp.Frame(new EchoRequest { Text = "z" }, flag: 1));
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal("H:13", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task GzipEncoding_IsUnimplemented_AndAdvertisesIdentity()
    {
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, RawHttp.Frame(new EchoRequest { Text = "z" }, flag: 1));
        request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal("H:12", RawHttp.Status(response));
            Assert.Equal("identity", response.Headers.GetValues("grpc-accept-encoding").Single());
        }
    }

    [Fact]
    public async Task TruncatedMessage_IsInternal()
    {
        byte[] framed = RawHttp.Frame(new EchoRequest { Text = "truncated" });
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, framed[..^3]);
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal("H:13", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task TwoMessagesForUnary_IsInternal()
    {
        byte[] one = RawHttp.Frame(new EchoRequest { Text = "a" });
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, [.. one, .. one]);
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal("H:13", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task MalformedTimeout_IsInternal()
    {
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, RawHttp.Frame(new EchoRequest()));
        request.Headers.TryAddWithoutValidation("grpc-timeout", "123456789S");
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal("H:13", RawHttp.Status(response));
        }
    }

    [Fact]
    public async Task WrongContentType_Is415()
    {
        using var request = RawHttp.Request(fixture.Server.Address, EchoPath, RawHttp.Frame(new EchoRequest()), "application/json");
        (HttpResponseMessage response, _) = await SendAsync(request);
        using (response)
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }
    }

    [Fact]
    public async Task Get_Is405()
    {
        using var http = RawHttp.CreateClient();
        using HttpResponseMessage response = await http.GetAsync(new Uri(fixture.Server.Address, EchoPath));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
