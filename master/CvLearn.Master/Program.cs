using System.CommandLine;
using CvLearn.Master.Commands;
using CvLearn.Worker.Commands;

namespace CvLearn.Master;

/// <summary>cvlearn-master: runs a distributed hyperparameter search (serve) and reads its results (leaderboard, ensemble).</summary>
internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        CvLearn.Storage.Azure.AzureStorage.Register();
        var root = new RootCommand("cvlearn-master: distributed random hyperparameter search, coarse to fine, with checkpoint ensembles (CS231n method).")
        {
            ServeCommand.Create(),
            LeaderboardCommand.Create(),
            EnsembleCommand.Create(),
        };
        return CliRunner.RunAsync(root, args);
    }
}
