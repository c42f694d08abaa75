using System.Diagnostics;
using System.Globalization;
using System.Net;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.Testing;
using CvLearn.Protos.V1;
using Google.Protobuf.Reflection;

// Usage:
//   CvLearn.DispatchBench echo-server PORT            serve cvlearn.testing.EchoService (the reference) until killed
//   CvLearn.DispatchBench dispatch MASTER ECHO WORKERS SECONDS
//   CvLearn.DispatchBench overhead MASTER WORKERS TRIALS TRIAL_SECONDS
// tests/benchmarks/dispatch_bench.sh starts the processes and prints the figures.
return args.FirstOrDefault() switch
{
    "echo-server" => await EchoServerAsync(int.Parse(args[1], CultureInfo.InvariantCulture)),
    "dispatch" => await DispatchAsync(new Uri(args[1]), new Uri(args[2]), Int(args[3]), double.Parse(args[4], CultureInfo.InvariantCulture)),
    "overhead" => await OverheadAsync(new Uri(args[1]), Int(args[2]), Int(args[3]), double.Parse(args[4], CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

static int Usage()
{
    Console.Error.WriteLine("usage: echo-server PORT | dispatch MASTER ECHO WORKERS SECONDS | overhead MASTER WORKERS TRIALS TRIAL_SECONDS");
    return 2;
}

static async Task<int> EchoServerAsync(int port)
{
    var service = EchoReflection.Descriptor.FindTypeByName<ServiceDescriptor>("EchoService");
    var binder = new GrpcServiceBinder(service).Unary<EchoRequest, EchoReply>("Echo", (r, _) => Task.FromResult(new EchoReply { Text = r.Text }));
    await using var server = await GrpcServer.StartAsync(new IPEndPoint(IPAddress.Loopback, port), null, [binder]);
    Console.WriteLine($"echo server on {server.Address}");
    var stop = new TaskCompletionSource();
    using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
    {
        ctx.Cancel = true;
        stop.TrySetResult();
    });
    await stop.Task; // the script's cleanup sends SIGTERM
    return 0;
}

// Each simulated worker: AcquireTrial, then CompleteTrial at once (a zero-length trial), in a loop; 2 RPCs per round trip.
// The reference does the same number of unary calls (2 per round) against a trivial echo handler on the same wire layer.
static async Task<int> DispatchAsync(Uri master, Uri echo, int workers, double seconds)
{
    var echoMethod = EchoReflection.Descriptor.FindTypeByName<ServiceDescriptor>("EchoService").FindMethodByName("Echo");
    double reference = await LoopAsync(echo, workers, seconds, async (channel, _, ct) =>
    {
        var o = new CallOptions(CancellationToken: ct);
        await channel.CallUnaryAsync<EchoRequest, EchoReply>(echoMethod, new EchoRequest { Text = "acquire" }, o);
        await channel.CallUnaryAsync<EchoRequest, EchoReply>(echoMethod, new EchoRequest { Text = "complete" }, o);
        return true;
    });
    double dispatch = await LoopAsync(master, workers, seconds, async (channel, workerId, ct) =>
    {
        var client = new SearchServiceClient(channel);
        var o = new CallOptions(CancellationToken: ct);
        var got = await client.AcquireTrialAsync(new AcquireTrialRequest { WorkerId = workerId }, o);
        if (got.ResultCase != AcquireTrialResponse.ResultOneofCase.Trial) return false;
        await client.CompleteTrialAsync(new TrialResult { WorkerId = workerId, TrialId = got.Trial.TrialId, Attempt = got.Trial.Attempt, Status = TrialStatus.Completed, EpochsDone = 1 }, o);
        return true;
    });
    Console.WriteLine($"dispatch: {dispatch:0} acquire+complete round trips/s with {workers} concurrent workers (target >= 5000)");
    Console.WriteLine($"reference: {reference:0} pairs of echo calls/s on the same wire layer");
    Console.WriteLine($"ratio dispatch/reference: {dispatch / reference:0.00}");
    return dispatch >= 5000 ? 0 : 1;
}

static async Task<double> LoopAsync(Uri address, int workers, double seconds, Func<RpcChannel, string, CancellationToken, Task<bool>> round)
{
    using var channel = new RpcChannel(address);
    var client = new SearchServiceClient(channel);
    var ids = new string[workers];
    for (int i = 0; i < workers; i++)
    {
        ids[i] = await TryJoinAsync(client, i);
    }

    // Warm-up (JIT, connections), then the measured window.
    using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(2, seconds / 2))))
    {
        await Task.WhenAll(ids.Select(id => RunAsync(channel, id, round, warm.Token)));
    }

    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    var sw = Stopwatch.StartNew();
    var counts = await Task.WhenAll(ids.Select(id => RunAsync(channel, id, round, cts.Token)));
    return counts.Sum() / sw.Elapsed.TotalSeconds;
}

static async Task<string> TryJoinAsync(SearchServiceClient client, int i)
{
    try
    {
        return (await client.JoinAsync(new JoinRequest { WorkerName = "bench-" + i, Cores = 1, Threads = 1 })).WorkerId;
    }
    catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
    {
        return "echo"; // the echo reference has no Join
    }
}

static async Task<long> RunAsync(RpcChannel channel, string workerId, Func<RpcChannel, string, CancellationToken, Task<bool>> round, CancellationToken ct)
{
    long n = 0;
    try
    {
        while (!ct.IsCancellationRequested && await round(channel, workerId, ct)) n++;
    }
    catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || ct.IsCancellationRequested)
    {
    }
    catch (OperationCanceledException)
    {
    }

    return n;
}

// 1-second trials: each simulated worker acquires, "trains" TRIAL_SECONDS and completes, with its one epoch inside the
// result and asking for its next trial in the same call, as cvlearn-worker does (a ReportEpoch first to a master
// that does not take the last epoch with the result). Scheduling
// overhead is the share of the workers' time not spent training: (workers × wall − Σ measured training time) / Σ
// measured training time — so the simulation's own timer slop (a 1 s delay may last 1.002 s) counts as training, as it
// would on a real worker, and only the time spent waiting for the master counts as overhead. The nominal form (wall
// against ceil(TRIALS / WORKERS) × TRIAL_SECONDS) is printed beside it.
static async Task<int> OverheadAsync(Uri master, int workers, int trials, double trialSeconds)
{
    using var channel = new RpcChannel(master);
    var client = new SearchServiceClient(channel);
    var ids = new List<string>();
    bool acceptsFinalEpoch = true;
    for (int i = 0; i < workers; i++)
    {
        var joined = await client.JoinAsync(new JoinRequest { WorkerName = "sim-" + i, Cores = 1, Threads = 1 });
        ids.Add(joined.WorkerId);
        acceptsFinalEpoch &= joined.AcceptsFinalEpoch;
    }
    var sw = Stopwatch.StartNew();
    int done = 0;
    long trainingTicks = 0;
    var reportTicks = new System.Collections.Concurrent.ConcurrentBag<long>();
    var completeTicks = new System.Collections.Concurrent.ConcurrentBag<long>();
    await Task.WhenAll(ids.Select(async id =>
    {
        AcquireTrialResponse? next = null; // as cvlearn-worker does: CompleteTrial with acquire_next hands out the next trial
        while (true)
        {
            var got = next ?? await client.AcquireTrialAsync(new AcquireTrialRequest { WorkerId = id });
            next = null;
            if (got.ResultCase == AcquireTrialResponse.ResultOneofCase.Finished) return;
            if (got.ResultCase == AcquireTrialResponse.ResultOneofCase.Wait)
            {
                if (Volatile.Read(ref done) >= trials) return;
                await Task.Delay(got.Wait.RetryAfterMs);
                continue;
            }

            var t = got.Trial;
            long start = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(trialSeconds));
            long trained = Stopwatch.GetTimestamp();
            Interlocked.Add(ref trainingTicks, trained - start);
            var epoch = new EpochReport { WorkerId = id, TrialId = t.TrialId, Attempt = t.Attempt, Epoch = 1, TrainLoss = 1, ValAcc = 0.5, TrainAcc = 0.5 };
            if (!acceptsFinalEpoch)
            {
                await client.ReportEpochAsync(epoch);
                reportTicks.Add(Stopwatch.GetTimestamp() - trained);
            }
            long reported = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref done);
            next = (await client.CompleteTrialAsync(new TrialResult
            {
                WorkerId = id, TrialId = t.TrialId, Attempt = t.Attempt, Status = TrialStatus.Completed, BestValAcc = 0.5, EpochsDone = 1, AcquireNext = true,
                FinalEpoch = acceptsFinalEpoch ? epoch : null,
            })).Next;
            completeTicks.Add(Stopwatch.GetTimestamp() - reported);
        }
    }));
    double wall = sw.Elapsed.TotalSeconds;
    double training = (double)trainingTicks / Stopwatch.Frequency;
    double overhead = (workers * wall - training) / training;
    double ideal = Math.Ceiling((double)trials / workers) * trialSeconds;
    Console.WriteLine($"overhead: {trials} trials of {trialSeconds:0.##} s on {workers} workers took {wall:0.000} s (nominal ideal {ideal:0.000} s, "
        + $"{(wall - ideal) / ideal * 100:0.00}% over it); workers trained {training / (workers * wall) * 100:0.00}% of the time: "
        + $"{overhead * 100:0.00}% scheduling overhead (target < 1%; Ray Tune reports 14%)");
    Console.WriteLine($"latency per trial: {(acceptsFinalEpoch ? "" : $"ReportEpoch {Percentiles(reportTicks)}; ")}CompleteTrial (+ last epoch, + next trial) {Percentiles(completeTicks)}");
    return overhead < 0.01 ? 0 : 1;
}

static string Percentiles(IEnumerable<long> ticks)
{
    var ms = ticks.Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
    if (ms.Length == 0) return "none";
    double At(double q) => ms[Math.Min(ms.Length - 1, (int)(q * ms.Length))];
    return $"mean {ms.Average():0.00} ms, p50 {At(0.5):0.00}, p90 {At(0.9):0.00}, p99 {At(0.99):0.00}";
}
