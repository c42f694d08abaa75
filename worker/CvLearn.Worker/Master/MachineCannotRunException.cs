namespace CvLearn.Worker.Master;

/// <summary>
/// This machine cannot run the search's trials (its dataset is missing or unreadable here). The worker has handed
/// its trial back to the master and stops: `join` exits with code 2 and this message, which says what to fix.
/// </summary>
public sealed class MachineCannotRunException(string message, Exception inner) : Exception(message, inner);
