using CvLearn.Core.Checkpoints;
using CvLearn.Core.Ensembles;
using CvLearn.Core.Training;
using CvLearn.Master.Trials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Hosting;

/// <summary>
/// When the last stage is done: loads the best trials' checkpoints from storage and scores, on the validation split
/// (from the predictions the checkpoints carry), the average of the top-k and a greedy (Caruana) forward selection
/// with replacement over up to 2k candidates, beside the best single model (CS231n: "train multiple independent models, and at test time average their predictions").
/// </summary>
public sealed partial class FinalEnsembleService(SearchCoordinator coordinator, ICheckpointStore store, ILogger<FinalEnsembleService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await coordinator.SearchDone.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (coordinator.Finished.IsCompleted) return; // restored from a finished state
        try
        {
            var report = await BuildAsync(coordinator, store, stoppingToken).ConfigureAwait(false);
            coordinator.SetEnsemble(report, report is null ? "no trial left a checkpoint (all diverged or failed?)" : null);
            if (report is not null)
            {
                LogEnsemble(report.K, report.TopKAccuracy, report.GreedyAccuracy, report.BestSingleAccuracy, string.Join(" ", report.GreedyMembers));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFailed(e, e.Message);
            coordinator.SetEnsemble(null, e.Message);
        }
    }

    /// <summary>Evaluates the final ensembles; null when no trial has a checkpoint.</summary>
    public static async Task<EnsembleReport?> BuildAsync(SearchCoordinator coordinator, ICheckpointStore store, CancellationToken ct)
    {
        int k = Math.Max(1, coordinator.Config.Ensemble.Top);
        var candidates = coordinator.TopCheckpoints(2 * k);
        if (candidates.Count == 0) return null;
        // Read concurrently: the workers have just left, so the cores are free, and the search's result waits for this.
        // The checkpoints carry their validation predictions (workers record them at every epoch), so the ensembles
        // are scored from those: the master needs neither the dataset nor a forward pass per member. Checkpoints
        // without them (written before workers recorded them) make CheckpointEnsemble load the dataset and recompute.
        var loaded = await Task.WhenAll(candidates.Select(c => StoredCheckpoints.LoadAsync(store, c.BestCheckpointKey!, ct))).ConfigureAwait(false);
        var members = candidates.Select((c, i) => new NamedCheckpoint(c.Id, loaded[i])).ToList();
        var result = await CheckpointEnsemble.EvaluateAsync(members, EvaluationSplit.Validation, new CheckpointEnsembleOptions
        {
            DataDir = coordinator.Config.Dataset.DataDir,
            TopK = Math.Min(k, members.Count),
            Greedy = true,
            GreedyMaxSize = 2 * k,
        }, ct).ConfigureAwait(false);
        var greedy = result.Greedy;
        return new EnsembleReport(result.TopK, result.TopKAccuracy, greedy?.ValidationAccuracy ?? result.TopKAccuracy, result.BestSingleAccuracy,
            greedy?.Names ?? [], candidates.Take(result.TopK).Select(c => c.Id).ToList());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ensemble on the validation split: top-{K} average {TopK:0.0000}, greedy selection {Greedy:0.0000}, best single {Single:0.0000}; greedy members: {Members}")]
    private partial void LogEnsemble(int k, double topK, double greedy, double single, string members);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not evaluate the final ensemble: {Reason}")]
    private partial void LogFailed(Exception e, string reason);
}

/// <summary>Reading checkpoints out of a store, with errors that name the key and the store.</summary>
public static class StoredCheckpoints
{
    public static async Task<Checkpoint> LoadAsync(ICheckpointStore store, string key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await CheckpointFile.ReadAsync(stream, $"{key} in {store.Describe}", ct).ConfigureAwait(false);
        }
    }
}
