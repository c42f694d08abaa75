using System.CommandLine;
using CvLearn.Master.Web;
using CvLearn.Protos.Rpc;
using CvLearn.Worker.Commands;
using Spectre.Console;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Commands;

/// <summary>`cvlearn-master leaderboard`: the ranked trials of a running (or finished) search, once or live.</summary>
public static class LeaderboardCommand
{
    public static Command Create()
    {
        var master = new Option<string>("--master") { Description = "The master's gRPC address: http://HOST:PORT or HOST:PORT (its --grpc-port, 50051 by default).", Required = true };
        var watch = new Option<bool>("--watch") { Description = "Refresh live as the search changes (until it finishes or Ctrl-C)." };
        var json = new Option<bool>("--json") { Description = "Print the leaderboard as JSON (one object per line with --watch); same shape as GET /api/leaderboard." };
        var top = new Option<int>("--top") { Description = "Show the N best trials (0 = all).", DefaultValueFactory = _ => 20 };
        var command = new Command("leaderboard", "Show the search's ranked trials, stage progress, workers, border warnings and ensemble.") { master, watch, json, top };
        command.SetAction((r, ct) => CliRunner.GuardAsync(async () =>
        {
            var uri = GrpcAddress.Parse(r.GetValue(master));
            int n = r.GetValue(top);
            if (n < 0) throw new ArgumentException($"--top: must be >= 0 (0 = all), got {n}.");
            LeaderboardRenderer.WidenWhenRedirected();
            using var channel = new RpcChannel(uri);
            var client = new SearchServiceClient(channel);
            var request = new Pb.LeaderboardRequest { Top = n };
            try
            {
                if (!r.GetValue(watch))
                {
                    var board = await client.GetLeaderboardAsync(request, CallOptions.WithTimeout(TimeSpan.FromSeconds(15), cancellationToken: ct));
                    if (r.GetValue(json)) Console.WriteLine(LeaderboardJson.Format(board));
                    else AnsiConsole.Write(LeaderboardRenderer.Render(board, n == 0 ? int.MaxValue : n));
                    return CliRunner.Success;
                }

                return await WatchAsync(client, request, r.GetValue(json), n == 0 ? int.MaxValue : n, ct);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                throw MasterAddress.Unreachable(uri, e);
            }
        }));
        return command;
    }

    private static async Task<int> WatchAsync(SearchServiceClient client, Pb.LeaderboardRequest request, bool json, int maxRows, CancellationToken ct)
    {
        using var call = client.WatchLeaderboard(request, new CallOptions(CancellationToken: ct));
        if (json || Console.IsOutputRedirected)
        {
            await foreach (var board in call.ResponseStream.ReadAllAsync(ct))
            {
                if (json) Console.WriteLine(LeaderboardJson.Format(board));
                else AnsiConsole.Write(LeaderboardRenderer.Render(board, maxRows));
            }

            return CliRunner.Success;
        }

        await AnsiConsole.Live(new Markup("connecting…")).AutoClear(false).StartAsync(async live =>
        {
            await foreach (var board in call.ResponseStream.ReadAllAsync(ct))
            {
                live.UpdateTarget(LeaderboardRenderer.Render(board, maxRows));
                live.Refresh();
            }
        });
        return CliRunner.Success;
    }
}
