using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Geo;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Engine;

public sealed record EngineOptions
{
    public KitchenOptions Kitchen { get; init; } = new();
    /// <summary>A customer hears about a new estimate only when it moves by at least this much.</summary>
    public TimeSpan EstimateRevisionThreshold { get; init; } = TimeSpan.FromMinutes(1);
}

public sealed record PlaceOrder(
    string OrderId,
    string RestaurantId,
    string? OutletId,
    IReadOnlyList<OrderLine> Lines,
    GeoPoint? DeliverTo,
    string CustomerId,
    string IdempotencyKey,
    string RequestHash,
    string? HandoffCode = null);

public enum Outcome
{
    Ok,
    NotFound,
    /// <summary>The command conflicts with the current state (cancel after cooking started, …).</summary>
    Conflict,
    /// <summary>Backpressure: try again after <see cref="EngineResult.RetryAfter"/>.</summary>
    Refused,
    Invalid,
    /// <summary>Nothing can serve it now: every outlet is closed or paused.</summary>
    Unavailable,
    /// <summary>A fenced-off, late command (an old lease holder's completion).</summary>
    Stale,
}

public sealed record EngineResult(Outcome Outcome, string? Message = null, TimeSpan RetryAfter = default, Order? Order = null, long TaskId = 0, long Token = 0)
{
    public bool IsOk => Outcome == Outcome.Ok;
    public static EngineResult Ok(Order? order = null) => new(Outcome.Ok, Order: order);
}

/// <summary>
/// The whole order-to-door engine in one pure object: orders, kitchens, and the process that
/// joins them (a kitchen finishing an order makes the order ready). It owns no thread and no
/// clock. The server runs it on one thread with a scaled real clock; the simulator runs it with a
/// virtual clock; tests call it directly. Decisions append events to the caller's list, already
/// applied; <see cref="Apply"/> replays events from the log.
/// </summary>
public sealed class BrigadeEngine
{
    private readonly EngineOptions _options;
    private readonly Dictionary<string, Order> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KitchenEngine> _kitchens = new(StringComparer.Ordinal);
    private readonly DeliveryEngine _delivery;

    public BrigadeEngine(RestaurantCatalog catalog, EngineOptions? options = null)
    {
        Catalog = catalog;
        _options = options ?? new EngineOptions();
        foreach (var outlet in catalog.Outlets) _kitchens[outlet.Id] = new KitchenEngine(outlet, _options.Kitchen);
        _delivery = new DeliveryEngine(catalog, (output, e) =>
        {
            Apply(e);
            output.Add(e);
        });
    }

    public DeliveryEngine Delivery => _delivery;

    public RestaurantCatalog Catalog { get; }
    public IReadOnlyDictionary<string, Order> Orders => _orders;
    public IEnumerable<KitchenEngine> Kitchens => _kitchens.Values;
    public KitchenEngine? KitchenOf(string outletId) => _kitchens.GetValueOrDefault(outletId);

    /// <summary>Fold an event from the log into the engine's state.</summary>
    public void Apply(IDomainEvent e)
    {
        switch (e)
        {
            case IOrderEvent o:
                _orders[o.OrderId] = Order.Apply(_orders.GetValueOrDefault(o.OrderId), o);
                _delivery.Apply(o);
                break;
            case IKitchenEvent k:
                if (_kitchens.TryGetValue(k.OutletId, out var kitchen)) kitchen.Apply(k);
                break;
            case ICourierEvent c:
                _delivery.Apply(c);
                break;
            default:
                throw new InvalidOperationException($"The engine has no fold for {e.GetType().Name}");
        }
    }

    /// <summary>When the engine next needs <see cref="Advance"/>.</summary>
    public DateTimeOffset NextDueAt
    {
        get
        {
            var due = _delivery.NextDueAt;
            foreach (var k in _kitchens.Values)
            {
                var d = k.NextDueAt;
                if (d < due) due = d;
            }
            return due;
        }
    }

    // ------------------------------------------------------------------ commands

    public EngineResult PlaceOrder(PlaceOrder cmd, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (_orders.TryGetValue(cmd.OrderId, out var existing)) return EngineResult.Ok(existing);
        var restaurant = Catalog.FindRestaurant(cmd.RestaurantId);
        if (restaurant is null) return new EngineResult(Outcome.Invalid, $"unknown restaurant '{cmd.RestaurantId}'");
        if (cmd.Lines.Count == 0) return new EngineResult(Outcome.Invalid, "an order needs at least one line");
        foreach (var line in cmd.Lines)
        {
            if (restaurant.FindItem(line.MenuItemId) is null)
                return new EngineResult(Outcome.Invalid, $"{restaurant.Id} has no menu item '{line.MenuItemId}'");
            if (line.Quantity < 1) return new EngineResult(Outcome.Invalid, $"quantity of '{line.MenuItemId}' must be at least 1");
        }

        IReadOnlyList<Outlet> candidates = restaurant.Outlets;
        if (cmd.OutletId is not null)
        {
            var outlet = restaurant.Outlets.FirstOrDefault(o => o.Id == cmd.OutletId);
            if (outlet is null) return new EngineResult(Outcome.Invalid, $"{restaurant.Id} has no outlet '{cmd.OutletId}'");
            candidates = [outlet];
        }

        // Earliest ready among open outlets that can take it. (The router refines this with zones, couriers and health.)
        KitchenEngine? best = null;
        Admission? bestAdmission = null;
        Admission? refusal = null;
        var anyOpen = false;
        foreach (var outlet in candidates)
        {
            if (!outlet.IsOpen(now)) continue;
            anyOpen = true;
            var kitchen = _kitchens[outlet.Id];
            var admission = candidates.Count == 1 ? null : kitchen.Evaluate(cmd.Lines, now);
            if (admission is { Accepted: false })
            {
                if (refusal is null || admission.RetryAfter < refusal.RetryAfter) refusal = admission;
                continue;
            }
            if (best is null || (admission is not null && admission.EstimatedReadyAt < bestAdmission!.EstimatedReadyAt))
            {
                best = kitchen;
                bestAdmission = admission;
            }
        }
        if (!anyOpen)
            return new EngineResult(Outcome.Unavailable, candidates.Count == 1 ? $"{candidates[0].Name} is closed now" : $"every {restaurant.Name} outlet is closed now");
        if (best is null)
            return new EngineResult(Outcome.Refused, refusal!.Reason, refusal.RetryAfter);

        var kitchenEvents = new List<IDomainEvent>();
        var accepted = best.TryQueueOrder(cmd.OrderId, cmd.Lines, now, kitchenEvents);
        if (!accepted.Accepted)
            return new EngineResult(accepted.RetryAfter > TimeSpan.Zero ? Outcome.Refused : Outcome.Invalid, accepted.Reason, accepted.RetryAfter);

        var total = 0;
        foreach (var line in cmd.Lines) total += restaurant.FindItem(line.MenuItemId)!.PriceCents * line.Quantity;
        var start = output.Count;
        EmitOrder(output, new OrderPlaced(cmd.OrderId, cmd.RestaurantId, cmd.OutletId, cmd.Lines, cmd.DeliverTo, cmd.CustomerId, total,
            cmd.HandoffCode, cmd.IdempotencyKey, cmd.RequestHash, now));
        EmitOrder(output, new OrderAccepted(cmd.OrderId, best.OutletId, accepted.EstimatedReadyAt, now));
        output.AddRange(kitchenEvents);
        React(output, start, now);
        return EngineResult.Ok(_orders[cmd.OrderId]);
    }

    public EngineResult CancelOrder(string orderId, string reason, string by, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return new EngineResult(Outcome.NotFound, $"no order {orderId}");
        if (!order.CanCancel) return new EngineResult(Outcome.Conflict, $"order {orderId} is {Describe(order.Status)} and can no longer be cancelled", Order: order);
        var start = output.Count;
        if (order.OutletId is not null && _kitchens.TryGetValue(order.OutletId, out var kitchen) && kitchen.HasOrder(orderId))
        {
            var withdrawn = kitchen.Withdraw(orderId, "cancelled: " + reason, now, output);
            if (!withdrawn.IsOk) return new EngineResult(Outcome.Conflict, withdrawn.Message, Order: order);
        }
        EmitOrder(output, new OrderCancelled(orderId, reason, by, now));
        React(output, start, now);
        return EngineResult.Ok(_orders[orderId]);
    }

    /// <summary>Staff hand a ready pickup order over the counter.</summary>
    public EngineResult CollectOrder(string orderId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return new EngineResult(Outcome.NotFound, $"no order {orderId}");
        if (!order.IsPickup) return new EngineResult(Outcome.Conflict, $"order {orderId} is for delivery, not pickup", Order: order);
        if (order.Status != OrderStatus.Ready) return new EngineResult(Outcome.Conflict, $"order {orderId} is {Describe(order.Status)}, not ready", Order: order);
        EmitOrder(output, new OrderCollected(orderId, now));
        return EngineResult.Ok(_orders[orderId]);
    }

    /// <summary>Run a kitchen command (staff at the kitchen display) and let orders react to it.</summary>
    public EngineResult AtKitchen(string outletId, DateTimeOffset now, List<IDomainEvent> output, Func<KitchenEngine, List<IDomainEvent>, KitchenResult> command)
    {
        if (!_kitchens.TryGetValue(outletId, out var kitchen)) return new EngineResult(Outcome.NotFound, $"no outlet {outletId}");
        var start = output.Count;
        var result = command(kitchen, output);
        React(output, start, now);
        var outcome = result.Outcome switch
        {
            KitchenOutcome.Ok => Outcome.Ok,
            KitchenOutcome.NotFound => Outcome.NotFound,
            KitchenOutcome.Conflict => Outcome.Conflict,
            KitchenOutcome.Stale => Outcome.Stale,
            _ => Outcome.Invalid,
        };
        return new EngineResult(outcome, result.Message, TaskId: result.TaskId, Token: result.Token);
    }

    /// <summary>
    /// Run every kitchen and delivery up to <paramref name="now"/>, in time order across all of
    /// them: the module with the earliest due timer runs to that instant, then the next. So a
    /// dispatch round never sees a dish ready in its future, and the events of the log are in the
    /// order they happened. On a tie, kitchens go first.
    /// </summary>
    public void Advance(DateTimeOffset now, List<IDomainEvent> output)
    {
        while (true)
        {
            KitchenEngine? next = null;
            var due = DateTimeOffset.MaxValue;
            foreach (var k in _kitchens.Values)
            {
                var d = k.NextDueAt;
                if (d < due) { due = d; next = k; }
            }
            var deliveryDue = _delivery.NextDueAt;
            if (deliveryDue < due) { due = deliveryDue; next = null; }
            if (due > now) return;
            if (due == DateTimeOffset.MinValue) due = now; // a module that has not started yet starts now
            var start = output.Count;
            if (next is not null) next.Advance(due, output);
            else _delivery.Advance(due, output);
            React(output, start, due);
        }
    }

    /// <summary>Run a delivery command (couriers) and let orders react.</summary>
    public EngineResult AtDelivery(DateTimeOffset now, List<IDomainEvent> output, Func<DeliveryEngine, List<IDomainEvent>, DeliveryResult> command)
    {
        var start = output.Count;
        var result = command(_delivery, output);
        React(output, start, now);
        var outcome = result.Outcome switch
        {
            DeliveryOutcome.Ok => Outcome.Ok,
            DeliveryOutcome.NotFound => Outcome.NotFound,
            DeliveryOutcome.Conflict => Outcome.Conflict,
            _ => Outcome.Invalid,
        };
        return new EngineResult(outcome, result.Message);
    }

    /// <summary>Drop terminal orders that ended before <paramref name="before"/> from memory; the log and read models keep them.</summary>
    public int ForgetTerminalOrders(DateTimeOffset before)
    {
        var gone = _orders.Values.Where(o => o.IsTerminal && EndedAt(o) < before).Select(o => o.Id).ToList();
        foreach (var id in gone) _orders.Remove(id);
        return gone.Count;
    }

    private static DateTimeOffset EndedAt(Order o) =>
        o.Timeline.DeliveredAt ?? o.Timeline.CollectedAt ?? o.Timeline.CancelledAt ?? o.Timeline.RejectedAt ?? o.Timeline.FailedAt ?? DateTimeOffset.MinValue;

    // ------------------------------------------------------------------ the process joining kitchens and orders

    /// <summary>
    /// React to what the kitchens did, in order: the first step started makes the order
    /// "preparing"; progress may revise its estimate; the last ticket done makes it "ready"; a
    /// ticket out of retries fails it. Reactions append further events to the same list.
    /// </summary>
    private void React(List<IDomainEvent> output, int from, DateTimeOffset now)
    {
        for (var i = from; i < output.Count; i++)
        {
            switch (output[i])
            {
                case TaskStarted { OrderId: { } id } s when _orders.TryGetValue(id, out var o) && o.Status == OrderStatus.Accepted:
                    EmitOrder(output, new OrderPreparing(id, s.At));
                    break;
                case TaskCompleted { OrderId: { } id } c:
                    ReviseEstimate(id, c.At, output);
                    break;
                case TaskReturned { OrderId: { } id } r:
                    ReviseEstimate(id, r.At, output);
                    break;
                case OrderCooked c when _orders.TryGetValue(c.OrderId, out var o) && !o.IsTerminal:
                    EmitOrder(output, new OrderReady(c.OrderId, o.InitialEstimatedReadyAt ?? c.At, o.EstimatedReadyAt ?? c.At, c.At));
                    break;
                case OrderCookingFailed f when _orders.TryGetValue(f.OrderId, out var o) && !o.IsTerminal:
                    EmitOrder(output, new OrderFailed(f.OrderId, $"kitchen {f.OutletId}: {f.Reason}", f.At));
                    break;
            }
        }
    }

    private void ReviseEstimate(string orderId, DateTimeOffset at, List<IDomainEvent> output)
    {
        if (!_orders.TryGetValue(orderId, out var order) || order.IsTerminal || order.OutletId is null) return;
        if (!_kitchens.TryGetValue(order.OutletId, out var kitchen)) return;
        var estimate = kitchen.EstimateReady(orderId, at);
        if (estimate is null || order.EstimatedReadyAt is not { } current) return;
        if ((estimate.Value - current).Duration() >= _options.EstimateRevisionThreshold)
        {
            var reason = estimate > current ? "kitchen running behind" : "kitchen running ahead";
            EmitOrder(output, new OrderEstimateUpdated(orderId, estimate.Value, reason, at));
        }
    }

    private void EmitOrder(List<IDomainEvent> output, IOrderEvent e)
    {
        Apply(e);
        output.Add(e);
    }

    private static string Describe(OrderStatus s) => s switch
    {
        OrderStatus.CourierAssigned => "courier assigned",
        OrderStatus.PickedUp => "picked up",
        _ => s.ToString().ToLowerInvariant(),
    };
}
