using System.Collections.Concurrent;
using System.Net;
using CvLearn.Protos.Rpc;
using CvLearn.Protos.V1;

namespace CvLearn.Worker.Tests;

/// <summary>
/// A scripted in-process master: our real GrpcServer serving SearchService with handlers the test controls. The
/// state lives apart from the server, so a test can stop the server (master down) and start it again on the same
/// port, or make it forget its workers (a restarted master answers NOT_FOUND).
/// </summary>
internal sealed class FakeMaster : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<JoinRequest> _joins = [];
    private readonly List<EpochReport> _reports = [];
    private readonly List<HeartbeatRequest> _heartbeats = [];
    private readonly List<TrialResult> _results = [];
    private readonly List<LeaveRequest> _leaves = [];
    private readonly HashSet<string> _knownWorkers = [];
    private GrpcServer? _server;
    private int _nextWorker;

    public FakeMaster(string storageHint) => StorageHint = storageHint;

    public string StorageHint { get; set; }

    public int HeartbeatIntervalMs { get; set; } = 200;

    /// <summary>Announced in JoinResponse: the worker then sends a trial's last epoch inside CompleteTrial.</summary>
    public bool AcceptsFinalEpoch { get; set; }

    /// <summary>Answers of AcquireTrial, in order; when empty the search is finished.</summary>
    public ConcurrentQueue<AcquireTrialResponse> Acquire { get; } = new();

    public Func<EpochReport, EpochReply> OnReport { get; set; } = _ => new EpochReply { Decision = Decision.Continue };

    public Func<HeartbeatRequest, HeartbeatReply> OnHeartbeat { get; set; } = _ => new HeartbeatReply { Decision = Decision.Continue };

    public TaskCompletionSource<EpochReport> FirstReport { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<TrialResult> FirstResult { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<LeaveRequest> FirstLeave { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public int Port { get; private set; }

    public IReadOnlyList<JoinRequest> Joins { get { lock (_lock) return [.. _joins]; } }
    public IReadOnlyList<EpochReport> Reports { get { lock (_lock) return [.. _reports]; } }
    public IReadOnlyList<HeartbeatRequest> Heartbeats { get { lock (_lock) return [.. _heartbeats]; } }
    public IReadOnlyList<TrialResult> Results { get { lock (_lock) return [.. _results]; } }
    public IReadOnlyList<LeaveRequest> Leaves { get { lock (_lock) return [.. _leaves]; } }

    public static async Task<FakeMaster> StartAsync(string storageHint, int port = 0)
    {
        var master = new FakeMaster(storageHint);
        await master.StartServerAsync(port);
        return master;
    }

    public static TrialAssignment Trial(FakeMaster master, TrialAssignment trial)
    {
        master.Acquire.Enqueue(new AcquireTrialResponse { Trial = trial });
        return trial;
    }

    public async Task StartServerAsync(int port)
    {
        var binder = new GrpcServiceBinder(SearchServiceClient.Service)
            .Unary<JoinRequest, JoinResponse>("Join", (req, _) => Task.FromResult(Join(req)))
            .Unary<AcquireTrialRequest, AcquireTrialResponse>("AcquireTrial", (req, _) => Task.FromResult(AcquireTrial(req)))
            .Unary<EpochReport, EpochReply>("ReportEpoch", (req, _) => Task.FromResult(Report(req)))
            .Unary<HeartbeatRequest, HeartbeatReply>("Heartbeat", (req, _) => Task.FromResult(Heartbeat(req)))
            .Unary<TrialResult, CompleteReply>("CompleteTrial", (req, _) => Task.FromResult(Complete(req)))
            .Unary<LeaveRequest, LeaveReply>("Leave", (req, _) => Task.FromResult(Leave(req)));
        _server = await GrpcServer.StartAsync(new IPEndPoint(IPAddress.Loopback, port), new GrpcServerOptions(), [binder]);
        Port = _server.Port;
    }

    public async Task StopServerAsync()
    {
        if (_server is null) return;
        await _server.DisposeAsync();
        _server = null;
    }

    /// <summary>Forgets every worker id, like a restarted master.</summary>
    public void ForgetWorkers()
    {
        lock (_lock) _knownWorkers.Clear();
    }

    public async ValueTask DisposeAsync() => await StopServerAsync();

    private JoinResponse Join(JoinRequest req)
    {
        lock (_lock)
        {
            _joins.Add(req);
            string id = "w-" + ++_nextWorker;
            _knownWorkers.Add(id);
            return new JoinResponse { WorkerId = id, Experiment = "exp", StorageHint = StorageHint, HeartbeatIntervalMs = HeartbeatIntervalMs, LeaseMs = 30_000, AcceptsFinalEpoch = AcceptsFinalEpoch };
        }
    }

    private void CheckWorker(string id)
    {
        lock (_lock)
        {
            if (!_knownWorkers.Contains(id)) throw new RpcException(StatusCode.NotFound, $"unknown worker {id}");
        }
    }

    private AcquireTrialResponse AcquireTrial(AcquireTrialRequest req)
    {
        CheckWorker(req.WorkerId);
        return Acquire.TryDequeue(out var next) ? next : new AcquireTrialResponse { Finished = new SearchFinished { Reason = "all stages done" } };
    }

    private EpochReply Report(EpochReport req)
    {
        CheckWorker(req.WorkerId);
        lock (_lock) _reports.Add(req);
        FirstReport.TrySetResult(req);
        return OnReport(req);
    }

    private HeartbeatReply Heartbeat(HeartbeatRequest req)
    {
        CheckWorker(req.WorkerId);
        lock (_lock) _heartbeats.Add(req);
        return OnHeartbeat(req);
    }

    private CompleteReply Complete(TrialResult req)
    {
        CheckWorker(req.WorkerId);
        lock (_lock) _results.Add(req);
        FirstResult.TrySetResult(req);
        return new CompleteReply();
    }

    private LeaveReply Leave(LeaveRequest req)
    {
        lock (_lock) _leaves.Add(req);
        FirstLeave.TrySetResult(req);
        return new LeaveReply { Requeued = !string.IsNullOrEmpty(req.TrialId) };
    }
}
