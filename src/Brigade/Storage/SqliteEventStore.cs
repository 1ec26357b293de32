using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Brigade.Storage;

/// <summary>
/// The embedded event log: one SQLite file in WAL mode with <c>synchronous=FULL</c>, owned by one
/// process (a lock file in the data directory keeps a second one out).
/// <para>
/// Group commit: callers enqueue commits; one writer loop drains everything waiting, writes it in
/// one transaction and pays one fsync for the lot, then completes every caller. While it waits on
/// the disk, the next batch gathers, so the batch size grows with the load and durability costs
/// latency, not throughput. Because this process is the only writer, stream heads and the next
/// position live in memory, and optimistic-concurrency checks cost no query.
/// </para>
/// </summary>
public sealed class SqliteEventStore : IEventStore, IReadModelStore
{
    private const int HeadCacheLimit = 500_000;

    private readonly string _path;
    private readonly string _connectionString;
    private readonly GroupCommitQueue _writes = new(nameof(SqliteEventStore));
    private readonly Dictionary<string, long> _heads = new(StringComparer.Ordinal);
    private readonly StoreMetrics _metrics;
    private FileStream? _lock;
    private SqliteConnection? _writer;
    private RawStatement? _insertEvent;
    private RawStatement? _insertDedup;
    private RawStatement? _selectDedup;
    private RawStatement? _selectHead;
    private RawStatement? _upsertSummary;
    private RawStatement? _saveCheckpoint;
    private Task? _writerLoop;
    private long _nextPosition = 1;
    private readonly CommitChain _chain = new();
    private int _disposed;

    static SqliteEventStore() => SQLitePCL.Batteries_V2.Init();

    public SqliteEventStore(string dataDir, StoreMetrics? metrics = null)
    {
        Directory.CreateDirectory(dataDir);
        DataDir = dataDir;
        _path = Path.Combine(dataDir, "brigade.db");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        _metrics = metrics ?? new StoreMetrics();
    }

    public string Name => "sqlite";
    /// <summary>Fault injection for tests: the next batches that carry commits fail as a disk error would (batches of read-model rows alone are not counted).</summary>
    internal int FailNextBatches;
    /// <summary>
    /// Fault injection for tests: the next batches that carry commits are written and durable, but
    /// answered as failed and told to no listener, as when the connection drops during COMMIT.
    /// </summary>
    internal int LoseNextAcknowledgements;
    /// <summary>
    /// Fault injection for tests: the next batches that carry read-model rows are written and
    /// durable, but answered as failed, as when the connection drops during COMMIT.
    /// </summary>
    internal int LoseNextSummaryAcknowledgements;
    public string DataDir { get; }

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        try
        {
            _lock = new FileStream(Path.Combine(DataDir, "brigade.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"The data directory '{DataDir}' is in use by another Brigade process.", e);
        }

        _writer = new SqliteConnection(_connectionString);
        await _writer.OpenAsync(ct);
        Exec(_writer, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA busy_timeout = 5000;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -65536;
            PRAGMA wal_autocheckpoint = 0;
            CREATE TABLE IF NOT EXISTS events (
                position  INTEGER PRIMARY KEY,
                stream_id TEXT    NOT NULL,
                version   INTEGER NOT NULL,
                type      TEXT    NOT NULL,
                data      BLOB    NOT NULL,
                at        INTEGER NOT NULL,
                order_id  TEXT,
                UNIQUE (stream_id, version)
            );
            CREATE INDEX IF NOT EXISTS events_by_order ON events (order_id) WHERE order_id IS NOT NULL;
            CREATE TABLE IF NOT EXISTS dedup_keys (
                scope      TEXT    NOT NULL,
                key        TEXT    NOT NULL,
                value      TEXT    NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (scope, key)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS dedup_keys_by_age ON dedup_keys (created_at);
            CREATE TABLE IF NOT EXISTS order_summaries (
                id          TEXT PRIMARY KEY,
                status      TEXT NOT NULL,
                outlet_id   TEXT,
                customer_id TEXT NOT NULL,
                placed_at   INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL,
                version     INTEGER NOT NULL,
                body        TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS order_summaries_by_customer ON order_summaries (customer_id, placed_at);
            CREATE INDEX IF NOT EXISTS order_summaries_by_outlet ON order_summaries (outlet_id, placed_at);
            CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
            """);

        Durability = CheckDurability(_writer, _path);

        using (var cmd = _writer.CreateCommand())
        {
            cmd.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
            _nextPosition = (long)(await cmd.ExecuteScalarAsync(ct))! + 1;
        }

        var db = _writer.Handle!;
        _insertEvent = new RawStatement(db, "INSERT INTO events (position, stream_id, version, type, data, at, order_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        _insertDedup = new RawStatement(db, "INSERT INTO dedup_keys (scope, key, value, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
        _selectDedup = new RawStatement(db, "SELECT value FROM dedup_keys WHERE scope = ?1 AND key = ?2");
        _selectHead = new RawStatement(db, "SELECT MAX(version) FROM events WHERE stream_id = ?1");
        _upsertSummary = new RawStatement(db, """
            INSERT INTO order_summaries (id, status, outlet_id, customer_id, placed_at, updated_at, version, body)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, outlet_id = excluded.outlet_id,
                updated_at = excluded.updated_at, version = excluded.version, body = excluded.body
            """);
        _saveCheckpoint = new RawStatement(db, "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET position = excluded.position");

        _writerLoop = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public void Subscribe(Action<IReadOnlyList<CommittedEvent>> onCommitted) => _writes.Subscribe(onCommitted);

    public void ResetChain() => _chain.Reset();

    public Task<CommitResult> CommitAsync(Commit commit, CancellationToken ct = default) => _writes.Enqueue(commit);

    /// <summary>The writer thread: gathered batches (see <see cref="GroupCommitQueue.Run"/>), and a WAL checkpoint check every 32 batches.</summary>
    private void WriterLoop()
    {
        var sinceCheckpoint = 0;
        _writes.Run(GatherWindow, WriteBatch, () =>
        {
            if (++sinceCheckpoint < 32) return;
            sinceCheckpoint = 0;
            CheckpointIfLarge();
        });
    }

    /// <summary>
    /// Checkpoint the WAL from the writer itself, between batches, once it passes
    /// <see cref="CheckpointBytes"/>: with no writer racing it, the checkpoint completes and the next
    /// write restarts the WAL from its beginning, so it stays bounded. Callers of the batch just
    /// written have already been answered; the next batch waits for the copy.
    /// </summary>
    private void CheckpointIfLarge()
    {
        var wal = new FileInfo(_path + "-wal");
        if (!wal.Exists || wal.Length < CheckpointBytes) return;
        try
        {
            RawStatement.Exec(_writer!.Handle!, "PRAGMA wal_checkpoint(PASSIVE);");
        }
        catch (SqliteException)
        {
            // A reader holding an old snapshot only delays it; the next round catches up.
        }
    }

    /// <summary>WAL size that triggers a checkpoint by the writer.</summary>
    public long CheckpointBytes { get; init; } = 16L << 20;

    /// <summary>Longest wait for more commits before writing a batch (see <see cref="WriterLoop"/>).</summary>
    public TimeSpan GatherWindow { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Write one batch in one transaction. Each commit is checked first (chain, dedup key, expected
    /// versions), so a refused commit writes nothing while the rest of the batch goes through.
    /// </summary>
    private void WriteBatch(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var positionBefore = _nextPosition;
        var written = new List<(Pending Pending, CommitResult Result)>(batch.Count);
        var committed = new List<CommittedEvent>();
        var overlay = new Dictionary<string, long>(StringComparer.Ordinal);
        var (chainEpoch, chainFailure) = _chain.Read();
        var db = _writer!.Handle!;
        // IMMEDIATE: take the write lock before reading stream heads. A deferred transaction that has
        // read and then writes fails at once (SQLITE_BUSY_SNAPSHOT) if another connection (the
        // projector) committed in between; an immediate one waits its turn instead.
        RawStatement.Exec(db, "BEGIN IMMEDIATE");
        try
        {
            if (FailNextBatches > 0 && batch.Exists(p => p.Commit is not null) && Interlocked.Decrement(ref FailNextBatches) >= 0)
                throw new SqliteException("injected disk failure", raw.SQLITE_IOERR);
            foreach (var p in batch)
            {
                if (p.Commit is not { } commit) continue;
                if (commit.Chained && chainFailure is not null)
                {
                    p.Refuse(new ChainBrokenException(chainFailure));
                    continue;
                }
                Exception? refusal = CheckVersions(commit, overlay);
                refusal ??= InsertDedup(commit.Dedup);
                if (refusal is not null)
                {
                    if (commit.Chained) chainFailure = refusal;
                    p.Refuse(refusal);
                    continue;
                }
                var versions = new long[commit.Events.Count];
                var first = _nextPosition;
                for (var i = 0; i < commit.Events.Count; i++)
                {
                    var e = commit.Events[i];
                    var version = Head(e.StreamId, overlay) + 1;
                    overlay[e.StreamId] = version;
                    versions[i] = version;
                    var position = _nextPosition++;
                    _insertEvent!.Bind(1, position).Bind(2, e.StreamId).Bind(3, version).Bind(4, e.Type).Bind(5, e.Data)
                        .Bind(6, ToMicros(e.At)).Bind(7, e.OrderId).Execute();
                    committed.Add(new CommittedEvent(position, version, e));
                }
                written.Add((p, new CommitResult(first, _nextPosition - 1, versions)));
            }
            // Read-model writes ride in the same transaction and share its fsync: one writer, no lock contention.
            foreach (var p in batch)
            {
                if (p.Summaries is not { } summaries) continue;
                WriteSummaries(summaries);
                written.Add((p, new CommitResult(0, 0, [])));
            }
            RawStatement.Exec(db, "COMMIT");
            if ((LoseNextAcknowledgements > 0 && written.Exists(w => w.Pending.Commit is not null) && Interlocked.Decrement(ref LoseNextAcknowledgements) >= 0)
                || (LoseNextSummaryAcknowledgements > 0 && written.Exists(w => w.Pending.Summaries is not null) && Interlocked.Decrement(ref LoseNextSummaryAcknowledgements) >= 0))
            {
                foreach (var (stream, version) in overlay) _heads[stream] = version;
                positionBefore = _nextPosition; // what is on disk stays counted
                throw new SqliteException("injected loss of the commit's acknowledgement", raw.SQLITE_IOERR);
            }
        }
        catch (Exception e)
        {
            // Nothing of this batch is on disk: every commit in it fails, whether it was reached or not.
            if (raw.sqlite3_get_autocommit(db) == 0) RawStatement.Exec(db, "ROLLBACK");
            _nextPosition = positionBefore;
            foreach (var p in batch)
            {
                if (p.Refusal is not null) continue;
                if (p.Commit is { Chained: true }) chainFailure ??= e;
                p.Refuse(e);
            }
            _chain.Update(chainEpoch, chainFailure);
            GroupCommitQueue.FailRefused(batch);
            return;
        }
        _chain.Update(chainEpoch, chainFailure);
        GroupCommitQueue.FailRefused(batch);

        foreach (var (stream, version) in overlay) _heads[stream] = version;
        if (_heads.Count > HeadCacheLimit) _heads.Clear();
        _writes.Notify(committed);

        var now = Stopwatch.GetTimestamp();
        _metrics.BatchWritten(written.Count(w => w.Pending.Commit is not null), committed.Count, Stopwatch.GetElapsedTime(started, now));
        foreach (var (p, result) in written)
        {
            if (p.Commit is not null) _metrics.CommitDurable(Stopwatch.GetElapsedTime(p.Enqueued, now));
            p.Completion.TrySetResult(result);
        }
    }

    private ConcurrencyException? CheckVersions(Commit commit, Dictionary<string, long> overlay)
    {
        if (commit.ExpectedVersions is not { } expected) return null;
        foreach (var (stream, version) in expected)
        {
            if (version == ExpectedVersion.Any) continue;
            var head = Head(stream, overlay);
            var want = version == ExpectedVersion.NoStream ? 0 : version;
            if (head != want) return new ConcurrencyException(stream, version, head);
        }
        return null;
    }

    private DuplicateKeyException? InsertDedup(DedupKey? dedup)
    {
        if (dedup is null) return null;
        _insertDedup!.Bind(1, dedup.Scope).Bind(2, dedup.Key).Bind(3, dedup.Value).Bind(4, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Execute();
        if (_insertDedup.Changes() == 1) return null;
        _selectDedup!.Bind(1, dedup.Scope).Bind(2, dedup.Key);
        var existing = _selectDedup.Step() ? _selectDedup.Text(0) : "";
        _selectDedup.Reset();
        return new DuplicateKeyException(dedup.Scope, dedup.Key, existing);
    }

    /// <summary>The stream's last version: from this batch, the cache, or (once per stream) an index lookup.</summary>
    private long Head(string stream, Dictionary<string, long> overlay)
    {
        if (overlay.TryGetValue(stream, out var v) || _heads.TryGetValue(stream, out v)) return v;
        _selectHead!.Bind(1, stream);
        v = _selectHead.Step() ? _selectHead.Int64(0) : 0;
        _selectHead.Reset();
        _heads[stream] = v;
        return v;
    }

    // ------------------------------------------------------------------ reads

    public async IAsyncEnumerable<StoredEvent> ReadAllAsync(long afterPosition, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var after = afterPosition;
        while (true)
        {
            var page = new List<StoredEvent>(1024);
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = "SELECT position, stream_id, version, type, data, at, order_id FROM events WHERE position > $p ORDER BY position LIMIT 1024";
                cmd.Parameters.AddWithValue("$p", after);
                using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) page.Add(ReadEvent(r));
            }
            foreach (var e in page) yield return e;
            if (page.Count < 1024) yield break;
            after = page[^1].Position;
        }
    }

    public Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long afterVersion = 0, CancellationToken ct = default) =>
        QueryEvents("SELECT position, stream_id, version, type, data, at, order_id FROM events WHERE stream_id = $a AND version > $b ORDER BY version",
            streamId, afterVersion, ct);

    public Task<IReadOnlyList<StoredEvent>> ReadStreamTailAsync(string streamId, int count, CancellationToken ct = default) =>
        QueryEvents($"""
            SELECT * FROM (
              SELECT position, stream_id, version, type, data, at, order_id FROM events
              WHERE stream_id = $a ORDER BY version DESC LIMIT {Math.Max(count, 0)}
            ) ORDER BY version
            """, streamId, null, ct);

    public Task<IReadOnlyList<StoredEvent>> ReadByOrderAsync(string orderId, CancellationToken ct = default) =>
        QueryEvents("""
            SELECT position, stream_id, version, type, data, at, order_id FROM events
            WHERE stream_id = 'order-' || $a OR order_id = $a ORDER BY position
            """, orderId, null, ct);

    public Task<IReadOnlyList<StoredEvent>> ReadByStreamPrefixAsync(string prefix, DateTimeOffset? since, int limit, CancellationToken ct = default) =>
        QueryEvents($"""
            SELECT * FROM (
              SELECT position, stream_id, version, type, data, at, order_id FROM events
              WHERE stream_id >= $a AND stream_id < $a || x'ff' AND at >= $b ORDER BY position DESC LIMIT {Math.Clamp(limit, 1, 10_000)}
            ) ORDER BY position
            """, prefix, since is { } s ? ToMicros(s) : long.MinValue, ct);

    public Task<IReadOnlyList<StoredEvent>> ReadByStreamPrefixBeforeAsync(string prefix, long beforePosition, int limit, CancellationToken ct = default) =>
        QueryEvents($"""
            SELECT * FROM (
              SELECT position, stream_id, version, type, data, at, order_id FROM events
              WHERE stream_id >= $a AND stream_id < $a || x'ff' AND position < $b ORDER BY position DESC LIMIT {Math.Clamp(limit, 1, 10_000)}
            ) ORDER BY position
            """, prefix, beforePosition, ct);

    public async IAsyncEnumerable<StoredEvent> ReadStreamsByPrefixAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        // Keyset pages in the (stream_id, version) index: each page starts where the last one ended,
        // so reading them all costs one pass however many there are.
        var (stream, version) = (prefix, 0L);
        while (true)
        {
            var page = new List<StoredEvent>(1024);
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = """
                    SELECT position, stream_id, version, type, data, at, order_id FROM events
                    WHERE (stream_id, version) > ($s, $v) AND stream_id < $p || x'ff' ORDER BY stream_id, version LIMIT 1024
                    """;
                cmd.Parameters.AddWithValue("$s", stream);
                cmd.Parameters.AddWithValue("$v", version);
                cmd.Parameters.AddWithValue("$p", prefix);
                using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) page.Add(ReadEvent(r));
            }
            foreach (var e in page) yield return e;
            if (page.Count < 1024) yield break;
            (stream, version) = (page[^1].StreamId, page[^1].Version);
        }
    }

    private async Task<IReadOnlyList<StoredEvent>> QueryEvents(string sql, object a, object? b, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$a", a);
        if (b is not null) cmd.Parameters.AddWithValue("$b", b);
        var result = new List<StoredEvent>();
        using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add(ReadEvent(r));
        return result;
    }

    public async Task<string?> FindDedupAsync(string scope, string key, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT value FROM dedup_keys WHERE scope = $s AND key = $k";
        cmd.Parameters.AddWithValue("$s", scope);
        cmd.Parameters.AddWithValue("$k", key);
        return (string?)await cmd.ExecuteScalarAsync(ct);
    }

    public async Task<IReadOnlyList<(string Key, string Value, DateTimeOffset CreatedAt)>> LoadDedupAsync(string scope, DateTimeOffset since, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT key, value, created_at FROM dedup_keys WHERE scope = $s AND created_at >= $t";
        cmd.Parameters.AddWithValue("$s", scope);
        cmd.Parameters.AddWithValue("$t", since.ToUnixTimeMilliseconds());
        var result = new List<(string, string, DateTimeOffset)>();
        using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add((r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        return result;
    }

    public async Task<int> PurgeDedupAsync(DateTimeOffset before, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "DELETE FROM dedup_keys WHERE created_at < $t";
        cmd.Parameters.AddWithValue("$t", before.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<long> LastPositionAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var conn = await OpenAsync(ct);
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT 1";
            return (long)(await cmd.ExecuteScalarAsync(ct))! == 1 && _writerLoop is { IsCompleted: false };
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    // ------------------------------------------------------------------ read models

    public async Task<long> GetCheckpointAsync(string name, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT position FROM checkpoints WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        return await cmd.ExecuteScalarAsync(ct) is long p ? p : 0;
    }

    /// <summary>Upsert rows and move the checkpoint. Applied by the writer, in the next batch's transaction.</summary>
    public Task SaveSummariesAsync(IReadOnlyCollection<SummaryRow> rows, string checkpointName, long checkpoint, CancellationToken ct = default) =>
        _writes.Enqueue(new SummaryWrite(rows, checkpointName, checkpoint));

    private void WriteSummaries(SummaryWrite write)
    {
        foreach (var row in write.Rows)
        {
            _upsertSummary!.Bind(1, row.Id).Bind(2, row.Status).Bind(3, row.OutletId).Bind(4, row.CustomerId)
                .Bind(5, ToMicros(row.PlacedAt)).Bind(6, ToMicros(row.UpdatedAt)).Bind(7, row.Version).BindText(8, row.Body).Execute();
        }
        _saveCheckpoint!.Bind(1, write.CheckpointName).Bind(2, write.Checkpoint).Execute();
    }

    public async Task<SummaryRow?> GetSummaryAsync(string id, CancellationToken ct = default)
    {
        var rows = await QuerySummaries("SELECT id, status, outlet_id, customer_id, placed_at, updated_at, version, body FROM order_summaries WHERE id = $a", id, null, 1, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<SummaryRow>> ListSummariesAsync(string? customerId, string? outletId, int limit, CancellationToken ct = default)
    {
        var where = customerId is not null ? "WHERE customer_id = $a" : outletId is not null ? "WHERE outlet_id = $a" : "";
        return QuerySummaries($"SELECT id, status, outlet_id, customer_id, placed_at, updated_at, version, body FROM order_summaries {where} ORDER BY placed_at DESC LIMIT $b",
            customerId ?? outletId, Math.Clamp(limit, 1, 1000), limit, ct);
    }

    public async Task ResetReadModelAsync(string checkpointName, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        // One transaction: rows dropped under a checkpoint that stayed (a crash or an error between the
        // two) would have the projector resume after orders it no longer has rows for.
        using var tx = conn.BeginTransaction(deferred: false);
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM order_summaries";
        await cmd.ExecuteNonQueryAsync(ct);
        cmd.CommandText = "DELETE FROM checkpoints WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", checkpointName);
        await cmd.ExecuteNonQueryAsync(ct);
        tx.Commit();
    }

    private async Task<IReadOnlyList<SummaryRow>> QuerySummaries(string sql, object? a, object? b, int _, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        if (a is not null) cmd.Parameters.AddWithValue("$a", a);
        if (b is not null) cmd.Parameters.AddWithValue("$b", b);
        var result = new List<SummaryRow>();
        using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            result.Add(new SummaryRow(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                FromMicros(r.GetInt64(4)), FromMicros(r.GetInt64(5)), r.GetInt64(6), r.GetFieldValue<byte[]>(7)));
        }
        return result;
    }

    // ------------------------------------------------------------------ plumbing

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(ct);
        Exec(conn, "PRAGMA busy_timeout = 5000;");
        return conn;
    }

    private static StoredEvent ReadEvent(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), (byte[])r.GetValue(4), FromMicros(r.GetInt64(5)), r.IsDBNull(6) ? null : r.GetString(6));

    private static long ToMicros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset FromMicros(long us) => new(DateTimeOffset.UnixEpoch.UtcTicks + us * 10, TimeSpan.Zero);

    /// <summary>The writer connection's journal mode and sync level, as SQLite reports them back (for example <c>wal, full</c>).</summary>
    public string Durability { get; private set; } = "closed";

    /// <summary>
    /// Read back what the writer's connection runs with. SQLite does not fail a request for WAL it
    /// cannot honour (a file system without shared memory, say): it stays in its old journal mode.
    /// Acknowledging orders on such a log would break the promise that a 201 is on disk the way
    /// the recovery expects, so the store refuses to open instead.
    /// </summary>
    private static string CheckDurability(SqliteConnection writer, string path)
    {
        using var cmd = writer.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        var journal = Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)?.ToLowerInvariant();
        cmd.CommandText = "PRAGMA synchronous";
        var level = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        var synchronous = level switch { 0 => "off", 1 => "normal", 2 => "full", 3 => "extra", _ => level.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (journal != "wal" || level < 2)
            throw new InvalidOperationException($"The event log at '{path}' runs with journal_mode={journal} and synchronous={synchronous}; it needs WAL and synchronous=FULL (is the data directory on a file system that supports WAL?).");
        return $"{journal}, {synchronous}";
    }

    private static void Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }


    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _writes.Complete();
        if (_writerLoop is not null) await _writerLoop;
        _insertEvent?.Dispose();
        _insertDedup?.Dispose();
        _selectDedup?.Dispose();
        _selectHead?.Dispose();
        _upsertSummary?.Dispose();
        _saveCheckpoint?.Dispose();
        if (_writer is not null)
        {
            Exec(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
            await _writer.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        if (_lock is not null) await _lock.DisposeAsync();
    }



}
