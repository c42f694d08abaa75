namespace CvLearn.Core.Training;

/// <summary>Statistics of one finished epoch (1-based), as reported to the master and stored in checkpoints.</summary>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double ValidationAccuracy,
    double EmaValidationAccuracy,
    double LearningRate,
    double Seconds);
