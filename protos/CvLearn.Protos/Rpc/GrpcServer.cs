using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CvLearn.Protos.Rpc;

/// <summary>Hooks the endpoint into an ASP.NET Core pipeline and Kestrel.</summary>
public static class GrpcApplicationBuilderExtensions
{
    /// <summary>Handles gRPC requests (application/grpc or a bound path) with <paramref name="endpoint"/>; passes others on.</summary>
    public static IApplicationBuilder UseGrpcEndpoint(this IApplicationBuilder app, GrpcEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(endpoint);
        return app.Use(async (HttpContext http, RequestDelegate next) =>
        {
            if (endpoint.IsGrpcRequest(http))
            {
                await endpoint.HandleAsync(http).ConfigureAwait(false);
            }
            else
            {
                await next(http).ConfigureAwait(false);
            }
        });
    }

    /// <summary>
    /// Adds a cleartext HTTP/2-only (h2c, "prior knowledge") endpoint: one cleartext port cannot
    /// negotiate HTTP/1.1 and h2c, so gRPC gets a port of its own.
    /// </summary>
    public static void ListenGrpc(this KestrelServerOptions kestrel, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Listen(endPoint, listen => listen.Protocols = HttpProtocols.Http2);
    }
}

/// <summary>
/// A stand-alone Kestrel server serving one <see cref="GrpcEndpoint"/> on an HTTP/2-only cleartext
/// endpoint. Port 0 binds a free port; read it from <see cref="Port"/>.
/// </summary>
public sealed class GrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:43123/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The bound TCP port.</summary>
    public int Port => Address.Port;

    /// <summary>Starts serving. <paramref name="loggerFactory"/> null = no logging.</summary>
    public static async Task<GrpcServer> StartAsync(
        IPEndPoint endPoint,
        GrpcServerOptions? options,
        IReadOnlyList<GrpcServiceBinder> services,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(services);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(endPoint));
        WebApplication app = builder.Build();
        var endpoint = new GrpcEndpoint(
            options,
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<GrpcEndpoint>(),
            [.. services]);
        app.UseGrpcEndpoint(endpoint);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        IServerAddressesFeature? addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        string? bound = addresses?.Addresses.FirstOrDefault();
        if (bound is null)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"Kestrel started but reported no bound address for {endPoint}.");
        }

        return new GrpcServer(app, new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal)));
    }

    /// <summary>Stops accepting calls and waits (up to the host's shutdown timeout) for running ones.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
