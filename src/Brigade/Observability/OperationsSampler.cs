using Brigade.Engine;

namespace Brigade.Observability;

public sealed record StationSample(string OutletId, string StationId, int Queued, double WaitP90Seconds, double TargetWaitSeconds);

public sealed record OutletSample(string OutletId, double ChefUtilisation, bool Silent);

public sealed record OperationsSnapshot(
    DateTimeOffset At,
    IReadOnlyDictionary<string, long> OpenOrders,
    IReadOnlyList<StationSample> Stations,
    IReadOnlyList<OutletSample> Outlets,
    IReadOnlyDictionary<string, long> Couriers,
    IReadOnlyList<(string CourierId, DateTimeOffset PositionAt)> CourierPositions)
{
    public static readonly OperationsSnapshot Empty = new(DateTimeOffset.MinValue, new Dictionary<string, long>(), [], [], new Dictionary<string, long>(), []);
}

/// <summary>
/// A picture of the engine for gauges and alert rules: open orders by status, each station's queue
/// and wait, chefs' utilisation, couriers by phase and their last positions, outlets' silence. Taken on
/// the engine thread (a query), then read by anyone.
/// </summary>
public sealed class OperationsSampler(EngineHost engine)
{
    private volatile OperationsSnapshot _current = OperationsSnapshot.Empty;

    public OperationsSnapshot Current => _current;

    public async Task<OperationsSnapshot> RefreshAsync()
    {
        if (!engine.IsRunning) return _current;
        try
        {
            _current = await engine.QueryAsync(Take);
        }
        catch (InvalidOperationException)
        {
            // the engine stopped meanwhile: keep the last picture
        }
        return _current;
    }

    /// <summary>
    /// Runs on the engine thread, so it stays proportional to outlets and stations, not to the backlog:
    /// open orders are counted by status in one pass with no allocation per order, and stations report
    /// their load without building the kitchen display.
    /// </summary>
    private static OperationsSnapshot Take(BrigadeEngine e, DateTimeOffset now)
    {
        var byStatus = new long[Orders.StatusNames.Count];
        foreach (var o in e.Orders.Values)
            if (!o.IsTerminal) byStatus[(int)o.Status]++;
        var open = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < byStatus.Length; i++)
            if (byStatus[i] > 0) open[Orders.StatusNames.Of((Orders.OrderStatus)i)] = byStatus[i];

        var stations = new List<StationSample>();
        var outlets = new List<OutletSample>();
        foreach (var outlet in e.Catalog.Outlets)
        {
            var kitchen = e.KitchenOf(outlet.Id)!;
            foreach (var load in kitchen.StationLoads(now))
                stations.Add(new StationSample(outlet.Id, load.StationId, load.QueuedTasks, load.WaitP90Seconds, load.TargetWaitSeconds));
            var (working, busy) = kitchen.ChefCounts();
            outlets.Add(new OutletSample(outlet.Id, working == 0 ? 0 : (double)busy / working, e.Router.HealthOf(outlet.Id, now).Silent));
        }
        var couriers = new Dictionary<string, long>(StringComparer.Ordinal);
        var positions = new List<(string, DateTimeOffset)>();
        foreach (var c in e.Delivery.Couriers(now))
        {
            if (!c.OnShift) continue;
            couriers[c.Phase] = couriers.GetValueOrDefault(c.Phase) + 1;
            positions.Add((c.Id, c.PositionAt));
        }
        return new OperationsSnapshot(now, open, stations, outlets, couriers, positions);
    }
}
