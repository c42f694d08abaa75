namespace CvLearn.Master;

/// <summary>Placeholder entry point: the networked master host is wired in later.</summary>
internal static class Program
{
    private static int Main() => 0;
}
