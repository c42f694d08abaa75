using System.Net;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.Testing;
using Google.Protobuf.Reflection;

namespace CvLearn.Protos.Tests;

/// <summary>A real Kestrel server on a free loopback port serving the echo service; max receive size 1 MiB.</summary>
public sealed class EchoServerFixture : IAsyncLifetime
{
    public const int ServerMaxReceive = 1024 * 1024;

    public static readonly ServiceDescriptor EchoService =
        EchoReflection.Descriptor.FindTypeByName<ServiceDescriptor>("EchoService");

    internal EchoServiceImpl Impl { get; } = new();

    public GrpcServer Server { get; private set; } = null!;

    public RpcChannel Channel { get; private set; } = null!;

    public static MethodDescriptor Method(string name) => EchoService.FindMethodByName(name);

    public async Task InitializeAsync()
    {
        Server = await GrpcServer.StartAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GrpcServerOptions { MaxReceiveMessageSize = ServerMaxReceive },
            [Impl.Bind()]);
        Channel = new RpcChannel(Server.Address);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await Server.DisposeAsync();
    }
}
