using Brigade.Orders;

namespace Brigade.Delivery;

/// <summary>An event of a courier's stream (<c>courier-{CourierId}</c>).</summary>
public interface ICourierEvent : IStreamEvent
{
    string CourierId { get; }
}

public abstract record CourierEvent(string CourierId, DateTimeOffset At) : ICourierEvent
{
    StreamKey IStreamEvent.Stream => new(StreamKind.Courier, CourierId);
}

/// <summary>A courier came on shift at a position. Simulated couriers are driven by the engine's own clock.</summary>
public sealed record CourierShiftStarted(string CourierId, string Name, bool Simulated, double Lat, double Lon, DateTimeOffset At) : CourierEvent(CourierId, At);

public sealed record CourierShiftEnded(string CourierId, string Reason, DateTimeOffset At) : CourierEvent(CourierId, At);

/// <summary>The matcher offered a courier a job: orders of one outlet, in delivery sequence. It expires unless accepted.</summary>
public sealed record OfferMade(
    string CourierId,
    string OfferId,
    IReadOnlyList<string> OrderIds,
    string OutletId,
    DateTimeOffset DepartBy,
    DateTimeOffset PlannedPickupAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset At,
    IReadOnlyList<DateTimeOffset> PlannedDropoffAt) : CourierEvent(CourierId, At);

public sealed record OfferAccepted(string CourierId, string OfferId, DateTimeOffset At) : CourierEvent(CourierId, At);

/// <summary>The courier declined, or the offer expired or was withdrawn: its orders go back to the queue.</summary>
public sealed record OfferDeclined(string CourierId, string OfferId, string Reason, DateTimeOffset At) : CourierEvent(CourierId, At)
{
    /// <summary>The courier said no.</summary>
    public const string ByCourier = "declined";
    /// <summary>The courier did not answer in time.</summary>
    public const string Expired = "expired";

    /// <summary>
    /// The courier turned the offer down (or let it lapse), so the matcher rests them a while before the
    /// next. An offer withdrawn for them (the order moved or was cancelled, the shift ended) costs nothing.
    /// </summary>
    public bool TurnedDown => Reason is ByCourier or Expired;
}

public sealed record CourierArrivedAtOutlet(string CourierId, string OutletId, DateTimeOffset At) : CourierEvent(CourierId, At);

/// <summary>An order got its courier.</summary>
public sealed record CourierAssigned(
    string OrderId,
    string CourierId,
    string OfferId,
    DateTimeOffset EstimatedPickupAt,
    DateTimeOffset EstimatedDeliveryAt,
    DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with
    {
        Status = order.Status is OrderStatus.Ready or OrderStatus.Preparing or OrderStatus.Accepted ? OrderStatus.CourierAssigned : order.Status,
        CourierId = CourierId,
        EstimatedDeliveryAt = EstimatedDeliveryAt,
        Timeline = order.Timeline with { CourierAssignedAt = At },
    };
}

/// <summary>An order lost its courier before pickup (shift ended, order failed elsewhere): it waits for another.</summary>
public sealed record CourierUnassigned(string OrderId, string CourierId, string Reason, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with
    {
        Status = order.Status != OrderStatus.CourierAssigned ? order.Status
            : order.Timeline.ReadyAt is not null ? OrderStatus.Ready
            : order.Timeline.PreparingAt is not null ? OrderStatus.Preparing
            : OrderStatus.Accepted,
        CourierId = null,
        EstimatedDeliveryAt = null,
    };
}

public sealed record OrderPickedUp(string OrderId, string CourierId, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with { Status = OrderStatus.PickedUp, Timeline = order.Timeline with { PickedUpAt = At } };
}

/// <summary>The courier handed the order over; the customer's handoff code matched.</summary>
public sealed record OrderDelivered(string OrderId, string CourierId, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with { Status = OrderStatus.Delivered, Timeline = order.Timeline with { DeliveredAt = At } };
}
