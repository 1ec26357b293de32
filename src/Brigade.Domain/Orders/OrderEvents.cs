using Brigade.Geo;

namespace Brigade.Orders;

public sealed record OrderLine(string MenuItemId, int Quantity);

/// <summary>The customer placed the order. Carries the idempotency key and a hash of the request it came with.</summary>
public sealed record OrderPlaced(
    string OrderId,
    string RestaurantId,
    string? RequestedOutletId,
    IReadOnlyList<OrderLine> Lines,
    GeoPoint? DeliverTo,
    string CustomerId,
    int TotalCents,
    string? HandoffCode,
    string IdempotencyKey,
    string RequestHash,
    DateTimeOffset At) : IOrderEvent;

/// <summary>An outlet's kitchen took the order, with its first estimate of when it will be ready.</summary>
public sealed record OrderAccepted(string OrderId, string OutletId, DateTimeOffset EstimatedReadyAt, DateTimeOffset At) : IOrderEvent;

/// <summary>The first step of the order started in the kitchen. From here on it can no longer be cancelled.</summary>
public sealed record OrderPreparing(string OrderId, DateTimeOffset At) : IOrderEvent;

/// <summary>The kitchen's estimate moved by more than the revision threshold.</summary>
public sealed record OrderEstimateUpdated(string OrderId, DateTimeOffset EstimatedReadyAt, string Reason, DateTimeOffset At) : IOrderEvent;

/// <summary>Every ticket of the order is done. Records the first and the last estimate against the actual time.</summary>
public sealed record OrderReady(string OrderId, DateTimeOffset EstimatedAtAcceptance, DateTimeOffset LastEstimate, DateTimeOffset At) : IOrderEvent
{
    public double EstimateErrorSeconds => (At - EstimatedAtAcceptance).TotalSeconds;
}

/// <summary>A pickup order was handed over at the counter.</summary>
public sealed record OrderCollected(string OrderId, DateTimeOffset At) : IOrderEvent;

public sealed record OrderCancelled(string OrderId, string Reason, string By, DateTimeOffset At) : IOrderEvent;

/// <summary>The order was refused before cooking: payment declined, staff refused it, no outlet could take it.</summary>
public sealed record OrderRejected(string OrderId, string Reason, DateTimeOffset At) : IOrderEvent;

/// <summary>The order could not be completed: the kitchen gave up after its retries, or delivery failed.</summary>
public sealed record OrderFailed(string OrderId, string Reason, DateTimeOffset At) : IOrderEvent;
