using System.CommandLine;
using System.Net;
using CvLearn.Storage.Azure;

namespace CvLearn.Worker.Commands;

/// <summary>Parses, reports parse errors with exit code 2 (bad input), runs the chosen command.</summary>
public static class CliRunner
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) Console.Error.WriteLine($"error: {error.Message}");
            var command = result.CommandResult.Command;
            string path = ReferenceEquals(command, root) ? root.Name : $"{root.Name} {command.Name}";
            Console.Error.WriteLine($"Run '{path} --help' for usage.");
            return BadInput;
        }
        // Ctrl-C/SIGTERM cancel the command's token (after 10 s the process ends anyway), unless the command
        // registers its own signal handlers (join: it needs to know which signal, to tell the master).
        var config = new InvocationConfiguration
        {
            ProcessTerminationTimeout = result.CommandResult.Command is SignalHandlingCommand ? null : TimeSpan.FromSeconds(10),
        };
        return await result.InvokeAsync(config);
    }

    /// <summary>
    /// Runs a command body, turning bad input into exit code 2 with a message, cancellation into 130, and
    /// anything else into exit code 1 with the exception's message (no stack trace unless CVLEARN_DEBUG is set).
    /// </summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled.");
            return 130;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"failed: {ex.Message}");
            if (Environment.GetEnvironmentVariable("CVLEARN_DEBUG") is not null) Console.Error.WriteLine(ex);
            return Failure;
        }
    }

    /// <summary>
    /// Argument errors, missing files, malformed inputs and storage credentials the service rejects (401/403: wrong
    /// account key, bad or expired SAS, missing SAS permission) are the user's to fix: exit code 2. An unreachable or
    /// failing service stays a plain failure (1).
    /// </summary>
    private static bool IsBadInput(Exception ex) =>
        ex is ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException or InvalidDataException
        || ex is AzureStorageException { Status: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden }
        || ex.GetType().Name is "CheckpointFormatException" or "DatasetNotFoundException" or "MachineCannotRunException" or "ModelSpecException" or "SearchConfigException";
}

/// <summary>A command that handles SIGINT/SIGTERM itself (System.CommandLine's own handling is turned off for it).</summary>
internal sealed class SignalHandlingCommand(string name, string? description = null) : Command(name, description);
