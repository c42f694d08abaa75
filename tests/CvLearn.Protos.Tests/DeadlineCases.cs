namespace CvLearn.Protos.Tests;

/// <summary>
/// Runs a "deadline expires while the handler waits" scenario so that it does not depend on machine
/// speed: with a short deadline the handler may not even have started on a loaded machine (then the
/// server correctly never runs it), so the scenario is repeated with longer deadlines until the
/// handler was seen running; from then on the server MUST report that it saw the cancellation.
/// </summary>
internal static class DeadlineCases
{
    public static readonly TimeSpan[] Timeouts = [TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(15)];

    public static async Task RunAsync(EchoServiceImpl impl, Func<TimeSpan, Task> callThatMustHitTheDeadline)
    {
        foreach (TimeSpan timeout in Timeouts)
        {
            impl.ResetObservations();
            await callThatMustHitTheDeadline(timeout);
            if (impl.DelayedEchoStarted.Task.IsCompleted)
            {
                Assert.True(await impl.HandlerSawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(60)),
                    "the handler was running but never saw its call cancelled");
                return;
            }
        }

        Assert.Fail($"the handler never started within a {Timeouts[^1].TotalSeconds:F0} s deadline");
    }
}
