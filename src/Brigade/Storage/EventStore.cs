namespace Brigade.Storage;

/// <summary>An event ready to be written: its stream, type name and JSON body (UTF-8).</summary>
/// <param name="OrderId">The order this event concerns, for the order's audit trail (null if none).</param>
/// <param name="Source">The in-memory event it was serialized from, handed to commit listeners so they need not deserialize.</param>
/// <param name="State">
/// The stream's state right after this event, when the writer knows it (the engine's immutable
/// order), so listeners adopt it instead of folding again. Set on the last event of a stream in a commit.
/// </param>
public sealed record EventToWrite(string StreamId, string Type, byte[] Data, DateTimeOffset At, string? OrderId, object? Source = null, object? State = null);

public static class ExpectedVersion
{
    /// <summary>No check.</summary>
    public const long Any = -2;
    /// <summary>The stream must not exist yet.</summary>
    public const long NoStream = -1;
}

/// <summary>A unique key stored in the same transaction as the events (idempotency keys, webhook event ids).</summary>
public sealed record DedupKey(string Scope, string Key, string Value);

/// <summary>
/// One atomic write: events in order, possibly across streams, each stream's expected version,
/// and an optional dedup key. Either all of it is durable, or none of it.
/// </summary>
/// <param name="Chained">
/// The commit was decided on top of the ones before it (the engine's commits are). If a chained
/// commit fails, every chained commit queued after it fails too, until <see cref="IEventStore.ResetChain"/>.
/// </param>
public sealed record Commit(
    IReadOnlyList<EventToWrite> Events,
    IReadOnlyDictionary<string, long>? ExpectedVersions = null,
    DedupKey? Dedup = null,
    bool Chained = false);

/// <summary>Positions and stream versions assigned to a commit's events, in order.</summary>
public sealed record CommitResult(long FirstPosition, long LastPosition, long[] Versions);

public sealed record StoredEvent(long Position, string StreamId, long Version, string Type, byte[] Data, DateTimeOffset At, string? OrderId);

/// <summary>A committed event with its position, as given to commit listeners.</summary>
public readonly record struct CommittedEvent(long Position, long Version, EventToWrite Event);

public sealed class ConcurrencyException(string streamId, long expected, long actual)
    : Exception($"Stream {streamId} is at version {actual}, not the expected {expected}: another writer got there first.")
{
    public string StreamId { get; } = streamId;
    public long Expected { get; } = expected;
    public long Actual { get; } = actual;
}

public sealed class DuplicateKeyException(string scope, string key, string existingValue)
    : Exception($"Key '{key}' in '{scope}' was already used.")
{
    public string Scope { get; } = scope;
    public string Key { get; } = key;
    public string ExistingValue { get; } = existingValue;
}

public sealed class ChainBrokenException(Exception cause)
    : Exception("An earlier chained commit failed; this one was decided on top of it and is refused.", cause);

/// <summary>
/// Whether chained commits are being refused. A store's writer reads it as a batch starts and
/// writes back what the batch left; <see cref="Reset"/> (the engine, once rebuilt from the log)
/// starts a new epoch, so a batch that began before the reset, such as one of read-model rows only,
/// cannot put back the failure it read and refuse the rebuilt engine's commits.
/// </summary>
internal sealed class CommitChain
{
    private readonly Lock _lock = new();
    private long _epoch;
    private Exception? _broken;

    public (long Epoch, Exception? Broken) Read()
    {
        lock (_lock) return (_epoch, _broken);
    }

    /// <summary>Record what a batch that began in <paramref name="epoch"/> left, unless the chain was reset since.</summary>
    public void Update(long epoch, Exception? broken)
    {
        lock (_lock)
            if (epoch == _epoch) _broken = broken;
    }

    public void Reset()
    {
        lock (_lock)
        {
            _epoch++;
            _broken = null;
        }
    }
}

/// <summary>
/// The append-only event log. Implementations: SQLite (embedded, one process owns the file) and
/// PostgreSQL (shared by many processes). Writes are group-committed: concurrent commits share
/// one transaction and one fsync.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    string Name { get; }

    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>Durably append; completes only after the data is on disk.</summary>
    Task<CommitResult> CommitAsync(Commit commit, CancellationToken ct = default);

    /// <summary>Called on the writer thread after each durable batch, in log order, before the commits complete.</summary>
    void Subscribe(Action<IReadOnlyList<CommittedEvent>> onCommitted);

    /// <summary>Accept chained commits again after the writer of the chain has recovered.</summary>
    void ResetChain();

    IAsyncEnumerable<StoredEvent> ReadAllAsync(long afterPosition, CancellationToken ct = default);

    Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long afterVersion = 0, CancellationToken ct = default);

    /// <summary>The newest <paramref name="count"/> events of one stream, oldest first: its recent history without reading all of it.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadStreamTailAsync(string streamId, int count, CancellationToken ct = default);

    /// <summary>Events concerning one order, from every stream, in log order: its audit trail.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadByOrderAsync(string orderId, CancellationToken ct = default);

    /// <summary>Events of streams whose id starts with a prefix (an outlet's kitchen, a courier), newest last.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadByStreamPrefixAsync(string prefix, DateTimeOffset? since, int limit, CancellationToken ct = default);

    /// <summary>
    /// The newest <paramref name="limit"/> (at most 10,000) events of streams whose id starts with a prefix
    /// at positions below <paramref name="beforePosition"/>, newest last: the next page back through their history.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ReadByStreamPrefixBeforeAsync(string prefix, long beforePosition, int limit, CancellationToken ct = default);

    /// <summary>
    /// Every event of the streams whose id starts with a prefix, stream after stream (by id), each
    /// in version order; read a page at a time, so a fold over all of them needs no limit.
    /// </summary>
    IAsyncEnumerable<StoredEvent> ReadStreamsByPrefixAsync(string prefix, CancellationToken ct = default);

    Task<string?> FindDedupAsync(string scope, string key, CancellationToken ct = default);

    /// <summary>Dedup keys of a scope stored since a time: key and value.</summary>
    Task<IReadOnlyList<(string Key, string Value, DateTimeOffset CreatedAt)>> LoadDedupAsync(string scope, DateTimeOffset since, CancellationToken ct = default);

    /// <summary>Forget dedup keys older than this (idempotency keys are kept at least 24 hours).</summary>
    Task<int> PurgeDedupAsync(DateTimeOffset before, CancellationToken ct = default);

    Task<long> LastPositionAsync(CancellationToken ct = default);

    Task<bool> PingAsync(CancellationToken ct = default);
}
