using System.Text.Json;
using System.Text.Json.Serialization;
using CvLearn.Core.Training;
using CvLearn.Master.Scheduling;

namespace CvLearn.Master.Trials;

/// <summary>Rows changed since the last <see cref="SearchCoordinator.TakeChanges"/>, as JSON documents keyed by id.</summary>
public sealed record StateChanges(IReadOnlyList<KeyValuePair<string, string>> Trials, IReadOnlyList<KeyValuePair<string, string>> Workers, string? Meta)
{
    public bool IsEmpty => Trials.Count == 0 && Workers.Count == 0 && Meta is null;
}

/// <summary>Everything persisted about a search, as read back at start-up.</summary>
public sealed record PersistedState(IReadOnlyDictionary<string, string> Trials, IReadOnlyDictionary<string, string> Workers, string? Meta);

// Persistence: the coordinator hands out changed rows (JSON) and rebuilds itself from them. Hyperparameters are not
// stored: they are a pure function of (config, earlier stages' results), so replaying the results re-plans the same
// stages. A restarted master keeps running trials leased to their workers (with a fresh lease), so workers that
// retry through the restart carry on as if nothing happened; workers that died lose their lease as usual.
public sealed partial class SearchCoordinator
{
    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Takes the rows changed since the last call (the caller writes them in one transaction).</summary>
    public StateChanges TakeChanges()
    {
        // Copy the rows under the lock (cheap), serialize them outside it, so that saving never stalls dispatch.
        List<(string Id, TrialRow Row)> trials;
        List<(string Id, WorkerRow Row)> workers;
        MetaRow? meta;
        lock (_gate)
        {
            trials = _dirtyTrials.Select(id => (id, ToRow(_trials[id]))).ToList();
            workers = _dirtyWorkers.Select(id => (id, ToRow(_workers[id]))).ToList();
            meta = _metaDirty ? new MetaRow(_ensemble, _ensembleError, _finishedFlag) : null;
            _dirtyTrials.Clear();
            _dirtyWorkers.Clear();
            _metaDirty = false;
        }

        return new StateChanges(
            trials.Select(t => new KeyValuePair<string, string>(t.Id, JsonSerializer.Serialize(t.Row, Json))).ToList(),
            workers.Select(w => new KeyValuePair<string, string>(w.Id, JsonSerializer.Serialize(w.Row, Json))).ToList(),
            meta is null ? null : JsonSerializer.Serialize(meta, Json));
    }

    /// <summary>
    /// Rebuilds the search from persisted rows (call once, before serving). Stages are re-planned in order from the
    /// restored results; rows of trials the config does not produce are a mismatch and rejected.
    /// </summary>
    public void Restore(PersistedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_gate)
        {
            foreach (var (id, json) in state.Workers)
            {
                var row = JsonSerializer.Deserialize<WorkerRow>(json, Json) ?? throw new InvalidDataException($"worker row {id} is empty");
                _workers[id] = new WorkerState
                {
                    Id = id, Name = row.Name, Hostname = row.Hostname, Version = row.Version, Cores = row.Cores, Threads = row.Threads,
                    LastSeen = Now, Alive = row.Alive, CurrentTrialId = row.CurrentTrialId,
                };
            }

            var rows = new Dictionary<string, TrialRow>(StringComparer.Ordinal);
            foreach (var (id, json) in state.Trials)
            {
                rows[id] = JsonSerializer.Deserialize<TrialRow>(json, Json) ?? throw new InvalidDataException($"trial row {id} is empty");
            }

            // Apply the rows of each planned stage; a finished stage plans the next, whose rows are applied in turn. Rows
            // left over after an unfinished stage belong to the next one, started early: it is planned early again.
            foreach (var row in rows.Values)
            {
                if (row.Number is int n) _nextSpareNumber = Math.Max(_nextSpareNumber, n + 1);
            }

            var applied = new HashSet<string>(StringComparer.Ordinal);
            var rewrite = new List<TrialState>();
            for (int stage = 1; stage <= LatestStage; stage++)
            {
                foreach (var t in _ordered.Where(t => t.Key.Stage == stage).ToList())
                {
                    if (!rows.TryGetValue(t.Id, out var row)) continue;
                    applied.Add(t.Id);
                    if (row.Plan is not null && row.Plan != PlanFingerprint(t.Spec))
                    {
                        ApplyReplanned(t, row);
                        rewrite.Add(t);
                        continue;
                    }

                    Apply(t, row);
                    // A row saved while its stage ran early, whose stage is now planned for real: the plan held.
                    if (row.Plan is not null && !t.Early) rewrite.Add(t);
                    if (t.Status.IsFinished()) _finishedPerStage[stage]++;
                }

                if (stage != _plannedStages) continue;
                AdvanceStages();
                if (stage == _plannedStages && rows.Keys.Any(id => !applied.Contains(id))) PlanEarly();
            }

            var unknown = rows.Keys.Where(id => !applied.Contains(id)).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidDataException(
                    $"the saved state has {unknown.Count} trial(s) this config does not plan (e.g. {unknown[0]}): it was written by a different search config");
            }

            if (state.Meta is not null && JsonSerializer.Deserialize<MetaRow>(state.Meta, Json) is { } meta && meta.Finished)
            {
                _ensemble = meta.Ensemble;
                _ensembleError = meta.EnsembleError;
                _finishedFlag = true;
                _finished.TrySetResult();
            }

            _dirtyTrials.Clear();
            _dirtyWorkers.Clear();
            foreach (var t in rewrite) Dirty(t);
            SkipPossiblyLostAttempts();
            Changed();
        }
    }

    private void Apply(TrialState t, TrialRow row)
    {
        if (row.Number is int number && number != t.Number) t.Renumber(number, PrefixOf(number));
        t.DiscardedCheckpoints.Clear();
        if (row.Discarded is not null) t.DiscardedCheckpoints.AddRange(row.Discarded);
        t.Status = row.Status;
        t.Attempt = row.Attempt;
        t.WorkerId = row.WorkerId;
        t.WorkerName = row.WorkerName;
        t.Epochs.Clear();
        t.Epochs.AddRange(row.Epochs);
        t.Checkpoints.Clear();
        t.Checkpoints.AddRange(row.Checkpoints);
        t.PendingStop = row.PendingStop;
        t.Message = row.Message;
        t.Failures = row.Failures;
        t.StartedAt = row.StartedAt;
        t.FinishedAt = row.FinishedAt;
        if (t.Status == TrialStatus.Running)
        {
            t.LeaseDeadline = Now + _options.Lease;
            _pending.Remove(t.Key);
        }
        else if (t.Status.IsFinished())
        {
            _pending.Remove(t.Key);
        }
        else
        {
            _pending.Add(t.Key);
        }
    }

    /// <summary>
    /// A row of a trial started early whose plan no longer holds (the plan made now differs from the one it ran): its
    /// work is dropped and its checkpoints deleted, as if it had been re-planned before the restart.
    /// </summary>
    private void ApplyReplanned(TrialState t, TrialRow row)
    {
        int number = row.Number ?? t.Number;
        t.Renumber(number, PrefixOf(number));
        t.Attempt = row.Attempt;
        t.Checkpoints.AddRange(row.Checkpoints);
        if (row.Discarded is not null) t.DiscardedCheckpoints.AddRange(row.Discarded);
        foreach (var w in _workers.Values)
        {
            if (w.CurrentTrialId == t.Id) w.CurrentTrialId = null;
        }

        Replan(t, t.Spec, $"re-planned: the plan of stage {t.Key.Stage} made after the master's restart differs from the one it ran");
    }

    /// <summary>
    /// Leases are answered before they are saved, so the last ones handed out before a crash may be missing from the
    /// state file. Every trial that comes back pending therefore skips one attempt number: the next lease can never
    /// carry the number of a lost one, whose worker is told to stop (stale attempt) instead of sharing the trial.
    /// </summary>
    private void SkipPossiblyLostAttempts()
    {
        foreach (var t in _ordered)
        {
            if (t.Status != TrialStatus.Pending) continue;
            t.Attempt++;
            Dirty(t);
        }
    }

    private TrialRow ToRow(TrialState t) => new(t.Status, t.Attempt, t.WorkerId, t.WorkerName, t.Epochs.ToList(), t.Checkpoints.ToList(),
        t.PendingStop, t.Message, t.Failures, t.StartedAt, t.FinishedAt,
        t.Early ? PlanFingerprint(t.Spec) : null,
        t.Number != PlannedNumber(t.Key) ? t.Number : null,
        t.DiscardedCheckpoints.Count > 0 ? t.DiscardedCheckpoints.ToList() : null);

    private static WorkerRow ToRow(WorkerState w) => new(w.Name, w.Hostname, w.Version, w.Cores, w.Threads, w.Alive, w.CurrentTrialId);

    // Plan: the spec of a trial started early, to tell at restore whether the plan still holds; Number: set when a
    // re-planned trial was given a new one; Discarded: checkpoints of an earlier plan not yet deleted.
    private sealed record TrialRow(
        TrialStatus Status, int Attempt, string? WorkerId, string? WorkerName, List<EpochRecord> Epochs, List<ReportedCheckpoint> Checkpoints,
        StopKind PendingStop, string? Message, int Failures, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
        string? Plan = null, int? Number = null, List<string>? Discarded = null);

    private sealed record WorkerRow(string Name, string Hostname, string Version, int Cores, int Threads, bool Alive, string? CurrentTrialId);

    private sealed record MetaRow(EnsembleReport? Ensemble, string? EnsembleError, bool Finished);
}
