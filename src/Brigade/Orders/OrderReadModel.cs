using System.Collections.Concurrent;
using System.Threading.Channels;
using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Orders;

/// <summary>A change to one order, as pushed to its subscribers. Ephemeral updates (a courier's position) carry no version.</summary>
public sealed record OrderUpdate(Order Order, string Change, long? Version, DateTimeOffset At, object? Detail = null)
{
    /// <summary>The change named by this update's version is to be read from the log (the model caught up with it there).</summary>
    public const string FromLog = "fromLog";
}

/// <summary>An order as readers see it, with its API JSON rendered once and reused.</summary>
public sealed class OrderView(Order order)
{
    private byte[]? _json;

    public Order Order { get; } = order;

    public byte[] Json => _json ??= OrderResponse.Serialize(Order);

    /// <summary>The rendering, if a reader has asked for it already; does not render.</summary>
    public byte[]? RenderedJson => _json;
}

/// <summary>
/// The read side of orders: every order's current state, folded from durable events only, and
/// the live subscribers of each order (the SSE streams). It is fed on the log's writer thread
/// after each commit, so nobody ever reads or is told about an event that is not on disk.
/// </summary>
public sealed class OrderReadModel
{
    /// <summary>How many of the latest placements are remembered for <see cref="TryPlacedAfter"/>: far more than a batch.</summary>
    public const int RecentPlacements = 8192;

    private readonly ConcurrentDictionary<string, OrderView> _views = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<Channel<OrderUpdate>>> _subscribers = new(StringComparer.Ordinal);
    private int _subscriberCount;
    // The latest placements heard, with their log positions, in a ring of fixed size: the order list
    // merges those its summary table does not hold yet. A slot per placement and no heap per order.
    private readonly (long Position, string OrderId)[] _placed = new (long, string)[RecentPlacements];
    private long _placedCount;
    // Every order placed at a position above this one is in the ring (guarded by the ring's lock).
    private long _placedCoveredAfter;

    public int Count => _views.Count;
    public int SubscriberCount => Volatile.Read(ref _subscriberCount);

    public OrderView? Find(string id) => _views.GetValueOrDefault(id);

    /// <summary>Orders somebody is following right now.</summary>
    public IEnumerable<string> SubscribedOrderIds => _subscribers.Keys;

    /// <summary>Every order in memory. Enumerated without a snapshot: <c>Values</c> would take every lock of the map, and hold up the log's writer while it copies.</summary>
    public IEnumerable<Order> All => _views.Select(kv => kv.Value.Order);

    /// <summary>
    /// Store listener: take in the order events of a durable batch. Every order adopts the engine's
    /// state that came with the last event of its commit (no fold, no copy); for an order with
    /// subscribers the events before it are folded one by one as well, so each of them is pushed.
    /// </summary>
    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        HashSet<string>? withState = null;
        foreach (var ce in batch)
            if (ce.Event.State is Order) (withState ??= new HashSet<string>(StringComparer.Ordinal)).Add(ce.Event.OrderId!);

        foreach (var ce in batch)
        {
            if (ce.Event.Source is not IOrderEvent e) continue;
            if (e is OrderPlaced) RememberPlaced(ce.Position, e.OrderId);
            if (ce.Event.State is Order state)
            {
                // Always adopted, even if a follower arrived after this commit's earlier events were
                // skipped: folding this one event onto the view from before them would lose them.
                // Followers hear the commit's end; a stream that missed the skipped ones refills from the log.
                _views[e.OrderId] = new OrderView(state);
                if (_subscribers.ContainsKey(e.OrderId)) Publish(e.OrderId, new OrderUpdate(state, e.GetType().Name, state.Version, e.At)); // most orders have no follower: no update made
                continue;
            }
            if (withState?.Contains(e.OrderId) == true && !_subscribers.ContainsKey(e.OrderId)) continue;
            Apply(e, push: true);
        }
    }

    private void RememberPlaced(long position, string orderId)
    {
        lock (_placed)
        {
            ref var slot = ref _placed[(int)(_placedCount % RecentPlacements)];
            // The oldest placement leaves the ring: from now on the ring answers only for those after it.
            if (slot.OrderId is not null) _placedCoveredAfter = Math.Max(_placedCoveredAfter, slot.Position);
            slot = (position, orderId);
            _placedCount++;
        }
    }

    /// <summary>
    /// The log up to <paramref name="position"/> was read without this model hearing its batches (the
    /// replay at start-up, a rebuild after a commit answered as failed): orders placed there may be
    /// missing from the ring, so it answers only for those placed after it.
    /// </summary>
    public void ReadFromLogUpTo(long position)
    {
        lock (_placed) _placedCoveredAfter = Math.Max(_placedCoveredAfter, position);
    }

    /// <summary>
    /// Add the orders placed at log positions above <paramref name="after"/>, newest first, as they
    /// stand now. False (and nothing added) when the model cannot tell which they are: placements
    /// that far back have left the ring, or were never heard (see <see cref="ReadFromLogUpTo"/>).
    /// </summary>
    public bool TryPlacedAfter(long after, List<Order> into)
    {
        var ids = new List<string>();
        lock (_placed)
        {
            if (after < _placedCoveredAfter) return false;
            for (var i = _placedCount - 1; i >= 0 && i >= _placedCount - RecentPlacements; i--)
            {
                var (position, id) = _placed[(int)(i % RecentPlacements)];
                if (position <= after) break;
                ids.Add(id);
            }
        }
        foreach (var id in ids)
            if (_views.TryGetValue(id, out var view)) into.Add(view.Order);
        return true;
    }

    /// <summary>Rebuild from the log at start-up (nobody is subscribed yet).</summary>
    public void Replay(IOrderEvent e) => Apply(e, push: false);

    private void Apply(IOrderEvent e, bool push)
    {
        var order = Order.Apply(_views.GetValueOrDefault(e.OrderId)?.Order, e);
        _views[e.OrderId] = new OrderView(order);
        if (push) Publish(e.OrderId, new OrderUpdate(order, e.GetType().Name, order.Version, e.At));
    }

    /// <summary>
    /// Adopt the engine's orders, rebuilt from the log, where this model is behind them: events that
    /// reached the log although their commit was answered as failed, so no listener heard them.
    /// Followers are told of the change; their streams fill the gap from the log.
    /// </summary>
    public void CatchUp(IEnumerable<Order> rebuilt)
    {
        foreach (var order in rebuilt)
        {
            var view = _views.AddOrUpdate(order.Id, _ => new OrderView(order), (_, old) => old.Order.Version < order.Version ? new OrderView(order) : old);
            if (ReferenceEquals(view.Order, order)) Publish(order.Id, new OrderUpdate(order, OrderUpdate.FromLog, order.Version, default));
        }
    }

    /// <summary>Push an ephemeral update (not in the log) to an order's subscribers.</summary>
    public void Publish(string orderId, OrderUpdate update)
    {
        if (!_subscribers.TryGetValue(orderId, out var list)) return;
        lock (list)
            foreach (var ch in list) ch.Writer.TryWrite(update);
    }

    /// <summary>Follow one order. Slow readers lose the oldest updates; their stream fills gaps from the log by version.</summary>
    public Subscription Subscribe(string orderId)
    {
        var channel = Channel.CreateBounded<OrderUpdate>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        List<Channel<OrderUpdate>> list;
        while (true)
        {
            // The last follower leaving drops the list under its lock; a list found here may be that
            // one, dropped in between. Join it only if it is still the order's list: while we hold
            // its lock nobody can drop it, and once we are in it, it is not empty.
            list = _subscribers.GetOrAdd(orderId, _ => []);
            lock (list)
            {
                if (!_subscribers.TryGetValue(orderId, out var current) || !ReferenceEquals(current, list)) continue;
                list.Add(channel);
                break;
            }
        }
        Interlocked.Increment(ref _subscriberCount);
        return new Subscription(channel.Reader, () =>
        {
            lock (list)
            {
                list.Remove(channel);
                if (list.Count == 0) _subscribers.TryRemove(new KeyValuePair<string, List<Channel<OrderUpdate>>>(orderId, list));
            }
            Interlocked.Decrement(ref _subscriberCount);
        });
    }

    /// <summary>Forget orders that ended before <paramref name="before"/>; reads fall back to the summary table.</summary>
    public int Evict(DateTimeOffset before)
    {
        var evicted = 0;
        foreach (var (id, view) in _views)
        {
            var o = view.Order;
            var ended = o.Timeline.DeliveredAt ?? o.Timeline.CollectedAt ?? o.Timeline.CancelledAt ?? o.Timeline.RejectedAt ?? o.Timeline.FailedAt;
            if (o.IsTerminal && ended < before && !_subscribers.ContainsKey(id) && _views.TryRemove(id, out _)) evicted++;
        }
        return evicted;
    }

    public sealed class Subscription(ChannelReader<OrderUpdate> reader, Action dispose) : IDisposable
    {
        private int _disposed;
        public ChannelReader<OrderUpdate> Reader { get; } = reader;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose();
        }
    }
}
