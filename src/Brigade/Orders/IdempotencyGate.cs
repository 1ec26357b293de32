using System.Collections.Concurrent;
using Brigade.Engine;

namespace Brigade.Orders;

/// <summary>
/// Idempotency keys for <c>POST /api/orders</c>, scoped per customer. The first request with a key
/// becomes its owner; racing requests with the same key wait for the owner and get the same order;
/// a different body under the same key is refused. The key and a hash of the request travel in the
/// order's <c>OrderPlaced</c> event, so a key is exactly as durable as its order; at start-up the
/// gate is rebuilt from the log as it is replayed. The embedded log has a single owner process,
/// so this in-memory gate is authoritative and the hot path never queries the store.
/// </summary>
/// <param name="placedInLog">
/// Where a key the gate has let go (after <see cref="Retention"/>) may still be taken: PostgreSQL's
/// unique index keeps an order's key for good. When given, a new owner of a key asks it first and
/// answers as the gate would have. Null for the embedded log, which forgets nothing the gate does not.
/// </param>
public sealed class IdempotencyGate(Func<string, string, CancellationToken, Task<(string OrderId, string Hash)?>>? placedInLog = null)
{
    public const string Scope = "order";
    public static readonly TimeSpan Retention = TimeSpan.FromHours(25);
    public const string ReusedMessage = "This Idempotency-Key was already used with a different request. Use a new key for a new order.";

    // Keyed by (customer, key) as they are, not by one string joining them: the key string is the
    // one the order keeps anyway, so an open order costs the gate no string of its own.
    private readonly ConcurrentDictionary<(string CustomerId, string Key), Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>One text for a customer's key, for messages and logs.</summary>
    public static string ScopedKey(string customerId, string key) => customerId + "\n" + key;

    /// <summary>Remember a key that placed an order (from the log, at start-up).</summary>
    public void Remember(string customerId, string key, string hash, string orderId, DateTimeOffset createdAt)
    {
        var entry = new Entry(hash, createdAt);
        entry.Complete(orderId);
        _entries[(customerId, key)] = entry;
    }

    /// <summary>
    /// Remember the key of an order the log holds, unless the gate knows it already: after a rebuild
    /// from the log, for an order whose commit reached the disk although it was answered as failed.
    /// </summary>
    public void RememberPlaced(Order order, DateTimeOffset now)
    {
        if (_entries.TryGetValue((order.CustomerId, order.IdempotencyKey), out var entry) && entry.OrderId == order.Id) return;
        Remember(order.CustomerId, order.IdempotencyKey, order.RequestHash, order.Id, now);
    }

    /// <summary>
    /// The order placed with this key, if the gate knows it as placed (a claim still in progress is
    /// not): what a decision checks on the engine thread, after any rebuild, before placing a new one.
    /// </summary>
    public (string OrderId, string Hash)? Placed(string customerId, string key) =>
        _entries.TryGetValue((customerId, key), out var entry) && entry.OrderId is { } id ? (id, entry.Hash) : null;

    /// <summary>
    /// Enter the gate. Returns the order id when the key was already used for this request, or
    /// <see cref="Claim"/> when the caller now owns the key and must <see cref="Claim.Complete"/> it.
    /// </summary>
    public async Task<GateResult> EnterAsync(string customerId, string key, string hash)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var mine = new Entry(hash, DateTimeOffset.UtcNow);
            var entry = _entries.GetOrAdd((customerId, key), mine);
            if (entry == mine)
            {
                var claim = new Claim(this, (customerId, key), mine);
                return placedInLog is null ? new GateResult(GateOutcome.Owner, null, claim) : await AskLogAsync(customerId, key, hash, claim);
            }
            if (entry.Hash != hash) return new GateResult(GateOutcome.Mismatch, null, null);
            var id = await entry.WaitAsync();
            if (id is not null) return new GateResult(GateOutcome.Replay, id, null);
            // The owner failed without placing an order (refused, invalid): the key is free again.
        }
        return new GateResult(GateOutcome.Busy, null, null);
    }

    /// <summary>The new owner of a key the log may still hold: the order placed with it, or the claim to place one.</summary>
    private async Task<GateResult> AskLogAsync(string customerId, string key, string hash, Claim claim)
    {
        (string OrderId, string Hash)? kept;
        try
        {
            kept = await placedInLog!(customerId, key, CancellationToken.None);
        }
        catch
        {
            claim.Complete(null);
            throw;
        }
        if (kept is not { } k) return new GateResult(GateOutcome.Owner, null, claim);
        if (k.Hash != hash)
        {
            claim.Complete(null);
            return new GateResult(GateOutcome.Mismatch, null, null);
        }
        claim.Complete(k.OrderId);
        return new GateResult(GateOutcome.Replay, k.OrderId, null);
    }

    public int Sweep(DateTimeOffset before)
    {
        var removed = 0;
        foreach (var (key, entry) in _entries)
            if (entry.IsDone && entry.CreatedAt < before && _entries.TryRemove(new(key, entry))) removed++;
        return removed;
    }

    /// <summary>
    /// One key: the hash of the request that owns it and, once the owner is done, the order it placed.
    /// Entries stay for the whole retention window, so an entry holds no task of its own: only a
    /// request racing the owner creates one to wait on.
    /// </summary>
    internal sealed class Entry(string hash, DateTimeOffset createdAt)
    {
        private TaskCompletionSource<string?>? _waiters;
        private string? _orderId;
        private volatile bool _done;

        public string Hash { get; } = hash;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public bool IsDone => _done;

        /// <summary>The order the owner placed, once it is done and placed one.</summary>
        public string? OrderId => _done ? _orderId : null;

        /// <summary>The order the owner placed, or null if it placed none; completes when the owner is done.</summary>
        public Task<string?> WaitAsync()
        {
            lock (this)
            {
                if (_done) return Task.FromResult(_orderId);
                _waiters ??= new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                return _waiters.Task;
            }
        }

        public void Complete(string? orderId)
        {
            TaskCompletionSource<string?>? waiters;
            lock (this)
            {
                if (_done) return;
                _orderId = orderId;
                _done = true;
                waiters = _waiters;
                _waiters = null;
            }
            waiters?.TrySetResult(orderId);
        }
    }

    public enum GateOutcome
    {
        Owner,
        Replay,
        Mismatch,
        Busy,
    }

    public sealed record GateResult(GateOutcome Outcome, string? OrderId, Claim? Claim);

    public sealed class Claim
    {
        private readonly IdempotencyGate _gate;
        private readonly (string, string) _key;
        private readonly Entry _entry;

        internal Claim(IdempotencyGate gate, (string, string) key, Entry entry)
        {
            _gate = gate;
            _key = key;
            _entry = entry;
        }

        /// <summary>Record the outcome: the order placed, or null if none was (the key may be used again).</summary>
        public void Complete(string? orderId)
        {
            if (orderId is null) _gate._entries.TryRemove(new(_key, _entry));
            _entry.Complete(orderId);
        }
    }
}

/// <summary>
/// Rebuilds the idempotency gate while the engine replays the log: every order placed within the
/// retention window (in kitchen time, which may run faster than real time) is remembered.
/// </summary>
public sealed class IdempotencyReplayObserver(IdempotencyGate gate, ScaledTimeProvider clock) : IEngineObserver
{
    private readonly List<OrderPlaced> _placed = [];

    public void Replayed(IDomainEvent e)
    {
        if (e is OrderPlaced p) _placed.Add(p);
    }

    public void Rebuilt(BrigadeEngine engine, long lastPosition)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var order in engine.Orders.Values) gate.RememberPlaced(order, now);
    }

    public void Recovered(BrigadeEngine engine, long lastPosition)
    {
        if (_placed.Count == 0) return;
        var cutoff = _placed[^1].At - IdempotencyGate.Retention * Math.Max(1, clock.Scale);
        var now = DateTimeOffset.UtcNow;
        foreach (var p in _placed)
            if (p.At >= cutoff) gate.Remember(p.CustomerId, p.IdempotencyKey, p.RequestHash, p.OrderId, now);
        _placed.Clear();
    }
}
