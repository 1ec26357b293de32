using System.Collections.Concurrent;
using System.Text.Json;
using Brigade.Storage;

namespace Brigade.Orders;

/// <summary>
/// Projects the log into the <c>order_summaries</c> table: one row per order, the order folded from
/// its events, with the log position it reflects stored beside the rows (the checkpoint).
/// <para>
/// It follows the log in two ways. In steady state it folds the batches the log hands its
/// listeners, in memory, so nothing is read back or deserialized. At start-up, after a rebuild, or
/// when it finds a gap in positions (it fell too far behind and dropped batches), it reads the log
/// from its checkpoint instead. Either way it can be dropped and rebuilt from the log at any time
/// (<see cref="RebuildAsync"/>).
/// </para>
/// </summary>
public sealed partial class SummaryProjector : BackgroundService
{
    public const string Name = "order-summaries";
    private const int OpenCacheLimit = 20_000;
    private const int LiveQueueLimit = 10_000;
    private const int RowsPerSave = 256;

    private readonly IEventStore _store;
    private readonly IReadModelStore _readModels;
    private readonly ILogger<SummaryProjector> _log;
    private readonly ConcurrentQueue<IReadOnlyList<CommittedEvent>> _live = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly Dictionary<string, Order> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Order> _changed = new(StringComparer.Ordinal);
    private long _position = -1;
    private long _saved = -1;

    public SummaryProjector(IEventStore store, IReadModelStore readModels, ILogger<SummaryProjector> log)
    {
        _store = store;
        _readModels = readModels;
        _log = log;
        store.Subscribe(OnCommitted);
    }

    /// <summary>Store listener, on the log's writer thread; it may still be called once this projector is disposed.</summary>
    internal void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        // Never block the log's writer: past the limit, drop and catch up from the log later.
        if (_live.Count < LiveQueueLimit) _live.Enqueue(batch);
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    /// <summary>The last log position reflected in the table.</summary>
    public long Checkpoint => Interlocked.Read(ref _position);

    /// <summary>
    /// A log position the table is known to hold (its rows and checkpoint were committed together),
    /// or -1 while that is unknown (starting, or starting again after a failure). A read of the table
    /// that begins after reading this sees at least every order placed up to it.
    /// </summary>
    public long SavedCheckpoint => Interlocked.Read(ref _saved);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DrainAsync(stoppingToken);
                // A quiet second: make sure nothing in the log went unheard. A gap is otherwise seen only
                // when the next batch arrives: batches dropped from a full queue, or a commit that reached
                // the disk although it was answered as failed, which no listener is told of.
                if (!await _signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken)) await CatchUpIfBehindAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                LogProjectionFailed(e);
                await _running.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stoppingToken.IsCancellationRequested) return;
                _position = _saved = -1; // start again from the stored checkpoint
                _changed.Clear();
                // The open orders cached here are as of the last save this projector saw succeed. A save
                // answered as failed may still have landed (the connection lost during COMMIT), moving the
                // stored checkpoint past them: folding the next events onto them would write stale rows.
                // The rows are the truth from here; the cache refills from them.
                _open.Clear();
                _running.Release();
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Bring the table up to date with everything durable in the log.</summary>
    public async Task CatchUpAsync(CancellationToken ct = default)
    {
        await _running.WaitAsync(ct);
        try
        {
            await CatchUpFromLogAsync(ct);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task CatchUpIfBehindAsync(CancellationToken ct)
    {
        await _running.WaitAsync(ct);
        try
        {
            if (_position >= 0 && await _store.LastPositionAsync(ct) > _position) await CatchUpFromLogAsync(ct);
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Drop the read model and project it again from the first event.</summary>
    public async Task RebuildAsync(CancellationToken ct = default)
    {
        await _running.WaitAsync(ct);
        try
        {
            _saved = -1; // the table is about to hold nothing
            await _readModels.ResetReadModelAsync(Name, ct);
            _open.Clear();
            _changed.Clear();
            _position = _saved = 0;
            await CatchUpFromLogAsync(ct);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        await _running.WaitAsync(ct);
        try
        {
            if (_position < 0) await CatchUpFromLogAsync(ct);
            while (_live.TryDequeue(out var batch))
            {
                if (batch.Count == 0 || batch[^1].Position <= _position) continue;
                if (batch[0].Position > _position + 1)
                {
                    // A gap: batches were dropped, or arrived before start-up's catch-up ended.
                    await CatchUpFromLogAsync(ct);
                    continue;
                }
                foreach (var ce in batch)
                {
                    if (ce.Position <= _position) continue;
                    if (ce.Event.State is Order state) _changed[state.Id] = state;                        // the engine's order, as of this commit
                    else if (ce.Event.Source is IOrderEvent e && !HasStateLater(batch, ce)) await FoldAsync(e, ct); // written without a state: fold
                    _position = ce.Position;
                }
                if (_changed.Count >= RowsPerSave) await SaveAsync(ct);
            }
            await SaveAsync(ct);
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Does a later event of the same order in this batch carry the order's state?</summary>
    private static bool HasStateLater(IReadOnlyList<CommittedEvent> batch, CommittedEvent ce)
    {
        for (var i = batch.Count - 1; i >= 0 && batch[i].Position > ce.Position; i--)
            if (batch[i].Event.State is not null && batch[i].Event.OrderId == ce.Event.OrderId && batch[i].Event.Source is IOrderEvent) return true;
        return false;
    }

    private async Task CatchUpFromLogAsync(CancellationToken ct)
    {
        if (_position < 0) _position = _saved = await _readModels.GetCheckpointAsync(Name, ct);
        await foreach (var stored in _store.ReadAllAsync(_position, ct))
        {
            if (stored.StreamId.StartsWith("order-", StringComparison.Ordinal))
                await FoldAsync((IOrderEvent)EventSerializer.Deserialize(stored), ct);
            _position = stored.Position;
            if (_changed.Count >= RowsPerSave) await SaveAsync(ct);
        }
        await SaveAsync(ct);
    }

    private async Task FoldAsync(IOrderEvent e, CancellationToken ct)
    {
        var before = e is OrderPlaced ? null : _changed.GetValueOrDefault(e.OrderId) ?? _open.GetValueOrDefault(e.OrderId) ?? await LoadAsync(e.OrderId, ct);
        _changed[e.OrderId] = Order.Apply(before, e);
    }

    private async Task<Order?> LoadAsync(string id, CancellationToken ct)
    {
        var row = await _readModels.GetSummaryAsync(id, ct);
        return row is null ? null : JsonSerializer.Deserialize(row.Body, EventJsonContext.Default.Order);
    }

    /// <summary>Write the changed orders (their latest state only) and the position they reflect.</summary>
    private async Task SaveAsync(CancellationToken ct)
    {
        if (_changed.Count == 0 && _position == _saved) return;
        var rows = _changed.Values.Select(o => new SummaryRow(o.Id, StatusNames.Of(o.Status), o.OutletId, o.CustomerId,
            o.Timeline.PlacedAt ?? DateTimeOffset.UnixEpoch, LastChange(o), o.Version, JsonSerializer.SerializeToUtf8Bytes(o, EventJsonContext.Default.Order))).ToList();
        await _readModels.SaveSummariesAsync(rows, Name, _position, ct);
        _saved = _position;
        if (_open.Count > OpenCacheLimit) _open.Clear();
        foreach (var o in _changed.Values)
        {
            if (o.IsTerminal) _open.Remove(o.Id);
            else _open[o.Id] = o;
        }
        _changed.Clear();
    }

    private static DateTimeOffset LastChange(Order o)
    {
        var t = o.Timeline;
        ReadOnlySpan<DateTimeOffset?> all = [t.PlacedAt, t.AcceptedAt, t.PreparingAt, t.ReadyAt, t.CourierAssignedAt, t.PickedUpAt, t.DeliveredAt, t.CollectedAt, t.CancelledAt, t.RejectedAt, t.FailedAt];
        var last = DateTimeOffset.UnixEpoch;
        foreach (var at in all) if (at > last) last = at.Value;
        return last;
    }

    public override void Dispose()
    {
        // _signal is not disposed: the log, disposed after this projector, may still tell it of a batch
        // (a server that failed to start stops its services while the log writes), and releasing a
        // disposed semaphore throws. It holds no handle: nothing waits on its wait handle.
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Projecting order summaries failed; retrying from the stored checkpoint")]
    private partial void LogProjectionFailed(Exception error);
}
