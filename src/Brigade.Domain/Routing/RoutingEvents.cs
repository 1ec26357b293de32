using Brigade.Orders;

namespace Brigade.Routing;

/// <summary>One outlet as the router weighed it for an order.</summary>
/// <param name="Eligible">Open, not paused, not silent, delivering to the address (or a pickup order).</param>
/// <param name="Why">Why it was not eligible, or null.</param>
/// <param name="DistanceKm">From the outlet to the customer (null for pickup).</param>
/// <param name="ReadyAt">The kitchen's estimate for this order there.</param>
/// <param name="PromisedAt">Ready time for pickup; the door for delivery (ready, courier, ride).</param>
public sealed record RouteCandidate(string OutletId, bool Eligible, string? Why, double? DistanceKm, DateTimeOffset? ReadyAt, DateTimeOffset? PromisedAt)
{
    /// <summary>From ready to the door as planned at <paramref name="outletId"/> for a delivery order; null for pickup or without a plan.</summary>
    public static TimeSpan? ReadyToDoor(IReadOnlyList<RouteCandidate> candidates, string outletId, Order order)
    {
        if (order.IsPickup) return null;
        foreach (var c in candidates)
            if (c.OutletId == outletId)
                return c is { ReadyAt: { } ready, PromisedAt: { } promised } && promised > ready ? promised - ready : null;
        return null;
    }
}

/// <summary>The router chose an outlet for an order, and why; every candidate it weighed is recorded.</summary>
public sealed record OrderRouted(string OrderId, string OutletId, string Reason, IReadOnlyList<RouteCandidate> Candidates, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with { OutletId = OutletId, PlannedReadyToDoor = RouteCandidate.ReadyToDoor(Candidates, OutletId, order) };
}

/// <summary>An order moved to another outlet before any of its cooking started, and why; the customer is told the new estimate.</summary>
public sealed record OrderRerouted(
    string OrderId,
    string FromOutletId,
    string ToOutletId,
    string Reason,
    IReadOnlyList<RouteCandidate> Candidates,
    DateTimeOffset EstimatedReadyAt,
    DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with
    {
        OutletId = ToOutletId,
        EstimatedReadyAt = EstimatedReadyAt,
        PlannedReadyToDoor = RouteCandidate.ReadyToDoor(Candidates, ToOutletId, order),
    };
}

/// <summary>An event of an outlet's stream (<c>outlet-{OutletId}</c>): its health, as the router sees it.</summary>
public abstract record OutletEvent(string OutletId, DateTimeOffset At) : IStreamEvent
{
    StreamKey IStreamEvent.Stream => new(StreamKind.Outlet, OutletId);
}

/// <summary>Staff or an admin paused the outlet: no new orders. With <paramref name="MoveQueued"/>, its orders not yet started move elsewhere.</summary>
public sealed record OutletPaused(string OutletId, string By, string Reason, bool MoveQueued, DateTimeOffset At) : OutletEvent(OutletId, At);

public sealed record OutletResumed(string OutletId, string By, DateTimeOffset At) : OutletEvent(OutletId, At);

/// <summary>No heartbeat for longer than the threshold (a power cut, a lost line): no new orders, and its orders not yet started move.</summary>
public sealed record OutletWentSilent(string OutletId, DateTimeOffset LastHeartbeatAt, DateTimeOffset At) : OutletEvent(OutletId, At);

/// <summary>Heartbeats are back: the outlet takes orders again.</summary>
public sealed record OutletRecovered(string OutletId, DateTimeOffset At) : OutletEvent(OutletId, At);
