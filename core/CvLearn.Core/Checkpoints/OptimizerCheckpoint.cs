namespace CvLearn.Core.Checkpoints;

/// <summary>State of the update rule (see IUpdateRule.ExportState): its name, step count and buffers (velocity, moments…).</summary>
public sealed record OptimizerCheckpoint(string Name, long Steps, IReadOnlyList<NamedArray> Buffers);
