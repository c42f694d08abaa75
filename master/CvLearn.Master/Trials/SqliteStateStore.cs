using Microsoft.Data.Sqlite;

namespace CvLearn.Master.Trials;

/// <summary>
/// The master's durable state in one SQLite file (WAL mode): the search config it was started with, and one JSON row
/// per trial and per worker, written in batches by <see cref="Hosting.StatePersister"/>. A restarted master reads it
/// back and carries on; a file written by another config is refused with a message that says what to do.
/// </summary>
public sealed class SqliteStateStore : IAsyncDisposable
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _db;

    private SqliteStateStore(SqliteConnection db, string path)
    {
        _db = db;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens (creating when missing) the state file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a CvLearn master state file, or is from a newer version.</exception>
    public static async Task<SqliteStateStore> OpenAsync(string path, CancellationToken ct)
    {
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            await db.OpenAsync(ct).ConfigureAwait(false);
            await ExecAsync(db, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS trials (id TEXT PRIMARY KEY, row TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, row TEXT NOT NULL);
                """, ct).ConfigureAwait(false);
            var store = new SqliteStateStore(db, full);
            string? version = await store.GetMetaAsync("schema", ct).ConfigureAwait(false);
            if (version is null) await store.SetMetaAsync("schema", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            else if (version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{full}: state schema version {version} is not supported by this master (expects {SchemaVersion}); use a new --state file.");
            return store;
        }
        catch (SqliteException e)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"{full}: not a usable master state file ({e.Message}); give another --state path or delete it to start afresh.", e);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<string?> GetMetaAsync(string key, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    public async Task SetMetaAsync(string key, string value, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Everything saved so far.</summary>
    public async Task<PersistedState> LoadAsync(CancellationToken ct)
    {
        var trials = await ReadTableAsync("trials", ct).ConfigureAwait(false);
        var workers = await ReadTableAsync("workers", ct).ConfigureAwait(false);
        return new PersistedState(trials, workers, await GetMetaAsync("search", ct).ConfigureAwait(false));
    }

    /// <summary>Writes a batch of changes in one transaction.</summary>
    public async Task WriteAsync(StateChanges changes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.IsEmpty) return;
        await using var tx = (SqliteTransaction)await _db.BeginTransactionAsync(ct).ConfigureAwait(false);
        await UpsertAsync(tx, "trials", changes.Trials, ct).ConfigureAwait(false);
        await UpsertAsync(tx, "workers", changes.Workers, ct).ConfigureAwait(false);
        if (changes.Meta is not null) await UpsertAsync(tx, "meta", [new("search", changes.Meta)], ct, keyColumn: "key", valueColumn: "value").ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private async Task<Dictionary<string, string>> ReadTableAsync(string table, CancellationToken ct)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var cmd = _db.CreateCommand();
        cmd.CommandText = $"SELECT id, row FROM {table}";
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) rows[reader.GetString(0)] = reader.GetString(1);
        return rows;
    }

    private async Task UpsertAsync(SqliteTransaction tx, string table, IReadOnlyList<KeyValuePair<string, string>> rows, CancellationToken ct,
        string keyColumn = "id", string valueColumn = "row")
    {
        if (rows.Count == 0) return;
        await using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT INTO {table} ({keyColumn}, {valueColumn}) VALUES ($k, $v) ON CONFLICT({keyColumn}) DO UPDATE SET {valueColumn} = excluded.{valueColumn}";
        var k = cmd.Parameters.Add("$k", SqliteType.Text);
        var v = cmd.Parameters.Add("$v", SqliteType.Text);
        foreach (var (key, value) in rows)
        {
            k.Value = key;
            v.Value = value;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task ExecAsync(SqliteConnection db, string sql, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
