using CvLearn.Protos.Rpc;

namespace CvLearn.Protos.Tests;

/// <summary>The one --master rule of cvlearn-worker join and cvlearn-master leaderboard/ensemble.</summary>
public sealed class GrpcAddressTests
{
    [Theory]
    [InlineData("http://10.0.0.5:50051", "http://10.0.0.5:50051/")]
    [InlineData("  http://master:50051/  ", "http://master:50051/")]
    [InlineData("master:50051", "http://master:50051/")] // a bare gRPC target: plain HTTP/2
    [InlineData("127.0.0.1:80", "http://127.0.0.1/")] // an explicit default port is still a port
    [InlineData("https://grpc.example.org:443", "https://grpc.example.org/")]
    [InlineData("[::1]:50051", "http://[::1]:50051/")]
    public void Accepts_HostAndPort_WithOrWithoutHttpScheme(string text, string expected) =>
        Assert.Equal(new Uri(expected), GrpcAddress.Parse(text));

    [Theory]
    [InlineData("", "required")]
    [InlineData("http://master", "no port")] // would go to port 80, not the master's 50051
    [InlineData("master", "no port")]
    [InlineData("http://[::1]", "no port")]
    [InlineData("ftp://master:50051", "scheme is ftp")]
    [InlineData("http://master:50051/api", "path")]
    [InlineData("http://master:50051/?x=1", "path")]
    [InlineData("http://user@master:50051", "user name")]
    [InlineData("http://:50051", "does not parse")]
    public void Refuses_WithTheReasonAndAnExample(string text, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => GrpcAddress.Parse(text, "--master"));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("--master: ", e.Message, StringComparison.Ordinal);
        if (text.Length > 0) Assert.Contains("is not a master address", e.Message, StringComparison.Ordinal);
        Assert.Contains("e.g. --master http://127.0.0.1:50051", e.Message, StringComparison.Ordinal);
    }
}
