using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Brigade.Orders;
using Npgsql;
using NpgsqlTypes;

namespace Brigade.Storage.Postgres;

/// <summary>
/// The event log on PostgreSQL, shared by any number of processes. Same contract as
/// <see cref="SqliteEventStore"/>: callers enqueue commits, one writer thread per process writes
/// everything waiting in one transaction (one WAL flush) and completes the callers after COMMIT.
/// <para>
/// Across processes, appends are serialized by a row lock on the single-row <c>log_head</c> table,
/// taken first in every batch transaction and held until COMMIT. Positions are assigned from it, so
/// they are gap-free and in commit order: a reader that follows <c>position &gt; checkpoint</c> never
/// sees a position before every lower one is committed.
/// </para>
/// <para>
/// Stream heads are cached; the cache is exact while <c>log_head</c> still holds the position this
/// process wrote last, and a batch is then one round trip (see <see cref="WriteBatch"/>). Otherwise
/// the writer reads, under the lock, the stream heads, dedup keys and placed-order idempotency keys
/// it needs, so a commit that conflicts with another process's write fails alone
/// (<see cref="ConcurrencyException"/>, <see cref="DuplicateKeyException"/>) while the rest of the batch
/// goes through. The unique indexes on (stream, version) and on a placed order's (customer,
/// idempotency key) back this up.
/// </para>
/// </summary>
public sealed class PostgresEventStore : IEventStore, IReadModelStore
{
    private const int HeadCacheLimit = 500_000;
    private const int ReadPage = 1024;

    private const string LockHeadSql = "SELECT position FROM log_head WHERE id FOR UPDATE";
    private const string HeadsSql = """
        SELECT s.id, COALESCE((SELECT e.version FROM events e WHERE e.stream_id = s.id ORDER BY e.version DESC LIMIT 1), 0)
        FROM unnest($1::text[]) AS s(id)
        """;
    private const string DedupLookupSql = """
        SELECT d.scope, d.key, d.value FROM unnest($1::text[], $2::text[]) AS k(scope, key)
        JOIN dedup_keys d ON d.scope = k.scope AND d.key = k.key
        """;
    private const string IdempotencyLookupSql = """
        SELECT k.customer, k.key, e.id FROM unnest($1::text[], $2::text[]) AS k(customer, key)
        JOIN LATERAL (
            SELECT COALESCE(order_id, stream_id) AS id FROM events
            WHERE type = 'OrderPlaced' AND data ->> 'customerId' = k.customer AND data ->> 'idempotencyKey' = k.key
            LIMIT 1) e ON true
        """;
    private const string InsertEventsSql = """
        INSERT INTO events (position, stream_id, version, type, data, at, order_id)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::jsonb[], $6::timestamptz[], $7::text[])
        """;
    private const string InsertDedupSql = """
        INSERT INTO dedup_keys (scope, key, value, created_at)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
        """;
    private const string UpdateHeadSql = "UPDATE log_head SET position = $1 WHERE id";
    private const string AdvanceHeadSql = "SELECT brigade_advance_head($1, $2)";
    private const string UpsertSummariesSql = """
        INSERT INTO order_summaries (id, status, outlet_id, customer_id, placed_at, updated_at, version, body)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::text[])
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, outlet_id = excluded.outlet_id,
            updated_at = excluded.updated_at, version = excluded.version, body = excluded.body
        """;
    private const string SaveCheckpointsSql = """
        INSERT INTO checkpoints (name, position) SELECT * FROM unnest($1::text[], $2::bigint[])
        ON CONFLICT (name) DO UPDATE SET position = excluded.position
        """;
    private const string EventColumns = "position, stream_id, version, type, data::text, at, order_id";

    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommitQueue _writes = new(nameof(PostgresEventStore));
    private readonly Dictionary<string, long> _heads = new(StringComparer.Ordinal);
    private readonly StoreMetrics _metrics;
    private NpgsqlConnection? _writer;
    private Task? _writerLoop;
    // The log head this process wrote last; while log_head still holds it, no one else appended and the head cache is exact.
    private long _lastWritten = -1;
    private readonly CommitChain _chain = new();
    private int _disposed;

    public PostgresEventStore(string connectionString, StoreMetrics? metrics = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // The writer's statements are the same few texts every batch: let Npgsql prepare them once per connection.
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 32;
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "brigade";
        Database = builder.Database ?? builder.Username ?? "postgres";
        ConnectionString = builder.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
        _metrics = metrics ?? new StoreMetrics();
    }

    public string Name => "postgres";
    public string Database { get; }
    internal string ConnectionString { get; }

    /// <summary>Fault injection for tests: the next batches that carry commits fail as a lost connection would (batches of read-model rows alone are not counted).</summary>
    internal int FailNextBatches;

    /// <summary>Longest wait for more commits before writing a batch (see <see cref="SqliteEventStore.GatherWindow"/>).</summary>
    public TimeSpan GatherWindow { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The process id of the writer's server backend (tests use it to cut the connection).</summary>
    internal int WriterBackendPid => _writer?.ProcessID ?? 0;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using (var conn = await _dataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            // Two processes starting at once must not race on CREATE ... IF NOT EXISTS.
            await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn, tx))
            {
                lockCmd.Parameters.Add(new NpgsqlParameter { Value = PostgresSchema.MigrationLockKey });
                await lockCmd.ExecuteNonQueryAsync(ct);
            }
            await using (var create = new NpgsqlCommand(PostgresSchema.Create, conn, tx)) await create.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }
        _writer = await _dataSource.OpenConnectionAsync(ct);
        _writerLoop = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public void Subscribe(Action<IReadOnlyList<CommittedEvent>> onCommitted) => _writes.Subscribe(onCommitted);

    public void ResetChain() => _chain.Reset();

    public Task<CommitResult> CommitAsync(Commit commit, CancellationToken ct = default) => _writes.Enqueue(commit);

    /// <summary>The writer thread: gathered batches, exactly as the SQLite writer does (see <see cref="GroupCommitQueue.Run"/>).</summary>
    private void WriterLoop() => _writes.Run(GatherWindow, WriteBatch);

    /// <summary>
    /// Write one batch in one transaction. A commit that is refused (its expected version, a used
    /// dedup or idempotency key, a broken chain) writes nothing while the rest of the batch goes
    /// through; if the transaction fails, every commit in it fails.
    /// <para>
    /// Fast path, one round trip: while no other process has appended since this one last wrote,
    /// the cached stream heads are exact, so the batch is checked here and sent as BEGIN, "advance
    /// the log head from the position we wrote last" (which takes the head's row lock and fails if
    /// the head moved), the inserts, and COMMIT. A moved head or a unique-index violation (a stream
    /// not in the cache that exists after all, a used key) rolls it back, and the batch takes the
    /// slow path: lock the head and read what the checks need, then write and commit.
    /// </para>
    /// </summary>
    private void WriteBatch(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var (chainEpoch, chainFailure) = _chain.Read();
        var commits = new List<Pending>(batch.Count);
        foreach (var p in batch)
        {
            if (p.Commit is not { } commit) continue;
            if (commit.Chained && chainFailure is not null) p.Refuse(new ChainBrokenException(chainFailure));
            else commits.Add(p);
        }
        var summaries = batch.Where(p => p.Summaries is not null).ToList();

        Plan plan;
        try
        {
            var conn = Connection();
            if (FailNextBatches > 0 && commits.Count > 0 && Interlocked.Decrement(ref FailNextBatches) >= 0)
                throw new NpgsqlException("injected connection failure");
            plan = TryFastPath(conn, commits, summaries, chainFailure) ?? SlowPath(conn, commits, summaries, chainFailure);
        }
        catch (Exception e)
        {
            // Nothing of this batch is durable (or, if COMMIT itself was cut off, we cannot know: the
            // caller is told it failed and the head cache is rebuilt from the log).
            Rollback();
            _heads.Clear();
            _lastWritten = -1;
            var error = Translate(e);
            foreach (var p in batch)
            {
                if (p.Refusal is not null) continue;
                if (p.Commit is { Chained: true }) chainFailure ??= error;
                p.Refuse(error);
            }
            _chain.Update(chainEpoch, chainFailure);
            GroupCommitQueue.FailRefused(batch);
            return;
        }
        foreach (var (p, error) in plan.Refused) p.Refuse(error);
        _chain.Update(chainEpoch, plan.ChainFailure);
        GroupCommitQueue.FailRefused(batch);
        _lastWritten = plan.Last;

        foreach (var (stream, version) in plan.Overlay) _heads[stream] = version;
        if (_heads.Count > HeadCacheLimit) _heads.Clear();
        _writes.Notify(plan.Committed);

        var now = Stopwatch.GetTimestamp();
        _metrics.BatchWritten(plan.Written.Count, plan.Committed.Count, Stopwatch.GetElapsedTime(started, now));
        foreach (var (p, result) in plan.Written)
        {
            _metrics.CommitDurable(Stopwatch.GetElapsedTime(p.Enqueued, now));
            p.Completion.TrySetResult(result);
        }
        foreach (var p in summaries) p.Completion.TrySetResult(new CommitResult(0, 0, []));
    }

    /// <summary>
    /// The one-round-trip write, when the cache can be trusted: nothing refused, no stream whose
    /// head is needed and unknown. Null when the batch must take the slow path.
    /// </summary>
    private Plan? TryFastPath(NpgsqlConnection conn, List<Pending> commits, List<Pending> summaries, Exception? chainFailure)
    {
        if (_lastWritten < 0 && commits.Count > 0) return null;
        foreach (var p in commits)
        {
            // An exact expected version of a stream not in the cache needs its real head: assuming 0 could leave a gap.
            if (p.Commit!.ExpectedVersions is { } expected)
                foreach (var (stream, version) in expected)
                    if (version > 0 && !_heads.ContainsKey(stream)) return null;
        }
        // Streams not in the cache are taken to be new; if one exists, its version 1 does too and the insert fails.
        var plan = MakePlan(commits, _lastWritten < 0 ? 0 : _lastWritten, chainFailure, new Dictionary<(string, string), string>(), new Dictionary<(string, string), string>());
        if (plan.Refused.Count > 0) return null; // a refusal must be checked against the database's heads, not the cache
        if (commits.Count == 0) plan.Last = _lastWritten; // read-model writes only: the head is untouched

        using var write = new NpgsqlBatch(conn);
        write.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        if (plan.Rows.Count > 0)
            write.BatchCommands.Add(Command(AdvanceHeadSql, Param(plan.Head, NpgsqlDbType.Bigint), Param(plan.Last, NpgsqlDbType.Bigint)));
        AddWrites(write, plan, summaries);
        write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            write.ExecuteNonQuery();
            return plan;
        }
        catch (PostgresException e) when (e.SqlState is PostgresSchema.HeadMovedState or PostgresErrorCodes.UniqueViolation)
        {
            Rollback();
            if (_writer is null) throw;
            // Another process appended (the cached heads may be stale), or a stream or key was taken.
            if (e.SqlState == PostgresSchema.HeadMovedState) _heads.Clear();
            return null;
        }
    }

    /// <summary>
    /// Two round trips: BEGIN, lock the log head and read (with snapshots taken after the lock) the
    /// heads, dedup keys and idempotency keys the batch needs; then write and COMMIT.
    /// </summary>
    private Plan SlowPath(NpgsqlConnection conn, List<Pending> commits, List<Pending> summaries, Exception? chainFailure)
    {
        var lookups = commits.Count > 0 ? Lookup(conn, commits) : null;
        if (lookups is null)
        {
            using var begin = new NpgsqlCommand("BEGIN", conn);
            begin.ExecuteNonQuery();
        }
        var plan = MakePlan(commits, lookups?.Head ?? 0, chainFailure, lookups?.Dedup ?? [], lookups?.OrderKeys ?? []);
        if (lookups is null) plan.Last = _lastWritten; // no commits: the head is untouched
        using var write = new NpgsqlBatch(conn);
        if (plan.Rows.Count > 0) write.BatchCommands.Add(Command(UpdateHeadSql, Param(plan.Last, NpgsqlDbType.Bigint)));
        AddWrites(write, plan, summaries);
        write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        write.ExecuteNonQuery();
        return plan;
    }

    /// <summary>What a batch writes, and whom it refuses, given the heads it was checked against.</summary>
    private sealed class Plan(int events)
    {
        public List<(Pending Pending, CommitResult Result)> Written { get; } = [];
        public List<(Pending Pending, Exception Error)> Refused { get; } = [];
        public List<CommittedEvent> Committed { get; } = [];
        public Dictionary<string, long> Overlay { get; } = new(StringComparer.Ordinal);
        public List<DedupKey> Dedup { get; } = [];
        public EventRows Rows { get; } = new(events);
        public long Head { get; init; }
        public long Last { get; set; }
        public Exception? ChainFailure { get; set; }
    }

    /// <summary>Check each commit in order against the heads (cache plus this batch) and the used keys; assign positions and versions.</summary>
    private Plan MakePlan(List<Pending> commits, long head, Exception? chainFailure,
        Dictionary<(string, string), string> usedDedup, Dictionary<(string, string), string> usedOrderKeys)
    {
        var plan = new Plan(commits.Sum(p => p.Commit!.Events.Count)) { Head = head, Last = head, ChainFailure = chainFailure };
        var position = head;
        foreach (var p in commits)
        {
            var commit = p.Commit!;
            if (commit.Chained && plan.ChainFailure is not null)
            {
                plan.Refused.Add((p, new ChainBrokenException(plan.ChainFailure)));
                continue;
            }
            Exception? refusal = CheckStorable(commit);
            refusal ??= CheckVersions(commit, plan.Overlay);
            refusal ??= CheckDedup(commit.Dedup, usedDedup);
            refusal ??= CheckIdempotency(commit, usedOrderKeys);
            if (refusal is not null)
            {
                if (commit.Chained) plan.ChainFailure = refusal;
                plan.Refused.Add((p, refusal));
                continue;
            }
            if (commit.Dedup is { } dedup)
            {
                usedDedup[(dedup.Scope, dedup.Key)] = dedup.Value;
                plan.Dedup.Add(dedup);
            }
            foreach (var (customer, key, orderId) in OrderKeys(commit)) usedOrderKeys[(customer, key)] = orderId;
            var versions = new long[commit.Events.Count];
            var first = position + 1;
            for (var i = 0; i < commit.Events.Count; i++)
            {
                var e = commit.Events[i];
                var version = plan.Overlay[e.StreamId] = plan.Overlay.GetValueOrDefault(e.StreamId, _heads.GetValueOrDefault(e.StreamId)) + 1;
                versions[i] = version;
                plan.Rows.Add(++position, e, version);
                plan.Committed.Add(new CommittedEvent(position, version, e));
            }
            plan.Written.Add((p, new CommitResult(first, position, versions)));
        }
        plan.Last = position;
        return plan;
    }

    private static void AddWrites(NpgsqlBatch write, Plan plan, List<Pending> summaries)
    {
        if (plan.Rows.Count > 0) write.BatchCommands.Add(plan.Rows.ToCommand());
        if (plan.Dedup.Count > 0) write.BatchCommands.Add(DedupCommand(plan.Dedup));
        if (summaries.Count > 0) AddSummaryCommands(write, summaries);
    }

    private NpgsqlConnection Connection()
    {
        if (_writer is { State: System.Data.ConnectionState.Open }) return _writer;
        _writer?.Dispose();
        _writer = null;
        _writer = _dataSource.OpenConnection();
        return _writer;
    }

    /// <summary>End whatever transaction is open; if the connection is gone, open a new one for the next batch.</summary>
    private void Rollback()
    {
        try
        {
            if (_writer is { State: System.Data.ConnectionState.Open })
            {
                using var rollback = new NpgsqlCommand("ROLLBACK", _writer);
                rollback.ExecuteNonQuery();
                return;
            }
        }
        catch (Exception)
        {
            // Fall through: drop the connection.
        }
        _writer?.Dispose();
        _writer = null;
    }

    /// <summary>A unique-index violation that slipped past the checks is still a conflict, not a crash.</summary>
    private static Exception Translate(Exception e) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: PostgresSchema.IdempotencyIndex } p =>
            new DuplicateKeyException(IdempotencyGate.Scope, p.Detail ?? "(customer, idempotency key)", ""),
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "events_stream_version" } p =>
            new ConcurrencyException(p.Detail ?? "(stream)", -1, -1),
        _ => e,
    };

    private sealed record Lookups(long Head, Dictionary<(string, string), string> Dedup, Dictionary<(string, string), string> OrderKeys);

    /// <summary>
    /// One round trip: BEGIN, take the log-head lock (waiting for any other process's batch to
    /// commit), then read, with snapshots taken after the lock, the heads of streams not cached, the
    /// dedup keys and the idempotency keys of placed orders this batch uses. If another process
    /// appended since this one last wrote, the heads of the other streams are read too.
    /// </summary>
    private Lookups Lookup(NpgsqlConnection conn, List<Pending> commits)
    {
        var uncached = new HashSet<string>(StringComparer.Ordinal);
        var allStreams = new HashSet<string>(StringComparer.Ordinal);
        var dedupScopes = new List<string>();
        var dedupKeys = new List<string>();
        var customers = new List<string>();
        var orderKeys = new List<string>();
        foreach (var p in commits)
        {
            var commit = p.Commit!;
            if (CheckStorable(commit) is not null) continue; // refused by the plan; its texts cannot even be sent
            foreach (var e in commit.Events)
            {
                allStreams.Add(e.StreamId);
                if (!_heads.ContainsKey(e.StreamId)) uncached.Add(e.StreamId);
            }
            if (commit.ExpectedVersions is { } expected)
                foreach (var stream in expected.Keys)
                {
                    allStreams.Add(stream);
                    if (!_heads.ContainsKey(stream)) uncached.Add(stream);
                }
            if (commit.Dedup is { } d)
            {
                dedupScopes.Add(d.Scope);
                dedupKeys.Add(d.Key);
            }
            foreach (var (customer, key, _) in OrderKeys(commit))
            {
                customers.Add(customer);
                orderKeys.Add(key);
            }
        }

        long head;
        var dedup = new Dictionary<(string, string), string>();
        var placed = new Dictionary<(string, string), string>();
        using (var lookup = new NpgsqlBatch(conn))
        {
            lookup.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            lookup.BatchCommands.Add(Command(LockHeadSql));
            lookup.BatchCommands.Add(Command(HeadsSql, Param(uncached.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)));
            lookup.BatchCommands.Add(Command(DedupLookupSql, Param(dedupScopes.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Param(dedupKeys.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)));
            lookup.BatchCommands.Add(Command(IdempotencyLookupSql, Param(customers.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Param(orderKeys.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)));
            using var r = lookup.ExecuteReader();
            if (!r.Read()) throw new InvalidOperationException("The log_head row is missing.");
            head = r.GetInt64(0);
            r.NextResult();
            var fetched = new Dictionary<string, long>(StringComparer.Ordinal);
            while (r.Read()) fetched[r.GetString(0)] = r.GetInt64(1);
            r.NextResult();
            while (r.Read()) dedup[(r.GetString(0), r.GetString(1))] = r.GetString(2);
            r.NextResult();
            while (r.Read()) placed[(r.GetString(0), r.GetString(1))] = r.GetString(2);

            // Another process appended since our last batch: the cached heads may be stale.
            if (head != _lastWritten) _heads.Clear();
            foreach (var (stream, version) in fetched) _heads[stream] = version;
        }

        var stale = allStreams.Where(s => !_heads.ContainsKey(s)).ToArray();
        if (stale.Length > 0)
        {
            using var heads = new NpgsqlCommand(HeadsSql, conn);
            heads.Parameters.Add(Param(stale, NpgsqlDbType.Array | NpgsqlDbType.Text));
            using var r = heads.ExecuteReader();
            while (r.Read()) _heads[r.GetString(0)] = r.GetInt64(1);
        }
        return new Lookups(head, dedup, placed);
    }

    private ConcurrencyException? CheckVersions(Commit commit, Dictionary<string, long> overlay)
    {
        if (commit.ExpectedVersions is not { } expected) return null;
        foreach (var (stream, version) in expected)
        {
            if (version == ExpectedVersion.Any) continue;
            var head = overlay.TryGetValue(stream, out var v) ? v : _heads.GetValueOrDefault(stream);
            var want = version == ExpectedVersion.NoStream ? 0 : version;
            if (head != want) return new ConcurrencyException(stream, version, head);
        }
        return null;
    }

    /// <summary>
    /// PostgreSQL's text and jsonb cannot hold U+0000 (SQLite can). Such a commit is refused before
    /// the batch is sent, so it fails alone instead of failing every commit written with it.
    /// </summary>
    private static ArgumentException? CheckStorable(Commit commit)
    {
        foreach (var e in commit.Events)
        {
            if (e.StreamId.Contains('\0', StringComparison.Ordinal) || e.Type.Contains('\0', StringComparison.Ordinal)
                || (e.OrderId?.Contains('\0', StringComparison.Ordinal) ?? false) || HoldsNul(e.Data))
                return new ArgumentException($"PostgreSQL cannot store the character U+0000, which event {e.Type} of stream {e.StreamId.Replace('\0', '?')} holds.");
        }
        if (commit.Dedup is { } d && (d.Scope + d.Key + d.Value).Contains('\0', StringComparison.Ordinal))
            return new ArgumentException($"PostgreSQL cannot store the character U+0000, which a key in '{d.Scope.Replace('\0', '?')}' holds.");
        return null;
    }

    /// <summary>A NUL byte, or the JSON escape \u0000 (not itself escaped as \\u0000), in UTF-8 JSON.</summary>
    private static bool HoldsNul(ReadOnlySpan<byte> json)
    {
        if (json.Contains((byte)0)) return true;
        var offset = 0;
        while (true)
        {
            var at = json[offset..].IndexOf("\\u0000"u8);
            if (at < 0) return false;
            at += offset;
            var backslashes = 1;
            while (at - backslashes >= 0 && json[at - backslashes] == (byte)'\\') backslashes++;
            if (backslashes % 2 == 1) return true;
            offset = at + 1;
        }
    }

    private static DuplicateKeyException? CheckDedup(DedupKey? dedup, Dictionary<(string, string), string> existing) =>
        dedup is not null && existing.TryGetValue((dedup.Scope, dedup.Key), out var value) ? new DuplicateKeyException(dedup.Scope, dedup.Key, value) : null;

    private static DuplicateKeyException? CheckIdempotency(Commit commit, Dictionary<(string, string), string> placed)
    {
        foreach (var (customer, key, _) in OrderKeys(commit))
        {
            if (placed.TryGetValue((customer, key), out var orderId))
                return new DuplicateKeyException(IdempotencyGate.Scope, IdempotencyGate.ScopedKey(customer, key), orderId);
        }
        return null;
    }

    /// <summary>The (customer, idempotency key, order) of every <c>OrderPlaced</c> in a commit: what the unique index covers.</summary>
    private static IEnumerable<(string Customer, string Key, string OrderId)> OrderKeys(Commit commit)
    {
        foreach (var e in commit.Events)
        {
            if (e.Type != nameof(OrderPlaced)) continue;
            if (e.Source is OrderPlaced placed)
            {
                yield return (placed.CustomerId, placed.IdempotencyKey, e.OrderId ?? e.StreamId);
                continue;
            }
            // Written without its in-memory event: read the two fields the index reads.
            using var doc = JsonDocument.Parse(e.Data);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("customerId", out var c) && c.ValueKind == JsonValueKind.String
                && doc.RootElement.TryGetProperty("idempotencyKey", out var k) && k.ValueKind == JsonValueKind.String)
                yield return (c.GetString()!, k.GetString()!, e.OrderId ?? e.StreamId);
        }
    }

    /// <summary>The accepted events of a batch as column arrays, for one multi-row INSERT ... SELECT FROM unnest.</summary>
    private sealed class EventRows(int capacity)
    {
        private readonly List<long> _positions = new(capacity);
        private readonly List<string> _streams = new(capacity);
        private readonly List<long> _versions = new(capacity);
        private readonly List<string> _types = new(capacity);
        private readonly List<string> _data = new(capacity);
        private readonly List<DateTime> _at = new(capacity);
        private readonly List<string?> _orders = new(capacity);

        public int Count => _positions.Count;

        public void Add(long position, EventToWrite e, long version)
        {
            _positions.Add(position);
            _streams.Add(e.StreamId);
            _versions.Add(version);
            _types.Add(e.Type);
            _data.Add(Encoding.UTF8.GetString(e.Data));
            _at.Add(e.At.UtcDateTime);
            _orders.Add(e.OrderId);
        }

        public NpgsqlBatchCommand ToCommand() => Command(InsertEventsSql,
            Param(_positions.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint),
            Param(_streams.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Param(_versions.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint),
            Param(_types.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Param(_data.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Jsonb),
            Param(_at.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz),
            Param(_orders.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text));
    }

    private static NpgsqlBatchCommand DedupCommand(List<DedupKey> keys)
    {
        var now = DateTime.UtcNow;
        return Command(InsertDedupSql,
            Param(keys.Select(k => k.Scope).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Param(keys.Select(k => k.Key).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Param(keys.Select(k => k.Value).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Param(keys.Select(_ => now).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz));
    }

    /// <summary>Read-model rows of every summary write in the batch, the latest per order and per checkpoint.</summary>
    private static void AddSummaryCommands(NpgsqlBatch write, List<Pending> summaries)
    {
        var rows = new Dictionary<string, SummaryRow>(StringComparer.Ordinal);
        var checkpoints = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in summaries)
        {
            foreach (var row in p.Summaries!.Rows) rows[row.Id] = row;
            checkpoints[p.Summaries.CheckpointName] = p.Summaries.Checkpoint;
        }
        if (rows.Count > 0)
        {
            var r = rows.Values.ToArray();
            write.BatchCommands.Add(Command(UpsertSummariesSql,
                Param(r.Select(x => x.Id).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Param(r.Select(x => x.Status).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Param(r.Select(x => x.OutletId).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Param(r.Select(x => x.CustomerId).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Param(r.Select(x => x.PlacedAt.UtcDateTime).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz),
                Param(r.Select(x => x.UpdatedAt.UtcDateTime).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz),
                Param(r.Select(x => x.Version).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint),
                Param(r.Select(x => System.Text.Encoding.UTF8.GetString(x.Body)).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)));
        }
        write.BatchCommands.Add(Command(SaveCheckpointsSql,
            Param(checkpoints.Keys.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Param(checkpoints.Values.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint)));
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(p);
        return command;
    }

    private static NpgsqlParameter Param(object value, NpgsqlDbType type) => new() { Value = value, NpgsqlDbType = type };

    // ------------------------------------------------------------------ reads

    public async IAsyncEnumerable<StoredEvent> ReadAllAsync(long afterPosition, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var after = afterPosition;
        while (true)
        {
            var page = await QueryEvents($"SELECT {EventColumns} FROM events WHERE position > $1 ORDER BY position LIMIT {ReadPage}", [after], ct);
            foreach (var e in page) yield return e;
            if (page.Count < ReadPage) yield break;
            after = page[^1].Position;
        }
    }

    public Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long afterVersion = 0, CancellationToken ct = default) =>
        QueryEvents($"SELECT {EventColumns} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version", [streamId, afterVersion], ct);

    public Task<IReadOnlyList<StoredEvent>> ReadStreamTailAsync(string streamId, int count, CancellationToken ct = default) =>
        QueryEvents($"""
            SELECT * FROM (
              SELECT {EventColumns} FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT $2
            ) newest ORDER BY version
            """, [streamId, Math.Max(count, 0)], ct);

    public Task<IReadOnlyList<StoredEvent>> ReadByOrderAsync(string orderId, CancellationToken ct = default) =>
        QueryEvents($"SELECT {EventColumns} FROM events WHERE stream_id = 'order-' || $1 OR order_id = $1 ORDER BY position", [orderId], ct);

    public Task<IReadOnlyList<StoredEvent>> ReadByStreamPrefixAsync(string prefix, DateTimeOffset? since, int limit, CancellationToken ct = default) =>
        QueryEvents($"""
            SELECT * FROM (
              SELECT {EventColumns} FROM events
              WHERE starts_with(stream_id, $1) AND stream_id >= $1 AND at >= $2 ORDER BY position DESC LIMIT $3
            ) newest ORDER BY position
            """, [prefix, (since ?? DateTimeOffset.UnixEpoch.AddYears(-1000)).UtcDateTime, Math.Clamp(limit, 1, 10_000)], ct);

    public Task<IReadOnlyList<StoredEvent>> ReadByStreamPrefixBeforeAsync(string prefix, long beforePosition, int limit, CancellationToken ct = default) =>
        QueryEvents($"""
            SELECT * FROM (
              SELECT {EventColumns} FROM events
              WHERE starts_with(stream_id, $1) AND stream_id >= $1 AND position < $2 ORDER BY position DESC LIMIT $3
            ) newest ORDER BY position
            """, [prefix, beforePosition, Math.Clamp(limit, 1, 10_000)], ct);

    public async IAsyncEnumerable<StoredEvent> ReadStreamsByPrefixAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        // Keyset pages in the (stream_id, version) index, bounded above so the last page ends at the
        // prefix's end rather than at the index's: one pass however many events there are.
        var end = PrefixEnd(prefix);
        var (stream, version) = (prefix, 0L);
        while (true)
        {
            var page = await QueryEvents($"""
                SELECT {EventColumns} FROM events
                WHERE (stream_id, version) > ($1, $2) AND stream_id < $3 AND starts_with(stream_id, $4) ORDER BY stream_id, version LIMIT {ReadPage}
                """, [stream, version, end, prefix], ct);
            foreach (var e in page) yield return e;
            if (page.Count < ReadPage) yield break;
            (stream, version) = (page[^1].StreamId, page[^1].Version);
        }
    }

    /// <summary>
    /// The least string above every id that starts with <paramref name="prefix"/> (stream ids compare
    /// by code point, COLLATE "C"): the prefix with its last character one higher.
    /// </summary>
    internal static string PrefixEnd(string prefix)
    {
        if (prefix.Length == 0 || prefix[^1] >= '\ud7ff')
            throw new ArgumentException("A stream prefix ends with a character below U+D7FF.", nameof(prefix));
        return prefix[..^1] + (char)(prefix[^1] + 1);
    }

    private Task<IReadOnlyList<StoredEvent>> QueryEvents(string sql, object[] args, CancellationToken ct) =>
        HasNulText(args) ? Task.FromResult<IReadOnlyList<StoredEvent>>([]) : Retried(() => QueryEventsOnce(sql, args, ct), ct);

    /// <summary>
    /// Whether a read's text holds U+0000. PostgreSQL's text cannot, so nothing is stored under such
    /// an id or key, and sent as a parameter it fails the query (22021) instead of finding nothing.
    /// Ids and keys come from requests (a webhook's event id, an order id): such a read finds nothing,
    /// as it does on SQLite.
    /// </summary>
    private static bool HasNulText(params object?[] args)
    {
        foreach (var a in args)
            if (a is string s && s.Contains('\0', StringComparison.Ordinal)) return true;
        return false;
    }

    private async Task<IReadOnlyList<StoredEvent>> QueryEventsOnce(string sql, object[] args, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        var result = new List<StoredEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            result.Add(new StoredEvent(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), Encoding.UTF8.GetBytes(r.GetString(4)),
                new DateTimeOffset(r.GetFieldValue<DateTime>(5), TimeSpan.Zero), r.IsDBNull(6) ? null : r.GetString(6)));
        }
        return result;
    }

    public Task<string?> FindDedupAsync(string scope, string key, CancellationToken ct = default) => HasNulText(scope, key) ? Task.FromResult<string?>(null) : Retried(async () =>
    {
        await using var cmd = _dataSource.CreateCommand("SELECT value FROM dedup_keys WHERE scope = $1 AND key = $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = scope });
        cmd.Parameters.Add(new NpgsqlParameter { Value = key });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }, ct);

    public Task<IReadOnlyList<(string Key, string Value, DateTimeOffset CreatedAt)>> LoadDedupAsync(string scope, DateTimeOffset since, CancellationToken ct = default) => Retried<IReadOnlyList<(string Key, string Value, DateTimeOffset CreatedAt)>>(async () =>
    {
        await using var cmd = _dataSource.CreateCommand("SELECT key, value, created_at FROM dedup_keys WHERE scope = $1 AND created_at >= $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = scope });
        cmd.Parameters.Add(new NpgsqlParameter { Value = since.UtcDateTime });
        var result = new List<(string, string, DateTimeOffset)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add((r.GetString(0), r.GetString(1), new DateTimeOffset(r.GetFieldValue<DateTime>(2), TimeSpan.Zero)));
        return result;
    }, ct);

    public async Task<int> PurgeDedupAsync(DateTimeOffset before, CancellationToken ct = default)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM dedup_keys WHERE created_at < $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = before.UtcDateTime });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The order placed with a customer's idempotency key and the hash of its request, however long
    /// ago: the unique index keeps a key for good, after the in-memory gate has let it go.
    /// </summary>
    public Task<(string OrderId, string Hash)?> FindPlacedOrderAsync(string customerId, string key, CancellationToken ct = default) =>
        HasNulText(customerId, key) ? Task.FromResult<(string OrderId, string Hash)?>(null) : Retried<(string OrderId, string Hash)?>(async () =>
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT data ->> 'orderId', data ->> 'requestHash' FROM events
            WHERE type = 'OrderPlaced' AND data ->> 'customerId' = $1 AND data ->> 'idempotencyKey' = $2 LIMIT 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) && !r.IsDBNull(0) ? (r.GetString(0), r.IsDBNull(1) ? "" : r.GetString(1)) : null;
    }, ct);

    /// <summary>The last committed position (the log head: positions have no gaps).</summary>
    public Task<long> LastPositionAsync(CancellationToken ct = default) => Retried(async () =>
    {
        await using var cmd = _dataSource.CreateCommand("SELECT position FROM log_head WHERE id");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }, ct);

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var cmd = _dataSource.CreateCommand("SELECT 1");
            return (int)(await cmd.ExecuteScalarAsync(ct))! == 1 && _writerLoop is { IsCompleted: false };
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    // ------------------------------------------------------------------ read models

    public Task<long> GetCheckpointAsync(string name, CancellationToken ct = default) => HasNulText(name) ? Task.FromResult(0L) : Retried(async () =>
    {
        await using var cmd = _dataSource.CreateCommand("SELECT position FROM checkpoints WHERE name = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        return await cmd.ExecuteScalarAsync(ct) is long p ? p : 0;
    }, ct);

    /// <summary>Upsert rows and move the checkpoint. Applied by the writer, in the next batch's transaction.</summary>
    public Task SaveSummariesAsync(IReadOnlyCollection<SummaryRow> rows, string checkpointName, long checkpoint, CancellationToken ct = default) =>
        _writes.Enqueue(new SummaryWrite(rows, checkpointName, checkpoint));

    public async Task<SummaryRow?> GetSummaryAsync(string id, CancellationToken ct = default)
    {
        var rows = await QuerySummaries("SELECT id, status, outlet_id, customer_id, placed_at, updated_at, version, body FROM order_summaries WHERE id = $1", [id], ct);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<SummaryRow>> ListSummariesAsync(string? customerId, string? outletId, int limit, CancellationToken ct = default)
    {
        const string Columns = "SELECT id, status, outlet_id, customer_id, placed_at, updated_at, version, body FROM order_summaries";
        var n = Math.Clamp(limit, 1, 1000);
        if (customerId is not null) return QuerySummaries($"{Columns} WHERE customer_id = $1 ORDER BY placed_at DESC LIMIT $2", [customerId, n], ct);
        if (outletId is not null) return QuerySummaries($"{Columns} WHERE outlet_id = $1 ORDER BY placed_at DESC LIMIT $2", [outletId, n], ct);
        return QuerySummaries($"{Columns} ORDER BY placed_at DESC LIMIT $1", [n], ct);
    }

    public async Task ResetReadModelAsync(string checkpointName, CancellationToken ct = default)
    {
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM order_summaries"));
        batch.BatchCommands.Add(Command("DELETE FROM checkpoints WHERE name = $1", new NpgsqlParameter { Value = checkpointName }));
        await batch.ExecuteNonQueryAsync(ct);
    }

    private Task<IReadOnlyList<SummaryRow>> QuerySummaries(string sql, object[] args, CancellationToken ct) =>
        HasNulText(args) ? Task.FromResult<IReadOnlyList<SummaryRow>>([]) : Retried(() => QuerySummariesOnce(sql, args, ct), ct);

    private async Task<IReadOnlyList<SummaryRow>> QuerySummariesOnce(string sql, object[] args, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        var result = new List<SummaryRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            result.Add(new SummaryRow(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                new DateTimeOffset(r.GetFieldValue<DateTime>(4), TimeSpan.Zero), new DateTimeOffset(r.GetFieldValue<DateTime>(5), TimeSpan.Zero),
                r.GetInt64(6), System.Text.Encoding.UTF8.GetBytes(r.GetString(7))));
        }
        return result;
    }

    // ------------------------------------------------------------------ plumbing

    /// <summary>
    /// A read, tried once more when PostgreSQL dropped its connection (a restart, an administrator
    /// ending sessions, a fail-over): the pool then still holds connections the server has closed,
    /// and the first read to take one fails although the database is back. Reads change nothing,
    /// so a second try on a fresh connection is safe.
    /// </summary>
    private static async Task<T> Retried<T>(Func<Task<T>> read, CancellationToken ct)
    {
        try
        {
            return await read();
        }
        catch (NpgsqlException e) when (!ct.IsCancellationRequested && (e.IsTransient || e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }))
        {
            return await read();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _writes.Complete();
        if (_writerLoop is not null) await _writerLoop;
        if (_writer is not null) await _writer.DisposeAsync();
        await _dataSource.DisposeAsync();
        _writes.Dispose();
    }



}
