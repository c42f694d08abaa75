using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace CvLearn.Protos.Tests;

/// <summary>Hand-built HTTP/2 gRPC requests, to test the server against exact bytes.</summary>
internal static class RawHttp
{
    public static HttpClient CreateClient() => new(new SocketsHttpHandler())
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public static byte[] Frame(IMessage message, byte flag = 0) => Frame(message.ToByteArray(), flag);

    public static byte[] Frame(byte[] payload, byte flag = 0)
    {
        byte[] framed = new byte[5 + payload.Length];
        framed[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(framed, 5);
        return framed;
    }

    public static HttpRequestMessage Request(Uri server, string path, byte[] body, string contentType = "application/grpc")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    /// <summary>grpc-status from the trailers, or from the headers of a Trailers-Only response ("H:" prefix).</summary>
    public static string? Status(HttpResponseMessage response)
    {
        if (response.TrailingHeaders.TryGetValues("grpc-status", out var trailer))
        {
            return trailer.First();
        }

        return response.Headers.TryGetValues("grpc-status", out var header) ? "H:" + header.First() : null;
    }
}
