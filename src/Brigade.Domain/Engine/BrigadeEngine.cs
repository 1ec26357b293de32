using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Geo;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Routing;

namespace Brigade.Engine;

public sealed record EngineOptions
{
    public KitchenOptions Kitchen { get; init; } = new();
    /// <summary>A customer hears about a new estimate only when it moves by at least this much.</summary>
    public TimeSpan EstimateRevisionThreshold { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>An order still waiting for its payment's authorisation this long after it was placed is cancelled.</summary>
    public TimeSpan PaymentTimeout { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Outlets whose heartbeats come from a device through the API; the others' are simulated by the engine.</summary>
    public IReadOnlyList<string> DeviceHeartbeatOutlets { get; init; } = [];
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
    string? HandoffCode = null,
    bool RequiresPayment = false);

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

/// <param name="Code">A stable slug for the reason (e.g. <c>outside-delivery-zone</c>), for the API's problem type.</param>
public sealed record EngineResult(Outcome Outcome, string? Message = null, TimeSpan RetryAfter = default, Order? Order = null, long TaskId = 0, long Token = 0, string? Code = null)
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
    // Orders waiting for payment, by deadline; entries whose order has moved on are skipped when due.
    private readonly PriorityQueue<string, DateTimeOffset> _paymentDeadlines = new();
    private readonly DeliveryEngine _delivery;
    private readonly Router _router;

    public BrigadeEngine(RestaurantCatalog catalog, EngineOptions? options = null)
    {
        Catalog = catalog;
        _options = options ?? new EngineOptions();
        foreach (var outlet in catalog.Outlets) _kitchens[outlet.Id] = new KitchenEngine(outlet, _options.Kitchen);
        _delivery = new DeliveryEngine(catalog, EmitTo);
        _router = new Router(catalog, EmitTo, _options.DeviceHeartbeatOutlets);
    }

    public DeliveryEngine Delivery => _delivery;
    public Router Router => _router;

    private void EmitTo(List<IDomainEvent> output, IDomainEvent e)
    {
        Apply(e);
        output.Add(e);
    }

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
                if (o is Payments.PaymentRequired pr) _paymentDeadlines.Enqueue(pr.OrderId, pr.At + _options.PaymentTimeout);
                break;
            case IKitchenEvent k:
                if (_kitchens.TryGetValue(k.OutletId, out var kitchen)) kitchen.Apply(k);
                break;
            case ICourierEvent c:
                _delivery.Apply(c);
                break;
            case OutletEvent o:
                _router.Apply(o);
                break;
            case Alerts.IOperationalEvent:
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
            var r = _router.NextDueAt;
            if (r < due) due = r;
            if (_paymentDeadlines.TryPeek(out _, out var p) && p < due) due = p;
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

        // Choose the outlet: the one asked for, or the router's ranking; spill over to the next when a kitchen is full.
        RoutePlan plan;
        if (cmd.OutletId is not null)
        {
            var outlet = restaurant.Outlets.FirstOrDefault(o => o.Id == cmd.OutletId);
            if (outlet is null) return new EngineResult(Outcome.Invalid, $"{restaurant.Id} has no outlet '{cmd.OutletId}'");
            if (_router.Unavailable(outlet, now) is { } why) return new EngineResult(Outcome.Unavailable, $"{outlet.Name} is {why} now", Code: "outlet-unavailable");
            if (cmd.DeliverTo is { } to && !outlet.Zone.Contains(to))
                return new EngineResult(Outcome.Invalid, $"{outlet.Name} does not deliver to ({to.Lat}, {to.Lon}): the address is outside its delivery zone", Code: "outside-delivery-zone");
            plan = new RoutePlan([outlet], [Assess(outlet, cmd.DeliverTo, cmd.Lines, now)], "requested outlet", null, false);
        }
        else
        {
            plan = Route(restaurant, cmd.DeliverTo, cmd.Lines, now);
            if (plan.Ranked.Count == 0)
            {
                if (plan.OutsideEveryZone)
                    return new EngineResult(Outcome.Invalid, $"no {restaurant.Name} outlet delivers to ({cmd.DeliverTo!.Value.Lat}, {cmd.DeliverTo.Value.Lon}): the address is outside every delivery zone", Code: "outside-delivery-zone");
                var reasons = string.Join("; ", plan.Candidates.Select(c => $"{c.OutletId}: {c.Why}"));
                return new EngineResult(Outcome.Unavailable, $"no {restaurant.Name} outlet can take this order now ({reasons})", Code: "outlet-unavailable");
            }
        }

        if (cmd.RequiresPayment)
        {
            // No kitchen takes it before the payment is authorised (AuthorizePayment).
            var amount = 0;
            foreach (var line in cmd.Lines) amount += restaurant.FindItem(line.MenuItemId)!.PriceCents * line.Quantity;
            EmitOrder(output, new OrderPlaced(cmd.OrderId, cmd.RestaurantId, cmd.OutletId, cmd.Lines, cmd.DeliverTo, cmd.CustomerId, amount,
                cmd.HandoffCode, cmd.IdempotencyKey, cmd.RequestHash, now));
            EmitOrder(output, new Payments.PaymentRequired(cmd.OrderId, amount, now));
            return EngineResult.Ok(_orders[cmd.OrderId]);
        }

        KitchenEngine? best = null;
        Admission? accepted = null;
        Admission? refusal = null;
        Admission? never = null;
        var kitchenEvents = new List<IDomainEvent>();
        var spilled = new List<string>();
        foreach (var outlet in plan.Ranked)
        {
            var kitchen = _kitchens[outlet.Id];
            var admission = kitchen.TryQueueOrder(cmd.OrderId, cmd.Lines, now, kitchenEvents);
            if (admission.Accepted)
            {
                best = kitchen;
                accepted = admission;
                break;
            }
            // A kitchen that could never take it (no retry) passes it on like a full one: outlets differ in
            // their queues, and another may hold it. Only when none could ever is the order itself at fault.
            spilled.Add(PassedOn(outlet.Id, admission));
            if (admission.RetryAfter <= TimeSpan.Zero)
            {
                never ??= admission;
                continue;
            }
            if (refusal is null || admission.RetryAfter < refusal.RetryAfter) refusal = admission;
        }
        if (best is null)
            return refusal is not null ? new EngineResult(Outcome.Refused, refusal.Reason, refusal.RetryAfter) : new EngineResult(Outcome.Invalid, never!.Reason);
        var routeReason = RouteReason(plan.Reason, spilled);

        var total = 0;
        foreach (var line in cmd.Lines) total += restaurant.FindItem(line.MenuItemId)!.PriceCents * line.Quantity;
        var start = output.Count;
        EmitOrder(output, new OrderPlaced(cmd.OrderId, cmd.RestaurantId, cmd.OutletId, cmd.Lines, cmd.DeliverTo, cmd.CustomerId, total,
            cmd.HandoffCode, cmd.IdempotencyKey, cmd.RequestHash, now));
        EmitOrder(output, new OrderRouted(cmd.OrderId, best.OutletId, routeReason, plan.Candidates, now));
        EmitOrder(output, new OrderAccepted(cmd.OrderId, best.OutletId, accepted!.EstimatedReadyAt, now));
        output.AddRange(kitchenEvents);
        React(output, start, now);
        return EngineResult.Ok(_orders[cmd.OrderId]);
    }

    /// <summary>
    /// The provider authorised an order's payment: record it, then give the order to the best
    /// kitchen that takes it now, or reject it when none can (the host then voids the payment).
    /// Authorising the same payment again changes nothing.
    /// </summary>
    public EngineResult AuthorizePayment(string orderId, string paymentId, int amountCents, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return new EngineResult(Outcome.NotFound, $"no order {orderId}");
        if (order.Payment == Payments.PaymentStatus.Authorized && order.PaymentId == paymentId) return EngineResult.Ok(order);
        if (order.Payment != Payments.PaymentStatus.Pending || order.Status != OrderStatus.Placed)
            return new EngineResult(Outcome.Conflict, $"order {orderId} is {Describe(order.Status)} and not waiting for a payment", Order: order);
        if (amountCents != order.TotalCents) return new EngineResult(Outcome.Invalid, $"the payment is for {amountCents} cents, the order costs {order.TotalCents}", Order: order);
        var start = output.Count;
        EmitOrder(output, new Payments.PaymentAuthorized(orderId, paymentId, amountCents, now));
        var restaurant = Catalog.FindRestaurant(order.RestaurantId)!;
        IReadOnlyList<Outlet> ranked;
        var reason = "requested outlet";
        IReadOnlyList<RouteCandidate> candidates;
        if (order.OutletId is { } requested && Catalog.FindOutlet(requested) is { } outlet)
        {
            ranked = _router.Unavailable(outlet, now) is null ? [outlet] : [];
            candidates = [Assess(outlet, order.DeliverTo, order.Lines, now)];
        }
        else
        {
            var plan = Route(restaurant, order.DeliverTo, order.Lines, now);
            ranked = plan.Ranked;
            reason = plan.Reason;
            candidates = plan.Candidates;
        }
        // Spill-over as for an order placed unpaid: a kitchen that refuses passes the order on, and the
        // record says so (the first choice's reason would name an outlet the order did not go to).
        var spilled = new List<string>();
        foreach (var o in ranked)
        {
            var kitchenEvents = new List<IDomainEvent>();
            var admission = _kitchens[o.Id].TryQueueOrder(orderId, order.Lines, now, kitchenEvents);
            if (!admission.Accepted)
            {
                spilled.Add(PassedOn(o.Id, admission));
                continue;
            }
            EmitOrder(output, new OrderRouted(orderId, o.Id, RouteReason(reason, spilled), candidates, now));
            EmitOrder(output, new OrderAccepted(orderId, o.Id, admission.EstimatedReadyAt, now));
            output.AddRange(kitchenEvents);
            React(output, start, now);
            return EngineResult.Ok(_orders[orderId]);
        }
        EmitOrder(output, new OrderRejected(orderId, "no outlet can take the order now", now));
        return EngineResult.Ok(_orders[orderId]);
    }

    /// <summary>Why a kitchen tried for an order passed it on: full for now, or unable ever to take it.</summary>
    private static string PassedOn(string outletId, Admission refusal) =>
        refusal.RetryAfter <= TimeSpan.Zero ? $"{outletId} cannot take it ({refusal.Reason})" : $"{outletId} is full ({refusal.Reason})";

    /// <summary>The reason <see cref="OrderRouted"/> records: the router's, unless kitchens before the chosen one passed the order on.</summary>
    private static string RouteReason(string planned, List<string> spilled) =>
        spilled.Count == 0 ? planned : $"spill-over: {string.Join("; ", spilled)}";

    /// <summary>The provider declined an order's payment: the order is rejected.</summary>
    public EngineResult DeclinePayment(string orderId, string paymentId, string reason, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return new EngineResult(Outcome.NotFound, $"no order {orderId}");
        if (order.Payment == Payments.PaymentStatus.Declined) return EngineResult.Ok(order);
        if (order.Payment != Payments.PaymentStatus.Pending || order.Status != OrderStatus.Placed)
            return new EngineResult(Outcome.Conflict, $"order {orderId} is {Describe(order.Status)} and not waiting for a payment", Order: order);
        EmitOrder(output, new Payments.PaymentDeclined(orderId, paymentId, reason, now));
        EmitOrder(output, new OrderRejected(orderId, "payment declined: " + reason, now));
        return EngineResult.Ok(_orders[orderId]);
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
        object? lastModule = null;
        var lastDue = DateTimeOffset.MinValue;
        var lastCount = -1;
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
            var routerDue = _router.NextDueAt;
            var module = next is null ? 0 : 1;
            if (deliveryDue < due) { due = deliveryDue; module = 2; }
            if (routerDue < due) { due = routerDue; module = 3; }
            if (_paymentDeadlines.TryPeek(out _, out var paymentDue) && paymentDue < due) { due = paymentDue; module = 4; }
            if (due > now) return;
            if (due == DateTimeOffset.MinValue) due = now; // a module that has not started yet starts now
            // A module that says it is due but does nothing when advanced would spin this loop for
            // ever: fail loudly instead (the host rebuilds the engine from the log and says why).
            object current = module switch { 1 => next!, 2 => _delivery, 3 => _router, _ => _paymentDeadlines };
            if (ReferenceEquals(current, lastModule) && due == lastDue && output.Count == lastCount)
                throw new InvalidOperationException($"{(next is not null && module == 1 ? "kitchen " + next.OutletId : "module " + module)} reports work due at {due:O} but advancing it changed nothing");
            (lastModule, lastDue, lastCount) = (current, due, output.Count);
            var start = output.Count;
            switch (module)
            {
                case 1: next!.Advance(due, output); break;
                case 2: _delivery.Advance(due, output); break;
                case 4: ExpireUnpaid(due, output); break;
                default:
                    foreach (var outlet in _router.Advance(due, output)) FailOver(outlet, "the outlet went silent (no heartbeat)", due, output);
                    break;
            }
            React(output, start, due);
        }
    }

    /// <summary>
    /// Orders whose payment was not authorised in time are cancelled, so that nothing waits in
    /// <c>placed</c> for ever when a provider never answers; a late authorisation then finds the
    /// order cancelled and is refused.
    /// </summary>
    private void ExpireUnpaid(DateTimeOffset now, List<IDomainEvent> output)
    {
        while (_paymentDeadlines.TryPeek(out var orderId, out var deadline) && deadline <= now)
        {
            _paymentDeadlines.Dequeue();
            if (_orders.TryGetValue(orderId, out var order) && order.Status == OrderStatus.Placed && order.Payment == Payments.PaymentStatus.Pending)
                EmitOrder(output, new OrderCancelled(orderId, $"the payment was not authorised within {_options.PaymentTimeout.TotalMinutes:0} minutes", "system", now));
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

    /// <summary>The router's ranking of a restaurant's outlets for an order, from each kitchen's quick estimate and delivery's courier availability.</summary>
    public RoutePlan Route(Restaurant restaurant, GeoPoint? deliverTo, IReadOnlyList<OrderLine> lines, DateTimeOffset now, string? exclude = null) =>
        _router.Rank(restaurant, deliverTo, lines, now, o => _kitchens[o.Id].FastEstimate(lines, now), o => _delivery.CourierEtaTo(o.Id), exclude);

    /// <summary>The outlet an order asked for, weighed as the router weighs each of its candidates (for the record, and the plan to the door).</summary>
    private RouteCandidate Assess(Outlet outlet, GeoPoint? deliverTo, IReadOnlyList<OrderLine> lines, DateTimeOffset now) =>
        _router.Assess(outlet, deliverTo, now, o => _kitchens[o.Id].FastEstimate(lines, now), o => _delivery.CourierEtaTo(o.Id), null, out _);

    /// <summary>
    /// Move every order of an outlet that has not started cooking to the next best outlet that
    /// takes it, with an <see cref="OrderRerouted"/> that says why and gives the new estimate. An
    /// order no other outlet can take stays where it is (the outlet may come back).
    /// </summary>
    public int FailOver(string outletId, string reason, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_kitchens.TryGetValue(outletId, out var from)) return 0;
        var moved = 0;
        foreach (var orderId in from.UnstartedOrders())
        {
            if (!_orders.TryGetValue(orderId, out var order) || order.IsTerminal) continue;
            var restaurant = Catalog.FindRestaurant(order.RestaurantId)!;
            var plan = Route(restaurant, order.DeliverTo, order.Lines, now, exclude: outletId);
            foreach (var outlet in plan.Ranked)
            {
                var queued = new List<IDomainEvent>();
                var admission = _kitchens[outlet.Id].TryQueueOrder(orderId, order.Lines, now, queued);
                if (!admission.Accepted) continue;
                var start = output.Count;
                from.Withdraw(orderId, $"moved to {outlet.Id}: {reason}", now, output);
                EmitOrder(output, new OrderRerouted(orderId, outletId, outlet.Id, $"{outletId}: {reason}", plan.Candidates, admission.EstimatedReadyAt, now));
                output.AddRange(queued);
                React(output, start, now);
                moved++;
                break;
            }
        }
        return moved;
    }

    /// <summary>Staff or an admin pause an outlet: no new orders; with <paramref name="moveQueued"/> its unstarted orders move.</summary>
    public EngineResult PauseOutlet(string outletId, string by, string reason, bool moveQueued, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (Catalog.FindOutlet(outletId) is null) return new EngineResult(Outcome.NotFound, $"no outlet {outletId}");
        if (_router.IsPaused(outletId)) return new EngineResult(Outcome.Conflict, $"{outletId} is already paused");
        EmitTo(output, new OutletPaused(outletId, by, reason, moveQueued, now));
        if (moveQueued) FailOver(outletId, $"paused by {by}" + (reason.Length > 0 ? $": {reason}" : ""), now, output);
        return EngineResult.Ok();
    }

    public EngineResult ResumeOutlet(string outletId, string by, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (Catalog.FindOutlet(outletId) is null) return new EngineResult(Outcome.NotFound, $"no outlet {outletId}");
        if (!_router.IsPaused(outletId)) return new EngineResult(Outcome.Conflict, $"{outletId} is not paused");
        EmitTo(output, new OutletResumed(outletId, by, now));
        return EngineResult.Ok();
    }

    /// <summary>A heartbeat from an outlet's device.</summary>
    public EngineResult OutletHeartbeat(string outletId, DateTimeOffset now, List<IDomainEvent> output) =>
        _router.Heartbeat(outletId, now, output) ? EngineResult.Ok() : new EngineResult(Outcome.NotFound, $"no outlet {outletId}");

    /// <summary>Cut or restore the simulated power of an outlet (demos, drills, the simulator's incidents).</summary>
    public EngineResult SetOutletPower(string outletId, bool on, string by, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (Catalog.FindOutlet(outletId) is null) return new EngineResult(Outcome.NotFound, $"no outlet {outletId}");
        if (_router.IsPowerCut(outletId) == !on) return new EngineResult(Outcome.Conflict, $"{outletId}'s power is already {(on ? "on" : "cut")}");
        EmitTo(output, on ? new OutletPowerRestored(outletId, by, now) : new OutletPowerCut(outletId, by, now));
        return EngineResult.Ok();
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
