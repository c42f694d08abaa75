using System.CommandLine;
using CvLearn.Worker.Commands;

// cvlearn-worker: trains models with the CvLearn engine, alone (train/evaluate/bench) or for a master (join).
// Exit codes: 0 success, 2 bad input (flag, file, spec), 1 other failures.
var root = new RootCommand("cvlearn-worker: train image classifiers with the CvLearn engine, alone or as a worker of a cvlearn-master search.")
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    BenchCommand.Create(),
    JoinCommand.Create(),
};
return await CliRunner.RunAsync(root, args);
