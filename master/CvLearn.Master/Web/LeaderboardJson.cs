using Google.Protobuf;
using Pb = CvLearn.Protos.V1;

namespace CvLearn.Master.Web;

/// <summary>
/// The one JSON shape of the leaderboard — served at GET /api/leaderboard and printed by `leaderboard --json` — is
/// the proto3 JSON mapping of cvlearn.v1.Leaderboard with the .proto field names and defaults included, so the
/// contract documented in search.proto documents the JSON too.
/// </summary>
public static class LeaderboardJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));

    public static string Format(Pb.Leaderboard board) => Formatter.Format(board);
}
