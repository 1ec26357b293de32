using System.Text.Json;
using Brigade.Storage;

namespace Brigade.Orders;

/// <summary>
/// Projects the log into the <c>order_summaries</c> table: one row per order, the order folded from
/// its events. It follows the log from a checkpoint stored with the rows, so it resumes where it
/// stopped and can be rebuilt from scratch at any time (<see cref="RebuildAsync"/>).
/// </summary>
public sealed partial class SummaryProjector : BackgroundService
{
    public const string Name = "order-summaries";
    private const int OpenCacheLimit = 100_000;

    private readonly IEventStore _store;
    private readonly IReadModelStore _readModels;
    private readonly ILogger<SummaryProjector> _log;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly Dictionary<string, Order> _open = new(StringComparer.Ordinal);

    public SummaryProjector(IEventStore store, IReadModelStore readModels, ILogger<SummaryProjector> log)
    {
        _store = store;
        _readModels = readModels;
        _log = log;
        store.Subscribe(_ =>
        {
            if (_signal.CurrentCount == 0) _signal.Release();
        });
    }

    public long Checkpoint { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CatchUpAsync(stoppingToken);
                await _signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                LogProjectionFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Apply everything in the log after the checkpoint.</summary>
    public async Task CatchUpAsync(CancellationToken ct = default)
    {
        await _running.WaitAsync(ct);
        try
        {
            var checkpoint = await _readModels.GetCheckpointAsync(Name, ct);
            var changed = new Dictionary<string, Order>(StringComparer.Ordinal);
            var position = checkpoint;
            await foreach (var stored in _store.ReadAllAsync(checkpoint, ct))
            {
                position = stored.Position;
                if (!stored.StreamId.StartsWith("order-", StringComparison.Ordinal)) goto next;
                var e = (IOrderEvent)EventSerializer.Deserialize(stored);
                var before = changed.GetValueOrDefault(e.OrderId) ?? _open.GetValueOrDefault(e.OrderId) ?? await LoadAsync(e.OrderId, ct);
                changed[e.OrderId] = Order.Apply(before, e);
            next:
                if (position - checkpoint >= 2000)
                {
                    await SaveAsync(changed, position, ct);
                    checkpoint = position;
                    changed.Clear();
                }
            }
            if (position != checkpoint || changed.Count > 0) await SaveAsync(changed, position, ct);
            Checkpoint = position;
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
            await _readModels.ResetReadModelAsync(Name, ct);
            _open.Clear();
        }
        finally
        {
            _running.Release();
        }
        await CatchUpAsync(ct);
    }

    private async Task<Order?> LoadAsync(string id, CancellationToken ct)
    {
        var row = await _readModels.GetSummaryAsync(id, ct);
        return row is null ? null : JsonSerializer.Deserialize(row.Body, EventJsonContext.Default.Order);
    }

    private async Task SaveAsync(Dictionary<string, Order> changed, long position, CancellationToken ct)
    {
        var rows = changed.Values.Select(o => new SummaryRow(o.Id, JsonNamingPolicy.CamelCase.ConvertName(o.Status.ToString()), o.OutletId, o.CustomerId,
            o.Timeline.PlacedAt ?? DateTimeOffset.UnixEpoch, LastChange(o), o.Version, JsonSerializer.Serialize(o, EventJsonContext.Default.Order))).ToList();
        await _readModels.SaveSummariesAsync(rows, Name, position, ct);
        if (_open.Count > OpenCacheLimit) _open.Clear();
        foreach (var o in changed.Values)
        {
            if (o.IsTerminal) _open.Remove(o.Id);
            else _open[o.Id] = o;
        }
    }

    private static DateTimeOffset LastChange(Order o)
    {
        var t = o.Timeline;
        DateTimeOffset?[] all = [t.PlacedAt, t.AcceptedAt, t.PreparingAt, t.ReadyAt, t.CourierAssignedAt, t.PickedUpAt, t.DeliveredAt, t.CollectedAt, t.CancelledAt, t.RejectedAt, t.FailedAt];
        return all.Max() ?? DateTimeOffset.UnixEpoch;
    }

    public override void Dispose()
    {
        _signal.Dispose();
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Projecting order summaries failed; retrying")]
    private partial void LogProjectionFailed(Exception error);
}
