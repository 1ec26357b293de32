using Brigade.Geo;

namespace Brigade.Orders;

public enum OrderStatus
{
    Placed,
    Accepted,
    Preparing,
    Ready,
    CourierAssigned,
    PickedUp,
    Delivered,
    Collected,
    Cancelled,
    Rejected,
    Failed,
}

/// <summary>When the order reached each status. Null until it does.</summary>
/// <remarks>
/// Each instant is kept as UTC ticks, 0 until the status is reached, rather than as a
/// <c>DateTimeOffset?</c>: an open order keeps its timeline in memory, and eleven nullable offsets
/// take 264 bytes against 88. Instants read back in UTC, which is how the engine's clock gives them.
/// </remarks>
public sealed record OrderTimeline
{
    private long _placed, _accepted, _preparing, _ready, _courierAssigned, _pickedUp, _delivered, _collected, _cancelled, _rejected, _failed;

    public DateTimeOffset? PlacedAt { get => Read(_placed); init => _placed = Write(value); }
    public DateTimeOffset? AcceptedAt { get => Read(_accepted); init => _accepted = Write(value); }
    public DateTimeOffset? PreparingAt { get => Read(_preparing); init => _preparing = Write(value); }
    public DateTimeOffset? ReadyAt { get => Read(_ready); init => _ready = Write(value); }
    public DateTimeOffset? CourierAssignedAt { get => Read(_courierAssigned); init => _courierAssigned = Write(value); }
    public DateTimeOffset? PickedUpAt { get => Read(_pickedUp); init => _pickedUp = Write(value); }
    public DateTimeOffset? DeliveredAt { get => Read(_delivered); init => _delivered = Write(value); }
    public DateTimeOffset? CollectedAt { get => Read(_collected); init => _collected = Write(value); }
    public DateTimeOffset? CancelledAt { get => Read(_cancelled); init => _cancelled = Write(value); }
    public DateTimeOffset? RejectedAt { get => Read(_rejected); init => _rejected = Write(value); }
    public DateTimeOffset? FailedAt { get => Read(_failed); init => _failed = Write(value); }

    private static DateTimeOffset? Read(long utcTicks) => utcTicks == 0 ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero);
    private static long Write(DateTimeOffset? at) => at?.UtcTicks ?? 0;
}

/// <summary>
/// An order, folded from its stream. Immutable: each event gives a new value, so the engine and
/// the read side (API, SSE) share one fold and readers never see a half-applied change.
/// </summary>
public sealed record Order
{
    public required string Id { get; init; }
    public required string RestaurantId { get; init; }
    public string? OutletId { get; init; }
    public required IReadOnlyList<OrderLine> Lines { get; init; }
    public GeoPoint? DeliverTo { get; init; }
    public required string CustomerId { get; init; }
    public int TotalCents { get; init; }
    public string? HandoffCode { get; init; }
    public required string IdempotencyKey { get; init; }
    public required string RequestHash { get; init; }
    public OrderStatus Status { get; init; }
    public DateTimeOffset? EstimatedReadyAt { get; init; }
    public DateTimeOffset? InitialEstimatedReadyAt { get; init; }
    /// <summary>The courier's estimate of the door, from their assignment; null without a courier.</summary>
    public DateTimeOffset? EstimatedDeliveryAt { get; init; }

    /// <summary>
    /// From ready to the door as the router planned it for a delivery order (waiting for a courier,
    /// pickup, the ride, the drop-off); null for pickup or when no plan was made. Kept as ticks, 0
    /// for none, like the timeline: open orders stay in memory.
    /// </summary>
    public TimeSpan? PlannedReadyToDoor { get => _readyToDoor == 0 ? null : new TimeSpan(_readyToDoor); init => _readyToDoor = value?.Ticks ?? 0; }
    private readonly long _readyToDoor;

    /// <summary>
    /// When the order should be at the door: the courier's estimate once one is assigned; before
    /// that, the kitchen's ready time (estimated, or actual once ready) plus the planned time from
    /// ready to door. Null for pickup, and for an order that ended without a courier. Derived, so not
    /// stored with the order's summary.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? ExpectedAtDoor => EstimatedDeliveryAt
        ?? (IsPickup || IsTerminal || PlannedReadyToDoor is not { } toDoor || (Timeline.ReadyAt ?? EstimatedReadyAt) is not { } ready ? null : ready + toDoor);

    public string? CourierId { get; init; }
    public string? Reason { get; init; }
    public OrderTimeline Timeline { get; init; } = new();
    /// <summary>Null when no payment is required; else pending, authorized or declined.</summary>
    public string? Payment { get; init; }
    public string? PaymentId { get; init; }
    /// <summary>Number of events in the order's stream: the stream version, and the SSE event id.</summary>
    public long Version { get; init; }

    public bool IsPickup => DeliverTo is null;
    public bool IsTerminal => IsTerminalStatus(Status);
    /// <summary>Cancellation is allowed until cooking starts.</summary>
    public bool CanCancel => Status is OrderStatus.Placed or OrderStatus.Accepted;

    public static bool IsTerminalStatus(OrderStatus s) =>
        s is OrderStatus.Delivered or OrderStatus.Collected or OrderStatus.Cancelled or OrderStatus.Rejected or OrderStatus.Failed;

    /// <summary>The fold: the order after one more event of its stream.</summary>
    public static Order Apply(Order? order, IOrderEvent e)
    {
        if (order is null)
        {
            if (e is not OrderPlaced p) throw new InvalidOperationException($"Order stream {e.OrderId} must start with OrderPlaced, not {e.GetType().Name}");
            return new Order
            {
                Id = p.OrderId,
                RestaurantId = p.RestaurantId,
                OutletId = p.RequestedOutletId,
                Lines = p.Lines,
                DeliverTo = p.DeliverTo,
                CustomerId = p.CustomerId,
                TotalCents = p.TotalCents,
                HandoffCode = p.HandoffCode,
                IdempotencyKey = p.IdempotencyKey,
                RequestHash = p.RequestHash,
                Status = OrderStatus.Placed,
                Timeline = new OrderTimeline { PlacedAt = p.At },
                Version = 1,
            };
        }

        var next = e switch
        {
            OrderAccepted a => order with
            {
                Status = OrderStatus.Accepted,
                OutletId = a.OutletId,
                EstimatedReadyAt = a.EstimatedReadyAt,
                InitialEstimatedReadyAt = order.InitialEstimatedReadyAt ?? a.EstimatedReadyAt,
                Timeline = order.Timeline with { AcceptedAt = order.Timeline.AcceptedAt ?? a.At },
            },
            OrderPreparing p => order with { Status = OrderStatus.Preparing, Timeline = order.Timeline with { PreparingAt = p.At } },
            OrderEstimateUpdated u => order with { EstimatedReadyAt = u.EstimatedReadyAt },
            OrderReady r => order with
            {
                Status = order.Status is OrderStatus.CourierAssigned ? OrderStatus.CourierAssigned : OrderStatus.Ready,
                Timeline = order.Timeline with { ReadyAt = r.At },
            },
            OrderCollected c => order with { Status = OrderStatus.Collected, Timeline = order.Timeline with { CollectedAt = c.At } },
            OrderCancelled c => order with { Status = OrderStatus.Cancelled, Reason = c.Reason, Timeline = order.Timeline with { CancelledAt = c.At } },
            OrderRejected r => order with { Status = OrderStatus.Rejected, Reason = r.Reason, Timeline = order.Timeline with { RejectedAt = r.At } },
            OrderFailed f => order with { Status = OrderStatus.Failed, Reason = f.Reason, Timeline = order.Timeline with { FailedAt = f.At } },
            IOrderExtensionEvent x => x.ApplyTo(order),
            _ => throw new InvalidOperationException($"Unknown order event {e.GetType().Name}"),
        };
        return next with { Version = order.Version + 1 };
    }
}

/// <summary>Order events defined by other features (delivery, routing, payment) fold themselves into the order.</summary>
public interface IOrderExtensionEvent : IOrderEvent
{
    Order ApplyTo(Order order);
}
