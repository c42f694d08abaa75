using System.Reflection;

namespace CvLearn.Integration.Tests.Infrastructure;

/// <summary>
/// Where the executables under test live. The test project references the master and worker projects so their
/// builds are up to date; the tests run those builds as separate processes. Two layouts are supported:
/// <c>master/CvLearn.Master/bin/&lt;Configuration&gt;/net10.0/</c> (plain build) and, when CVLEARN_ARTIFACTS is set,
/// <c>&lt;artifacts&gt;/bin/CvLearn.Master/&lt;configuration&gt;/</c>. CVLEARN_MASTER / CVLEARN_WORKER override.
/// </summary>
internal static class Builds
{
    public static string RepoRoot { get; } = Metadata("RepoRoot");

    public static string Configuration { get; } = Metadata("Configuration");

    public static string MasterDll { get; } = Find("CVLEARN_MASTER", "CvLearn.Master", Path.Combine("master", "CvLearn.Master"), "cvlearn-master.dll");

    public static string WorkerDll { get; } = Find("CVLEARN_WORKER", "CvLearn.Worker", Path.Combine("worker", "CvLearn.Worker"), "cvlearn-worker.dll");

    public static string ProtoRoot => Path.Combine(RepoRoot, "protos");

    public static string InteropDir => Path.Combine(RepoRoot, "tests", "interop");

    /// <summary>The dotnet host that runs this test process (so children use the same runtime).</summary>
    public static string DotnetHost { get; } = FindDotnet();

    private static string Metadata(string key) =>
        typeof(Builds).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata '{key}' missing: rebuild CvLearn.Integration.Tests");

    private static string Find(string envVar, string project, string projectDir, string dll)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(envVar) is { Length: > 0 } configured) candidates.Add(Path.GetFullPath(configured));

        // This test assembly's own output dir tells the layout: <artifacts>/bin/CvLearn.Integration.Tests/<config>/
        // or tests/CvLearn.Integration.Tests/bin/<Config>/<tfm>/.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        if (here.Parent is { Name: "CvLearn.Integration.Tests" } artifactsProject && artifactsProject.Parent is { } artifactsBin)
            candidates.Add(Path.Combine(artifactsBin.FullName, project, here.Name, dll));
        if (here.Parent is { } cfgDir && cfgDir.Parent is { Name: "bin" })
            candidates.Add(Path.Combine(RepoRoot, projectDir, "bin", cfgDir.Name, here.Name, dll));

        // Fall back to the usual places for this configuration.
        if (Environment.GetEnvironmentVariable("CVLEARN_ARTIFACTS") is { Length: > 0 } artifacts)
            candidates.Add(Path.Combine(artifacts, "bin", project, Configuration.ToLowerInvariant(), dll));
        candidates.Add(Path.Combine(RepoRoot, projectDir, "bin", Configuration, "net10.0", dll));

        foreach (string c in candidates)
        {
            if (File.Exists(c)) return c;
        }

        throw new FileNotFoundException($"cannot find {dll}; build the solution first (dotnet build CvLearn.Distributed.sln -c {Configuration}) or set {envVar}. Looked in: {string.Join(", ", candidates)}");
    }

    private static string FindDotnet()
    {
        string? main = Environment.ProcessPath;
        if (main is not null && Path.GetFileNameWithoutExtension(main) == "dotnet") return main;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate)) return candidate;
        }

        return "dotnet";
    }
}
