using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using CvLearn.Integration.Tests.Infrastructure;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace CvLearn.Integration.Tests;

/// <summary>gRPC status codes of the real master process (no workers: the test acts as one).</summary>
[Collection(ProcessCollection.Name)]
public sealed class GrpcStatusTests(ITestOutputHelper output)
{
    private const int MaxMessageBytes = 4096;

    private static async Task<(TestWorld World, MasterProcess Master, SearchServiceClient Client)> StartAsync(ITestOutputHelper output, string name)
    {
        var world = new TestWorld(output, name);
        string config = world.WriteConfig(Configs.Search("e2e-status", [(3, 2, null)], ensembleTop: 1));
        var master = await world.StartMasterAsync(config, TestWorld.FreePort(), TestWorld.FreePort(),
            ["--max-message-bytes", MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--lease-seconds", "30"]);
        return (world, master, world.Client(master.Grpc));
    }

    [Fact]
    public async Task Unknown_method_is_UNIMPLEMENTED()
    {
        var (world, master, _) = await StartAsync(output, "unimpl");
        using var _w = world;
        await world.RunAsync(async () =>
        {
            using var http = RawClient();
            using var response = await http.SendAsync(GrpcRequest(master.Grpc, "/cvlearn.v1.SearchService/NoSuchMethod", Frame(new JoinRequest())));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            _ = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture), GrpcStatus(response));
            using var response2 = await http.SendAsync(GrpcRequest(master.Grpc, "/cvlearn.v1.NoSuchService/Join", Frame(new JoinRequest())));
            _ = await response2.Content.ReadAsByteArrayAsync();
            Assert.Equal("12", GrpcStatus(response2));
        });
    }

    [Fact]
    public async Task Request_above_max_message_bytes_is_RESOURCE_EXHAUSTED()
    {
        var (world, master, client) = await StartAsync(output, "oversize");
        using var _w = world;
        await world.RunAsync(async () =>
        {
            var big = new JoinRequest { WorkerName = new string('w', MaxMessageBytes + 100) };
            using var http = RawClient();
            using var response = await http.SendAsync(GrpcRequest(master.Grpc, "/cvlearn.v1.SearchService/Join", Frame(big)));
            _ = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(((int)StatusCode.ResourceExhausted).ToString(System.Globalization.CultureInfo.InvariantCulture), GrpcStatus(response));
            // Our client sees the same status, and the master goes on serving normal requests.
            var e = await Assert.ThrowsAsync<RpcException>(() => client.JoinAsync(big, CallOptions.WithTimeout(TimeSpan.FromSeconds(10))));
            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            var ok = await client.JoinAsync(new JoinRequest { WorkerName = "normal" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
            Assert.False(string.IsNullOrEmpty(ok.WorkerId));
        });
    }

    [Fact]
    public async Task Worker_protocol_errors_NOT_FOUND_and_INVALID_ARGUMENT()
    {
        var (world, _, client) = await StartAsync(output, "proto");
        using var _w = world;
        await world.RunAsync(async () =>
        {
            var t = CallOptions.WithTimeout(TimeSpan.FromSeconds(10));
            var e = await Assert.ThrowsAsync<RpcException>(() => client.AcquireTrialAsync(new AcquireTrialRequest { WorkerId = "no-such-worker" }, t));
            Assert.Equal(StatusCode.NotFound, e.StatusCode);

            var join = await client.JoinAsync(new JoinRequest { WorkerName = "test", Cores = 2, Threads = 1, Hostname = "localhost" }, t);
            var acquired = await client.AcquireTrialAsync(new AcquireTrialRequest { WorkerId = join.WorkerId }, t);
            Assert.Equal(AcquireTrialResponse.ResultOneofCase.Trial, acquired.ResultCase);
            var trial = acquired.Trial;
            Assert.EndsWith("/", trial.CheckpointPrefix, StringComparison.Ordinal);
            EpochReport Report(string key) => new()
            {
                WorkerId = join.WorkerId, TrialId = trial.TrialId, Attempt = trial.Attempt, Epoch = 1, TrainLoss = 1.5, TrainAcc = 0.5,
                ValAcc = 0.5, ValAccEma = 0.5, LearningRate = trial.Hyperparameters.LearningRate, Seconds = 1, CheckpointKey = key,
            };

            foreach (string bad in new[] { "elsewhere/trial-0099/val0.5000_ep01.ckpt", trial.CheckpointPrefix + "../trial-0099/val0.5000_ep01.ckpt", "/abs/val0.5000_ep01.ckpt" })
            {
                var invalid = await Assert.ThrowsAsync<RpcException>(() => client.ReportEpochAsync(Report(bad), t));
                Assert.True(invalid.StatusCode == StatusCode.InvalidArgument, $"key '{bad}': {invalid.StatusCode} {invalid.Status.Detail}");
            }

            // The same report with a key under the prefix is accepted.
            var reply = await client.ReportEpochAsync(Report(trial.CheckpointPrefix + "val0.5000_ep01.ckpt"), t);
            Assert.Equal(Decision.Continue, reply.Decision);
            var unknownTrial = await Assert.ThrowsAsync<RpcException>(() => client.HeartbeatAsync(new HeartbeatRequest { WorkerId = "nobody", TrialId = trial.TrialId, Attempt = 1 }, t));
            Assert.Equal(StatusCode.NotFound, unknownTrial.StatusCode);
        });
    }

    [Fact]
    public async Task WatchLeaderboard_with_a_1ms_deadline_is_DEADLINE_EXCEEDED()
    {
        var (world, master, client) = await StartAsync(output, "deadline");
        using var _w = world;
        await world.RunAsync(async () =>
        {
            // The server's side: grpc-timeout 1m on the wire; the stream must end with DEADLINE_EXCEEDED (4).
            using var http = RawClient();
            var request = GrpcRequest(master.Grpc, "/cvlearn.v1.SearchService/WatchLeaderboard", Frame(new LeaderboardRequest { Top = 5 }));
            request.Headers.TryAddWithoutValidation("grpc-timeout", "1m");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            _ = await response.Content.ReadAsByteArrayAsync(cts.Token);
            Assert.Equal(((int)StatusCode.DeadlineExceeded).ToString(System.Globalization.CultureInfo.InvariantCulture), GrpcStatus(response));

            // Our client: the call fails with DEADLINE_EXCEEDED, it does not hang on the open stream.
            using var watch = client.WatchLeaderboard(new LeaderboardRequest { Top = 5 }, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(1)));
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await watch.MoveNext(cts.Token))
                {
                }
            });
            Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);

            // And the master still serves.
            var board = await client.GetLeaderboardAsync(new LeaderboardRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
            Assert.Equal(3, board.TotalTrials);
        });
    }

    private static HttpClient RawClient() => new(new SocketsHttpHandler { UseProxy = false })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static byte[] Frame(IMessage message)
    {
        byte[] payload = message.ToByteArray();
        byte[] framed = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(framed, 5);
        return framed;
    }

    private static HttpRequestMessage GrpcRequest(Uri server, string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    /// <summary>grpc-status from the trailers, or from the headers of a Trailers-Only response.</summary>
    private static string? GrpcStatus(HttpResponseMessage response) =>
        response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.First()
        : response.Headers.TryGetValues("grpc-status", out var header) ? header.First() : null;
}
