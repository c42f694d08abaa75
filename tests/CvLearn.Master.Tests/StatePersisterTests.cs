using CvLearn.Master.Hosting;
using CvLearn.Master.Trials;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvLearn.Master.Tests;

/// <summary>What the master acknowledged is on disk: WhenPersistedAsync completes only once the rows are written.</summary>
public sealed class StatePersisterTests
{
    [Fact]
    public async Task AnAcknowledgedEpoch_IsInTheStateFile_WhenWhenPersistedCompletes()
    {
        string dir = Directory.CreateTempSubdirectory("cvlearn-persist-").FullName;
        try
        {
            string path = Path.Combine(dir, "state.db");
            var c = Drive.New();
            await using var store = await SqliteStateStore.OpenAsync(path, CancellationToken.None);
            var persister = new StatePersister(c, store, NullLogger<StatePersister>.Instance);
            await persister.StartAsync(CancellationToken.None);
            try
            {
                string w = c.Join(new WorkerHello("w", 1, 1, "", "")).WorkerId;
                var a = Assert.IsType<AcquireOutcome.Assigned>(c.Acquire(w)).Assignment;
                c.ReportEpoch(w, a.TrialId, a.Attempt, Drive.Epoch(1, 0.6), Drive.Key(a, 1, 0.6));
                await persister.WhenPersistedAsync(c.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

                // Read the file as a restarted master would, through a second connection.
                await using var reader = await SqliteStateStore.OpenAsync(path, CancellationToken.None);
                var restored = Drive.New();
                restored.Restore(await reader.LoadAsync(CancellationToken.None));
                var t = restored.Snapshot().Trials.Single(x => x.Id == a.TrialId);
                Assert.Equal(Scheduling.TrialStatus.Running, t.Status);
                Assert.Equal(a.Attempt, t.Attempt);
                Assert.Single(t.History);
                Assert.Equal(Drive.Key(a, 1, 0.6), t.BestCheckpointKey);
            }
            finally
            {
                await persister.StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
