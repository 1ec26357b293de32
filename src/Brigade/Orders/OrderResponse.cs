using System.Text.Json;
using Brigade.Geo;
using Brigade.Http;

namespace Brigade.Orders;

/// <summary>An order as the API shows it.</summary>
public sealed record OrderResponse(
    string Id,
    OrderStatus Status,
    string RestaurantId,
    string? OutletId,
    IReadOnlyList<OrderLine> Items,
    GeoPoint? DeliverTo,
    bool Pickup,
    int TotalCents,
    DateTimeOffset? EstimatedReadyAt,
    DateTimeOffset? InitialEstimatedReadyAt,
    DateTimeOffset? EstimatedDeliveryAt,
    string? CourierId,
    string? HandoffCode,
    string? Reason,
    OrderTimeline Timeline,
    long Version,
    string? Payment = null)
{
    public static OrderResponse From(Order o) => new(o.Id, o.Status, o.RestaurantId, o.OutletId, o.Lines, o.DeliverTo, o.IsPickup, o.TotalCents,
        o.EstimatedReadyAt, o.InitialEstimatedReadyAt, o.ExpectedAtDoor, o.CourierId, o.HandoffCode, o.Reason, o.Timeline, o.Version, o.Payment);

    public static byte[] Serialize(Order o) => JsonSerializer.SerializeToUtf8Bytes(From(o), ApiJsonContext.Default.OrderResponse);

    /// <summary>The order as <paramref name="caller"/> may see it: without the handoff code unless it is theirs to see.</summary>
    public static Order For(Caller caller, Order o) =>
        o.HandoffCode is null || Auth.Access.CanSeeHandoffCode(caller, o) ? o : o with { HandoffCode = null };
}

/// <summary>One entry of an order's audit trail.</summary>
public sealed record AuditEntry(long Position, string Stream, long Version, string Type, DateTimeOffset At, JsonElement Data);

/// <summary>The payload of one SSE message on an order's stream.</summary>
public sealed record OrderStreamMessage(string Change, long? Version, DateTimeOffset At, OrderResponse Order, Delivery.Tracking? Courier);
