using CvLearn.Master.Config;
using CvLearn.Master.Search;

namespace CvLearn.Master.Scheduling;

/// <summary>
/// Plans coarse-to-fine stages (stages are 1-based). Stage 1 samples the configured space; stage s &gt; 1 samples the
/// space narrowed (see <see cref="RangeNarrower"/>) around stage s−1's best <c>from_top</c> finished trials, ranked by
/// <see cref="TrialRanking"/> (diverged/failed never count). A plan needs a finished result for every trial of the
/// earlier stages (to start a stage early, the coordinator passes predicted results for the unfinished ones and plans
/// again once they are real). Hyperparameters come from <see cref="TrialSampler"/>, so a plan is a pure function of the config
/// and the earlier stages' results — independent of worker count or the order results arrived in.
/// Stateless and thread-safe.
/// </summary>
public sealed class StagePlanner
{
    private readonly SearchConfig _config;
    private readonly TrialSampler _sampler;

    /// <summary>Creates a planner for <paramref name="config"/>.</summary>
    public StagePlanner(SearchConfig config)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _sampler = new TrialSampler(config.Seed);
    }

    /// <summary>Number of stages.</summary>
    public int StageCount => _config.Stages.Count;

    /// <summary>
    /// Whether <paramref name="stage"/> may start: every trial of every earlier stage has a finished result.
    /// <paramref name="reason"/> says what is still missing.
    /// </summary>
    public bool CanStart(int stage, IEnumerable<TrialResult> results, out string reason)
    {
        CheckStage(stage);
        var byKey = Index(results);
        for (int s = 1; s < stage; s++)
        {
            if (!IsComplete(s, byKey, out reason)) return false;
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>Whether every trial of <paramref name="stage"/> is finished (completed, stopped, diverged or failed).</summary>
    public bool IsStageComplete(int stage, IEnumerable<TrialResult> results, out string reason)
    {
        CheckStage(stage);
        return IsComplete(stage, Index(results), out reason);
    }

    /// <summary>
    /// The plan of <paramref name="stage"/> given the results of earlier stages (results of other stages are ignored).
    /// </summary>
    /// <exception cref="InvalidOperationException">When an earlier stage is not finished.</exception>
    public StagePlan Plan(int stage, IEnumerable<TrialResult> results)
    {
        CheckStage(stage);
        var byKey = Index(results);
        var space = _config.Space;
        var envelope = space;
        IReadOnlyList<TrialKey> derivedFrom = [];
        IReadOnlyList<BorderWarning> warnings = [];
        var notes = new List<string>();
        for (int s = 1; s < stage; s++)
        {
            if (!IsComplete(s, byKey, out string reason))
            {
                throw new InvalidOperationException($"stage {stage} cannot start: {reason}");
            }

            var (analysis, nextEnvelope) = Analyze(s, space, envelope, byKey, hasNextStage: true);
            if (s == stage - 1)
            {
                derivedFrom = analysis.Top.Select(t => t.Key).ToList();
                warnings = analysis.Warnings;
                if (analysis.Top.Count == 0)
                {
                    notes.Add($"stage {s} has no ranked trials (all diverged or failed): stage {stage} reuses stage {s}'s space");
                }
                else if (analysis.Top.Count < _config.Stage(s + 1).FromTop)
                {
                    notes.Add($"only {analysis.Top.Count} of stage {s}'s trials are ranked (from_top is {_config.Stage(s + 1).FromTop}): the narrowed range uses those");
                }
            }

            space = analysis.NextSpace;
            envelope = nextEnvelope;
        }

        var cfg = _config.Stage(stage);
        var trials = new TrialSpec[cfg.Trials];
        for (int i = 0; i < trials.Length; i++)
        {
            trials[i] = new TrialSpec(new TrialKey(stage, i), cfg.Epochs, _sampler.Sample(space, stage, i), _sampler.TrainingSeed(stage, i));
        }

        return new StagePlan(stage, cfg.Epochs, space, trials, derivedFrom, warnings, notes);
    }

    /// <summary>
    /// Ranks finished <paramref name="stage"/> and derives the next stage's space and border warnings. For the last
    /// stage the warnings say to widen the config (nothing is extended). Requires all stages up to it to be finished.
    /// </summary>
    public StageAnalysis Analyze(int stage, IEnumerable<TrialResult> results)
    {
        CheckStage(stage);
        var byKey = Index(results);
        var space = _config.Space;
        var envelope = space;
        for (int s = 1; ; s++)
        {
            if (!IsComplete(s, byKey, out string reason)) throw new InvalidOperationException($"stage {stage} cannot be analyzed: {reason}");
            var (analysis, nextEnvelope) = Analyze(s, space, envelope, byKey, hasNextStage: s < StageCount);
            if (s == stage) return analysis;
            space = analysis.NextSpace;
            envelope = nextEnvelope;
        }
    }

    private (StageAnalysis Analysis, SearchSpace Envelope) Analyze(
        int stage, SearchSpace space, SearchSpace envelope, Dictionary<TrialKey, TrialResult> byKey, bool hasNextStage)
    {
        int fromTop = hasNextStage ? _config.Stage(stage + 1).FromTop ?? 1 : Math.Max(1, _config.Ensemble.Top);
        var stageResults = new List<TrialResult>();
        for (int i = 0; i < _config.Stage(stage).Trials; i++) stageResults.Add(byKey[new TrialKey(stage, i)]);
        var top = TrialRanking.Ranked(stageResults.Where(r => r.Status is TrialStatus.Completed or TrialStatus.Stopped)).Take(fromTop).ToList();

        var nextParams = new List<SearchParameter>();
        var envParams = new List<SearchParameter>();
        var warnings = new List<BorderWarning>();
        foreach (var p in space.Parameters)
        {
            var topValues = new List<ParamValue>(top.Count);
            foreach (var t in top)
            {
                if (t.Hyperparameters.TryGet(p.Name, out var v)) topValues.Add(v);
            }

            var env = envelope.Find(p.Name) ?? p.Distribution;
            var r = RangeNarrower.Narrow(p.Name, p.Distribution, env, topValues, stage, hasNextStage, _config.Narrowing);
            nextParams.Add(new SearchParameter(p.Name, r.Distribution));
            envParams.Add(new SearchParameter(p.Name, r.Envelope));
            warnings.AddRange(r.Warnings);
        }

        return (new StageAnalysis(stage, top, warnings, new SearchSpace(nextParams)), new SearchSpace(envParams));
    }

    private bool IsComplete(int stage, Dictionary<TrialKey, TrialResult> byKey, out string reason)
    {
        int trials = _config.Stage(stage).Trials;
        int missing = 0, unfinished = 0;
        TrialKey? example = null;
        for (int i = 0; i < trials; i++)
        {
            var key = new TrialKey(stage, i);
            if (!byKey.TryGetValue(key, out var r)) missing++;
            else if (!r.Status.IsFinished()) unfinished++;
            else continue;
            example ??= key;
        }

        if (missing + unfinished == 0)
        {
            reason = string.Empty;
            return true;
        }

        reason = $"stage {stage} has {missing + unfinished} of {trials} trials not finished (e.g. {example}): {missing} without results, {unfinished} pending or running";
        return false;
    }

    private static Dictionary<TrialKey, TrialResult> Index(IEnumerable<TrialResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var byKey = new Dictionary<TrialKey, TrialResult>();
        foreach (var r in results)
        {
            if (!byKey.TryAdd(r.Key, r)) throw new ArgumentException($"two results for trial {r.Key}", nameof(results));
        }

        return byKey;
    }

    private void CheckStage(int stage)
    {
        if (stage < 1 || stage > StageCount)
        {
            throw new ArgumentOutOfRangeException(nameof(stage), stage, $"stages are numbered 1..{StageCount}");
        }
    }
}
