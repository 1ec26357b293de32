using Brigade.Catalog;
using Brigade.Geo;
using Brigade.Orders;

namespace Brigade.Routing;

/// <summary>How an outlet is doing, as the router sees it.</summary>
public sealed record OutletHealth(string OutletId, string Status, bool Open, bool Paused, string? PausedBy, string? PauseReason, bool Silent, bool PowerCut, DateTimeOffset? LastHeartbeatAt);

/// <summary>The router's ranking for one order: the outlets to try, best first, and every candidate weighed.</summary>
public sealed record RoutePlan(IReadOnlyList<Outlet> Ranked, IReadOnlyList<RouteCandidate> Candidates, string Reason, string? LocalOutletId, bool OutsideEveryZone);

/// <summary>
/// The central unit that picks the outlet for an order: the one that can deliver soonest (ready
/// soonest, for pickup), among those open, not paused, not silent, and whose zone covers the
/// address; the local (nearest) outlet unless another is sooner by a margin, so orders do not flap
/// between outlets. It also keeps each outlet's health: heartbeats (simulated by the engine for
/// outlets whose catalog says so, or sent by a device), pauses, silences, recoveries.
/// <para>Pure: time comes in, events go out through the engine; the health flags are a fold.</para>
/// </summary>
public sealed class Router
{
    private sealed class Health
    {
        public required Outlet Outlet;
        public bool Paused;
        public string? PausedBy;
        public string? PauseReason;
        public bool Silent;
        public bool PowerCut;
        public DateTimeOffset PowerCutAt;
        public DateTimeOffset LastHeartbeat = DateTimeOffset.MinValue;
    }

    private readonly RestaurantCatalog _catalog;
    private readonly RoutingSpec _spec;
    private readonly FleetSpec _fleet;
    private readonly Dictionary<string, Health> _health = new(StringComparer.Ordinal);
    private readonly Action<List<IDomainEvent>, IDomainEvent> _emit;
    private readonly HashSet<string> _deviceHeartbeats;
    private bool _started;

    /// <param name="deviceHeartbeats">Outlets whose heartbeats come from a device (the API); every other outlet's are simulated.</param>
    public Router(RestaurantCatalog catalog, Action<List<IDomainEvent>, IDomainEvent> emit, IEnumerable<string>? deviceHeartbeats = null)
    {
        _catalog = catalog;
        _spec = catalog.Routing;
        _fleet = catalog.Fleet;
        _emit = emit;
        _deviceHeartbeats = new HashSet<string>(deviceHeartbeats ?? [], StringComparer.Ordinal);
        foreach (var o in catalog.Outlets) _health[o.Id] = new Health { Outlet = o };
    }

    public RoutingSpec Options => _spec;

    // ------------------------------------------------------------------ health

    public void Apply(IDomainEvent e)
    {
        if (e is not OutletEvent oe || !_health.TryGetValue(oe.OutletId, out var h)) return;
        switch (e)
        {
            case OutletPaused p: h.Paused = true; h.PausedBy = p.By; h.PauseReason = p.Reason; break;
            case OutletResumed: h.Paused = false; h.PausedBy = null; h.PauseReason = null; break;
            case OutletWentSilent: h.Silent = true; break;
            case OutletRecovered r: h.Silent = false; h.LastHeartbeat = r.At; break;
            case OutletPowerCut c: h.PowerCut = true; h.PowerCutAt = c.At; break;
            case OutletPowerRestored r: h.PowerCut = false; h.LastHeartbeat = r.At; break;
        }
    }

    /// <summary>A heartbeat from an outlet's device. A silent outlet that beats again has recovered.</summary>
    public bool Heartbeat(string outletId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_health.TryGetValue(outletId, out var h)) return false;
        if (h.PowerCut) return true; // its power is cut: the beat does not count, and the outlet is found silent as if it had stopped
        if (now > h.LastHeartbeat) h.LastHeartbeat = now;
        if (h.Silent) _emit(output, new OutletRecovered(outletId, now));
        return true;
    }

    /// <summary>When the next outlet would go silent (or a simulated one recover), if nothing else happens.</summary>
    public DateTimeOffset NextDueAt
    {
        get
        {
            // Not started yet: due at once, so that Advance starts every device's grace period.
            if (!_started && _deviceHeartbeats.Count > 0) return DateTimeOffset.MinValue;
            var due = DateTimeOffset.MaxValue;
            foreach (var h in _health.Values)
            {
                var d = Due(h);
                if (d < due) due = d;
            }
            return due;
        }
    }

    private DateTimeOffset Due(Health h)
    {
        var simulated = !_deviceHeartbeats.Contains(h.Outlet.Id);
        if (simulated)
        {
            // A simulated outlet beats continuously, unless its power is cut.
            if (h.PowerCut && !h.Silent) return h.PowerCutAt + _spec.SilentAfter;
            if (!h.PowerCut && h.Silent) return DateTimeOffset.MinValue; // power is back: recover now
            return DateTimeOffset.MaxValue;
        }
        if (h.Silent) return DateTimeOffset.MaxValue;
        return h.LastHeartbeat + _spec.SilentAfter;
    }

    /// <summary>Detect outlets gone silent (and simulated ones whose power came back) up to <paramref name="now"/>.</summary>
    public IReadOnlyList<string> Advance(DateTimeOffset now, List<IDomainEvent> output)
    {
        List<string>? silenced = null;
        if (!_started)
        {
            // Start-up (or a restart): heartbeats are not in the log, so every device gets a grace period
            // from now; a device that never beats at all is then found silent like one that stopped.
            _started = true;
            foreach (var h in _health.Values)
                if (h.LastHeartbeat < now) h.LastHeartbeat = now;
        }
        foreach (var h in _health.Values)
        {
            var due = Due(h);
            if (due > now) continue;
            if (h.Silent)
            {
                _emit(output, new OutletRecovered(h.Outlet.Id, now));
                continue;
            }
            var at = due == DateTimeOffset.MinValue ? now : due;
            var last = _deviceHeartbeats.Contains(h.Outlet.Id) ? h.LastHeartbeat : h.PowerCutAt;
            _emit(output, new OutletWentSilent(h.Outlet.Id, last, at));
            (silenced ??= []).Add(h.Outlet.Id);
        }
        return silenced ?? (IReadOnlyList<string>)[];
    }

    public OutletHealth HealthOf(string outletId, DateTimeOffset now)
    {
        var h = _health[outletId];
        var open = h.Outlet.IsOpen(now);
        var status = h.Silent ? "silent" : h.Paused ? "paused" : !open ? "closed" : "open";
        DateTimeOffset? last = !_deviceHeartbeats.Contains(outletId) ? (h.PowerCut ? h.PowerCutAt : now)
            : h.LastHeartbeat == DateTimeOffset.MinValue ? null : h.LastHeartbeat;
        return new OutletHealth(outletId, status, open, h.Paused, h.PausedBy, h.PauseReason, h.Silent, h.PowerCut, last);
    }

    public bool IsPaused(string outletId) => _health[outletId].Paused;

    public bool IsPowerCut(string outletId) => _health[outletId].PowerCut;

    /// <summary>Why an outlet takes no new orders right now, or null if it does.</summary>
    public string? Unavailable(Outlet outlet, DateTimeOffset now)
    {
        var h = _health[outlet.Id];
        if (h.Silent) return "silent (no heartbeat)";
        if (h.Paused) return "paused" + (h.PauseReason is { Length: > 0 } r ? $": {r}" : "");
        if (!outlet.IsOpen(now)) return "closed";
        return null;
    }

    // ------------------------------------------------------------------ ranking

    /// <summary>
    /// Rank a restaurant's outlets for an order. Each eligible outlet's promise combines the
    /// kitchen's estimate for this order there, courier availability near it, and the ride to the
    /// customer; pickup orders are ranked by ready time. The chosen outlet is the local one (nearest
    /// to the customer) unless another promises sooner by at least the locality margin; the rest
    /// follow in order of promise, for spill-over when the chosen kitchen turns out to be full.
    /// </summary>
    /// <param name="exclude">An outlet to leave out (the one an order is moving away from).</param>
    public RoutePlan Rank(Restaurant restaurant, GeoPoint? deliverTo, IReadOnlyList<OrderLine> lines, DateTimeOffset now,
        Func<Outlet, DateTimeOffset?> kitchenReady, Func<Outlet, TimeSpan?> courierToOutlet, string? exclude = null)
    {
        var outlets = restaurant.Outlets;
        var candidates = new RouteCandidate[outlets.Count];
        var promised = new DateTimeOffset[outlets.Count];
        var eligible = new bool[outlets.Count];
        var outsideEveryZone = deliverTo is not null;
        Outlet? local = null;
        var localIndex = -1;
        var localDistance = double.MaxValue;
        for (var i = 0; i < outlets.Count; i++)
        {
            var o = outlets[i];
            var candidate = Assess(o, deliverTo, now, kitchenReady, courierToOutlet, exclude, out var km);
            candidates[i] = candidate;
            // An eligible delivery outlet contains the address; only the others need asking.
            if (outsideEveryZone && deliverTo is { } dest && (candidate.Eligible || o.Zone.Contains(dest))) outsideEveryZone = false;
            if (!candidate.Eligible) continue;
            if (deliverTo is not null && km < localDistance)
            {
                localDistance = km.Value;
                local = o;
                localIndex = i;
            }
            eligible[i] = true;
            promised[i] = candidate.PromisedAt!.Value;
        }

        var order = Enumerable.Range(0, outlets.Count).Where(i => eligible[i]).OrderBy(i => promised[i]).ThenBy(i => i).ToList();
        if (order.Count == 0) return new RoutePlan([], candidates, "no outlet can take it", null, outsideEveryZone);

        var best = order[0];
        string reason;
        int chosen;
        if (localIndex < 0)
        {
            chosen = best;
            reason = deliverTo is null ? "ready soonest" : "promised soonest";
        }
        else if (best != localIndex && promised[best] <= promised[localIndex] - _spec.LocalityMargin)
        {
            chosen = best;
            reason = $"sooner by {Minutes(promised[localIndex] - promised[best])} than the local outlet {local!.Id} (margin {Minutes(_spec.LocalityMargin)})";
        }
        else
        {
            chosen = localIndex;
            reason = best == localIndex ? "local outlet, and the soonest" : $"local outlet (another is sooner by only {Minutes(promised[localIndex] - promised[best])})";
        }
        order.Remove(chosen);
        order.Insert(0, chosen);
        return new RoutePlan(order.Select(i => outlets[i]).ToList(), candidates, reason, local?.Id, false);
    }

    /// <summary>
    /// One outlet weighed for an order: why it cannot take it, or when the kitchen would have it
    /// ready and when it would be promised (ready for pickup; for delivery, when a courier can be
    /// there too, plus pickup, the ride and half the drop-off).
    /// </summary>
    /// <param name="km">The distance to the customer, unrounded; null for pickup.</param>
    public RouteCandidate Assess(Outlet o, GeoPoint? deliverTo, DateTimeOffset now, Func<Outlet, DateTimeOffset?> kitchenReady,
        Func<Outlet, TimeSpan?> courierToOutlet, string? exclude, out double? km)
    {
        km = deliverTo is { } to ? GeoPoint.HaversineMetres(o.Location, to) / 1000 : null;
        var why = o.Id == exclude ? "the order is moving away from it" : Unavailable(o, now);
        if (why is null && deliverTo is { } dest && !o.Zone.Contains(dest)) why = "the address is outside its delivery zone";
        DateTimeOffset? ready = null;
        if (why is null)
        {
            ready = kitchenReady(o);
            if (ready is null) why = "its kitchen cannot cook this order now";
        }
        if (why is not null) return new RouteCandidate(o.Id, false, why, Round(km), null, null);
        var promise = ready!.Value;
        if (deliverTo is not null)
        {
            var courierAt = now + (courierToOutlet(o) ?? _spec.NoCourierPenalty);
            if (courierAt > promise) promise = courierAt;
            var ride = TimeSpan.FromSeconds(km!.Value * 1000 * _fleet.DetourFactor / _fleet.SpeedMetresPerSecond);
            promise += _fleet.PickupService + ride + _fleet.DropoffService / 2;
        }
        return new RouteCandidate(o.Id, true, null, Round(km), ready, promise);
    }

    private static double? Round(double? km) => km is { } v ? Math.Round(v, 3) : null;

    private static string Minutes(TimeSpan t) => $"{t.TotalMinutes:0.#} min";
}

/// <summary>An admin cut the (simulated) power of an outlet: its heartbeats stop, and it will be found silent.</summary>
public sealed record OutletPowerCut(string OutletId, string By, DateTimeOffset At) : OutletEvent(OutletId, At);

/// <summary>The simulated power is back: heartbeats resume.</summary>
public sealed record OutletPowerRestored(string OutletId, string By, DateTimeOffset At) : OutletEvent(OutletId, At);
