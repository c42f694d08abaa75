namespace CvLearn.Master.Scheduling;

/// <summary>Lifecycle of a trial.</summary>
public enum TrialStatus
{
    /// <summary>Planned, not yet handed to a worker.</summary>
    Pending,

    /// <summary>Training on a worker.</summary>
    Running,

    /// <summary>Trained all its epochs.</summary>
    Completed,

    /// <summary>Stopped early by a stop policy (e.g. below the median); its accuracy is still valid and ranked.</summary>
    Stopped,

    /// <summary>Loss became NaN/inf or exploded; never ranked.</summary>
    Diverged,

    /// <summary>Crashed or could not run; never ranked.</summary>
    Failed,
}

/// <summary>Status predicates shared by the planner, leaderboard and stop policies.</summary>
public static class TrialStatusExtensions
{
    /// <summary>True once the trial will not train further.</summary>
    public static bool IsFinished(this TrialStatus s) => s is TrialStatus.Completed or TrialStatus.Stopped or TrialStatus.Diverged or TrialStatus.Failed;

    /// <summary>True when the trial's accuracy may be ranked (diverged and failed trials never are).</summary>
    public static bool IsRankable(this TrialStatus s) => s is TrialStatus.Running or TrialStatus.Completed or TrialStatus.Stopped;
}
