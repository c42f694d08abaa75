using CvLearn.Core.Checkpoints;
using CvLearn.Master.Scheduling;
using Microsoft.Extensions.Logging;

namespace CvLearn.Master.Trials;

// Stages: each is planned from the results of the one before (coarse to fine) once it is complete, or early (see
// SearchCoordinator.EarlyStages.cs); the search is done when the last stage is.
public sealed partial class SearchCoordinator
{
    /// <summary>Plans the next stage once the current one is finished; marks the search done after the last.</summary>
    private void AdvanceStages()
    {
        // Counting finished trials per stage keeps a completion O(1); the planner only runs when a stage is complete.
        while (!_searchDoneFlag && _finishedPerStage[_plannedStages] >= _config.Stage(_plannedStages).Trials)
        {
            if (_plannedStages < _config.Stages.Count)
            {
                if (_earlyStage == _plannedStages + 1) SettleEarlyStage();
                else PlanNextStage();
                continue;
            }

            var final = _planner.Analyze(_plannedStages, Results());
            foreach (var w in final.Warnings) AddWarning(w);
            _searchDoneFlag = true;
            _metaDirty = true;
            LogSearchDone(_config.Experiment, _ordered.Count);
            _searchDone.TrySetResult();
        }
    }

    private List<TrialResult> Results() => _ordered.Select(t => t.ToResult()).ToList();

    private void PlanNextStage()
    {
        int stage = _plannedStages + 1;
        var plan = _planner.Plan(stage, Results());
        AddTrials(plan, early: false);
        AdoptPlan(plan);
    }

    /// <summary>Makes <paramref name="plan"/>'s stage the current one (its trials are already added).</summary>
    private void AdoptPlan(StagePlan plan)
    {
        _plannedStages = plan.Stage;
        foreach (var w in plan.Warnings) AddWarning(w);
        foreach (var note in plan.Notes) LogStageNote(plan.Stage, note);
        LogStagePlanned(plan.Stage, plan.Trials.Count, plan.Epochs, Describe(plan));
        Changed();
    }

    /// <summary>The latest stage with trials: the current one, or the next when it was started early.</summary>
    private int LatestStage => Math.Max(_plannedStages, _earlyStage);

    private string PrefixOf(int number) => CheckpointKey.TrialPrefix(_config.Experiment, number);

    private void AddTrials(StagePlan plan, bool early)
    {
        foreach (var spec in plan.Trials)
        {
            int number = PlannedNumber(spec.Key);
            var t = new TrialState(spec, number, PrefixOf(number)) { Early = early };
            _trials.Add(t.Id, t);
            _ordered.Add(t);
            _pending.Add(t.Key);
            // Not marked dirty: a planned, never-leased trial has nothing to save (the plan is a pure function of the
            // config and earlier results, and Restore leaves trials without a row pending), so a 100,000-trial stage
            // costs no 100,000 row writes.
        }
    }

    private int PlannedNumber(TrialKey key) => _stageOffsets[key.Stage - 1] + key.Index;

    private void AddWarning(BorderWarning w)
    {
        _warnings.Add(w);
        LogBorder(w.Parameter, w.Stage, w.Message);
    }

    /// <summary>The plan's ranges, for the log.</summary>
    private static string Describe(StagePlan plan) => string.Join("; ", plan.Space.Parameters.Select(p => p.Name + " ~ " + p.Distribution.Describe()));

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} planned: {Trials} trials of {Epochs} epoch(s); space: {Space}")]
    private partial void LogStagePlanned(int stage, int trials, int epochs, string space);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage}: {Note}")]
    private partial void LogStageNote(int stage, string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Border warning for {Parameter} after stage {Stage}: {Message}")]
    private partial void LogBorder(string parameter, int stage, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search {Experiment}: all {Trials} trials finished")]
    private partial void LogSearchDone(string experiment, int trials);
}
