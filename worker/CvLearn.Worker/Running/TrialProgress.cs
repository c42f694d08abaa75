using CvLearn.Core.Training;

namespace CvLearn.Worker.Running;

/// <summary>
/// Live progress of the running trial, written by the training thread after each minibatch and read by the
/// heartbeat loop: epoch in progress, the fraction of it done and the running mean of its minibatch losses.
/// Also the stop switch: <see cref="RequestStop"/> (e.g. a heartbeat answered STOP) cancels training promptly.
/// </summary>
public sealed class TrialProgress : IProgress<BatchProgress>, IDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private int _epoch = 1;
    private double _fraction;
    private double _lossSum;
    private int _lossCount;
    private string? _stopReason;

    /// <summary>Cancelled when the trial should stop early.</summary>
    public CancellationToken StopToken => _stop.Token;

    /// <summary>Why the trial was asked to stop, or null.</summary>
    public string? StopReason
    {
        get { lock (_lock) return _stopReason; }
    }

    public bool StopRequested => _stop.IsCancellationRequested;

    /// <summary>Asks the running trial to stop now (between minibatches); the first reason wins.</summary>
    public void RequestStop(string reason)
    {
        lock (_lock) _stopReason ??= reason;
        try { _stop.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Called once an epoch is done, so that heartbeats after it point at the next one.</summary>
    public void EpochFinished(int epoch)
    {
        lock (_lock)
        {
            _epoch = epoch + 1;
            _fraction = 0;
            _lossSum = 0;
            _lossCount = 0;
        }
    }

    /// <summary>(epoch in progress, 1-based; fraction of it done in [0, 1]; running mean loss or NaN before the first batch).</summary>
    public (int Epoch, double Fraction, double RunningLoss) Snapshot()
    {
        lock (_lock) return (_epoch, _fraction, _lossCount > 0 ? _lossSum / _lossCount : double.NaN);
    }

    public void Report(BatchProgress value)
    {
        lock (_lock)
        {
            if (value.Epoch != _epoch)
            {
                _epoch = value.Epoch;
                _lossSum = 0;
                _lossCount = 0;
            }
            _fraction = value.BatchesPerEpoch > 0 ? Math.Clamp((double)value.Batch / value.BatchesPerEpoch, 0, 1) : 0;
            _lossSum += value.Loss;
            _lossCount++;
        }
    }

    public void Dispose() => _stop.Dispose();
}
