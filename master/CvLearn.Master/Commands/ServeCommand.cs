using System.CommandLine;
using System.Net;
using CvLearn.Core.Checkpoints;
using CvLearn.Master.Hosting;
using CvLearn.Master.Services;
using CvLearn.Master.Trials;
using CvLearn.Master.Web;
using CvLearn.Protos.Rpc;
using CvLearn.Storage.Azure;
using CvLearn.Worker.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Commands;

/// <summary>`cvlearn-master serve`: runs a search — gRPC for workers, the dashboard and JSON API, optional local workers.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Search config (JSON; see the README). Optional when --state holds an earlier run of the search." };
        var grpcPort = new Option<int>("--grpc-port") { Description = "Port of the gRPC service workers connect to (HTTP/2 cleartext; 0 = any free port).", DefaultValueFactory = _ => 50051 };
        var httpPort = new Option<int>("--http-port") { Description = "Port of the dashboard (/) and JSON API (/api/leaderboard) (0 = any free port).", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on (0.0.0.0 = all interfaces, so workers on other machines can connect).", DefaultValueFactory = _ => "0.0.0.0" };
        var storage = new Option<string>("--storage") { Description = "Where checkpoints go, announced to workers: a directory (shared filesystem), file:///DIR, azblob://CONTAINER/PREFIX or an https SAS URL.", DefaultValueFactory = _ => "runs/storage" };
        var state = new Option<string?>("--state") { Description = "SQLite file holding the search state; a restarted master carries on from it (default runs/<experiment>.state.db)." };
        var localWorkers = new Option<int>("--local-workers") { Description = "Also start N worker processes on this machine (each with cores/N threads), stopped with the master; the dataset must be on this machine (checked at start).", DefaultValueFactory = _ => 0 };
        var workerThreads = new Option<int?>("--worker-threads") { Description = "Compute threads of each local worker (default: cores / --local-workers, at least 1)." };
        var exitWhenDone = new Option<bool>("--exit-when-done") { Description = "Exit once every stage is done and the final ensemble is evaluated." };
        var lease = new Option<double>("--lease-seconds") { Description = "A trial whose worker is silent this long is requeued (resuming from its latest checkpoint).", DefaultValueFactory = _ => 60 };
        var heartbeat = new Option<double>("--heartbeat-seconds") { Description = "How often workers heartbeat during an epoch.", DefaultValueFactory = _ => 5 };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least severe log messages shown: Debug (every lease), Information (stages, trial results), Warning.", DefaultValueFactory = _ => LogLevel.Information };
        var maxMessage = new Option<int>("--max-message-bytes") { Description = "Largest gRPC request accepted (RESOURCE_EXHAUSTED above).", DefaultValueFactory = _ => 4 * 1024 * 1024 };
        var command = new Command("serve", "Run a search: sample trials, dispatch them to workers over gRPC, refine coarse to fine, build the final ensemble.")
        {
            config, grpcPort, httpPort, bind, storage, state, localWorkers, workerThreads, exitWhenDone, lease, heartbeat, maxMessage, logLevel,
        };
        command.SetAction((r, ct) => CliRunner.GuardAsync(() => RunAsync(new ServeSettings(
            r.GetValue(config), r.GetValue(grpcPort), r.GetValue(httpPort), r.GetValue(bind)!, r.GetValue(storage)!, r.GetValue(state),
            r.GetValue(localWorkers), r.GetValue(workerThreads), r.GetValue(exitWhenDone), r.GetValue(lease), r.GetValue(heartbeat), r.GetValue(maxMessage), r.GetValue(logLevel)), ct)));
        return command;
    }

    public sealed record ServeSettings(string? Config, int GrpcPort, int HttpPort, string Bind, string Storage, string? State, int LocalWorkers,
        int? WorkerThreads, bool ExitWhenDone, double LeaseSeconds, double HeartbeatSeconds, int MaxMessageBytes, LogLevel LogLevel = LogLevel.Information)
    {
        public void Validate()
        {
            if (GrpcPort is < 0 or > 65535) throw new ArgumentException($"--grpc-port: {GrpcPort} is not a TCP port (0-65535).");
            if (HttpPort is < 0 or > 65535) throw new ArgumentException($"--http-port: {HttpPort} is not a TCP port (0-65535).");
            if (GrpcPort == HttpPort && GrpcPort != 0) throw new ArgumentException("--grpc-port and --http-port must differ: gRPC needs an HTTP/2-only port of its own.");
            if (!IPAddress.TryParse(Bind, out _)) throw new ArgumentException($"--bind: '{Bind}' is not an IP address (e.g. 0.0.0.0 or 127.0.0.1).");
            if (LocalWorkers is < 0 or > 256) throw new ArgumentException($"--local-workers: must be in 0..256, got {LocalWorkers}.");
            if (WorkerThreads is < 1 or > 1024) throw new ArgumentException($"--worker-threads: must be in 1..1024, got {WorkerThreads}.");
            if (MaxMessageBytes < 1024) throw new ArgumentException($"--max-message-bytes: must be at least 1024, got {MaxMessageBytes}.");
        }
    }

    private static async Task<int> RunAsync(ServeSettings s, CancellationToken ct)
    {
        s.Validate();
        var options = new CoordinatorOptions
        {
            Lease = TimeSpan.FromSeconds(s.LeaseSeconds),
            HeartbeatInterval = TimeSpan.FromSeconds(s.HeartbeatSeconds),
            StorageHint = StorageHint(s.Storage),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("--lease-seconds/--heartbeat-seconds: " + e.Message, e);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(s.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        using var bootLoggers = LoggerFactory.Create(b => b.SetMinimumLevel(s.LogLevel).AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }));
        var bootLog = bootLoggers.CreateLogger("CvLearn.Master");

        AzureStorage.Register(bootLoggers.CreateLogger("CvLearn.Storage")); // storage retries and circuit changes show in the log
        var store = await AzureStorage.OpenAsync(s.Storage, ct).ConfigureAwait(false);
        var (config, stateStore, coordinator, resumed) = await SearchSetup.OpenAsync(s.Config, s.State, c => new SearchCoordinator(c, options, TimeProvider.System,
            bootLoggers.CreateLogger<SearchCoordinator>()), ct).ConfigureAwait(false);
        await using var _ = stateStore;
        await stateStore.SetMetaAsync(SearchSetup.StorageMetaKey, options.StorageHint, ct).ConfigureAwait(false);
        foreach (var w in config.Warnings) bootLog.LogWarning("Config: {Warning}", w.ToString());
        if (s.LocalWorkers > 0) LocalWorkerPool.RequireDataset(config.Dataset); // before a worker starts (and fails) on it

        var bindAddress = IPAddress.Parse(s.Bind);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenGrpc(new IPEndPoint(bindAddress, s.GrpcPort));
            k.Listen(bindAddress, s.HttpPort, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton(coordinator);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(stateStore);
        builder.Services.AddHostedService<LeaseSweeper>();
        builder.Services.AddSingleton<StatePersister>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StatePersister>());
        builder.Services.AddHostedService<RetentionService>();
        builder.Services.AddHostedService<FinalEnsembleService>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        var app = builder.Build();
        var grpcOptions = new GrpcServerOptions { MaxReceiveMessageSize = s.MaxMessageBytes };
        app.UseGrpcEndpoint(new GrpcEndpoint(grpcOptions, app.Services.GetRequiredService<ILogger<GrpcEndpoint>>(), new SearchServiceHandlers(coordinator, app.Services.GetRequiredService<StatePersister>().WhenPersistedAsync).Bind()));
        DashboardEndpoints.Map(app, coordinator);
        await app.StartAsync(ct).ConfigureAwait(false);

        var (grpcUri, httpUri) = BoundAddresses(app, s);
        Console.WriteLine($"cvlearn-master: experiment '{config.Experiment}', {config.TotalTrials} trials in {config.Stages.Count} stage(s){(resumed ? " (resumed from the saved state)" : "")}");
        // Workers on other machines need this machine's name, not the loopback address the master listens on too.
        string joinAt = bindAddress.Equals(IPAddress.Any) || bindAddress.Equals(IPAddress.IPv6Any)
            ? $"http://{Dns.GetHostName()}:{grpcUri.Port}" : $"http://{grpcUri.Host}:{grpcUri.Port}";
        Console.WriteLine($"  gRPC      {grpcUri}   (workers: cvlearn-worker join --master {joinAt})");
        Console.WriteLine($"  dashboard {httpUri}   (JSON: {httpUri}api/leaderboard)");
        Console.WriteLine($"  storage   {store.Describe}   state {stateStore.Path}");

        LocalWorkerPool? pool = null;
        using var poolStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task poolTask = Task.CompletedTask;
        if (s.LocalWorkers > 0)
        {
            var master = new Uri($"http://127.0.0.1:{grpcUri.Port}");
            pool = new LocalWorkerPool(new LocalWorkerOptions(s.LocalWorkers, master, Path.Combine(Path.GetDirectoryName(stateStore.Path)!, "workers"), null, s.WorkerThreads),
                coordinator, app.Services.GetRequiredService<ILogger<LocalWorkerPool>>());
            await pool.StartAsync(poolStop.Token).ConfigureAwait(false);
        }

        try
        {
            if (s.ExitWhenDone) await coordinator.Finished.WaitAsync(ct).ConfigureAwait(false);
            else await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            FinalSummary.Print(coordinator.Snapshot());
            if (pool is not null) await WaitForWorkersToLeaveAsync(pool, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.WriteLine("cvlearn-master: stopping (the state is saved; run the same command again to carry on).");
        }
        finally
        {
            if (pool is not null)
            {
                await pool.StopAsync(CancellationToken.None).ConfigureAwait(false);
                pool.Dispose();
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        return CliRunner.Success;
    }

    /// <summary>Local workers learn that the search is finished on their next AcquireTrial and exit by themselves.</summary>
    private static async Task WaitForWorkersToLeaveAsync(LocalWorkerPool pool, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await (pool.ExecuteTask ?? Task.CompletedTask).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>What workers are told: directories as absolute paths (workers may start elsewhere), URIs as given.</summary>
    private static string StorageHint(string storage) =>
        storage.Contains("://", StringComparison.Ordinal) ? storage : Path.GetFullPath(storage);

    private static (Uri Grpc, Uri Http) BoundAddresses(WebApplication app, ServeSettings s)
    {
        // Kestrel reports the bound addresses in the order the endpoints were configured: gRPC first, then HTTP.
        var feature = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>();
        var addresses = (feature?.Addresses ?? []).Select(u => new Uri(u.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
            .Replace("[::]", "127.0.0.1", StringComparison.Ordinal))).ToList();
        if (addresses.Count < 2) throw new InvalidOperationException("Kestrel did not report both bound addresses.");
        Uri Pick(int wanted, int index) => wanted != 0 ? addresses.First(a => a.Port == wanted) : addresses[index];
        return (Pick(s.GrpcPort, 0), Pick(s.HttpPort, 1));
    }
}
