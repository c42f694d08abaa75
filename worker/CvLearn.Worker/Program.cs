using System.CommandLine;
using CvLearn.Storage.Azure;
using CvLearn.Worker.Commands;

// cvlearn-worker: trains models with the CvLearn engine, alone (train/evaluate/bench) or for a master (join).
// Exit codes: 0 success, 2 bad input (flag, file, spec), 1 other failures.
// Storage locations: directories and file:/// built in; azblob://CONTAINER/PREFIX (CVLEARN_AZURE_CONNECTION_STRING)
// and https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS from CvLearn.Storage.Azure. Commands that open a
// store call AzureStorage.ValidateAsync(store, ct) before their first checkpoint.
AzureStorage.Register();

var root = new RootCommand("cvlearn-worker: train image classifiers with the CvLearn engine, alone or as a worker of a cvlearn-master search.")
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    BenchCommand.Create(),
    JoinCommand.Create(),
};
return await CliRunner.RunAsync(root, args);
