using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Storage;

/// <summary>
/// Turns domain events into log records and back. The type name in the log is the event's class
/// name; the body is camelCase JSON from a source-generated context. Every event type the context
/// knows is registered, so adding an event means adding one attribute to <see cref="EventJsonContext"/>.
/// </summary>
public static class EventSerializer
{
    private static readonly Dictionary<Type, (string Name, JsonTypeInfo Info)> ByType = [];
    private static readonly Dictionary<string, JsonTypeInfo> ByName = new(StringComparer.Ordinal);

    static EventSerializer()
    {
        foreach (var property in typeof(EventJsonContext).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.PropertyType.IsGenericType || property.PropertyType.GetGenericTypeDefinition() != typeof(JsonTypeInfo<>)) continue;
            var type = property.PropertyType.GetGenericArguments()[0];
            if (!typeof(IDomainEvent).IsAssignableFrom(type) || type.IsInterface) continue;
            var info = (JsonTypeInfo)property.GetValue(EventJsonContext.Default)!;
            ByType[type] = (type.Name, info);
            ByName[type.Name] = info;
        }
    }

    public static IReadOnlyCollection<string> KnownTypes => ByName.Keys;

    public static EventToWrite ToWrite(IDomainEvent e, object? state = null)
    {
        if (!ByType.TryGetValue(e.GetType(), out var entry))
            throw new InvalidOperationException($"{e.GetType().Name} is not registered in {nameof(EventJsonContext)}");
        var orderId = e switch
        {
            IOrderEvent o => o.OrderId,
            IConcernsOrder c => c.ConcernedOrderId,
            _ => null,
        };
        return new EventToWrite(StreamOf(e).ToString(), entry.Name, JsonSerializer.SerializeToUtf8Bytes(e, entry.Info), e.At, orderId, e, state);
    }

    public static IDomainEvent Deserialize(string type, byte[] data)
    {
        if (!ByName.TryGetValue(type, out var info)) throw new InvalidOperationException($"Unknown event type '{type}' in the log");
        return (IDomainEvent)JsonSerializer.Deserialize(data, info)!;
    }

    public static IDomainEvent Deserialize(StoredEvent e) => Deserialize(e.Type, e.Data);

    /// <summary>The event as a JSON element, for the audit API.</summary>
    public static JsonElement ToJson(StoredEvent e)
    {
        using var doc = JsonDocument.Parse(e.Data);
        return doc.RootElement.Clone();
    }

    public static StreamKey StreamOf(IDomainEvent e) => e switch
    {
        IOrderEvent o => new StreamKey(StreamKind.Order, o.OrderId),
        IKitchenEvent k => new StreamKey(StreamKind.Kitchen, k.OutletId),
        IStreamEvent s => s.Stream,
        _ => throw new InvalidOperationException($"No stream for {e.GetType().Name}"),
    };
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
// Orders
[JsonSerializable(typeof(OrderPlaced))]
[JsonSerializable(typeof(OrderAccepted))]
[JsonSerializable(typeof(OrderPreparing))]
[JsonSerializable(typeof(OrderEstimateUpdated))]
[JsonSerializable(typeof(OrderReady))]
[JsonSerializable(typeof(OrderCollected))]
[JsonSerializable(typeof(OrderCancelled))]
[JsonSerializable(typeof(OrderRejected))]
[JsonSerializable(typeof(OrderFailed))]
// Kitchen
[JsonSerializable(typeof(KitchenStarted))]
[JsonSerializable(typeof(OrderQueued))]
[JsonSerializable(typeof(OrderWithdrawn))]
[JsonSerializable(typeof(TaskStarted))]
[JsonSerializable(typeof(TaskHandsFree))]
[JsonSerializable(typeof(TaskCompleted))]
[JsonSerializable(typeof(TaskLeaseExtended))]
[JsonSerializable(typeof(TaskReturned))]
[JsonSerializable(typeof(TicketCompleted))]
[JsonSerializable(typeof(OrderCooked))]
[JsonSerializable(typeof(OrderCookingFailed))]
[JsonSerializable(typeof(KitchenAlertRaised))]
[JsonSerializable(typeof(ChefAdded))]
[JsonSerializable(typeof(ChefClockedIn))]
[JsonSerializable(typeof(ChefClockedOut))]
[JsonSerializable(typeof(ChefFellSick))]
[JsonSerializable(typeof(ChefRecovered))]
[JsonSerializable(typeof(ChefActivated))]
[JsonSerializable(typeof(ChefStoodDown))]
[JsonSerializable(typeof(StationScaled))]
[JsonSerializable(typeof(EquipmentBroke))]
[JsonSerializable(typeof(EquipmentFixed))]
[JsonSerializable(typeof(StockUsed))]
[JsonSerializable(typeof(StockReturned))]
[JsonSerializable(typeof(PrepQueued))]
[JsonSerializable(typeof(StockPrepared))]
// Delivery
[JsonSerializable(typeof(Brigade.Delivery.CourierShiftStarted))]
[JsonSerializable(typeof(Brigade.Delivery.CourierShiftEnded))]
[JsonSerializable(typeof(Brigade.Delivery.OfferMade))]
[JsonSerializable(typeof(Brigade.Delivery.OfferAccepted))]
[JsonSerializable(typeof(Brigade.Delivery.OfferDeclined))]
[JsonSerializable(typeof(Brigade.Delivery.CourierArrivedAtOutlet))]
[JsonSerializable(typeof(Brigade.Delivery.CourierAssigned))]
[JsonSerializable(typeof(Brigade.Delivery.CourierUnassigned))]
[JsonSerializable(typeof(Brigade.Delivery.OrderPickedUp))]
[JsonSerializable(typeof(Brigade.Delivery.OrderDelivered))]
// Routing
[JsonSerializable(typeof(Brigade.Routing.OrderRouted))]
[JsonSerializable(typeof(Brigade.Routing.OrderRerouted))]
[JsonSerializable(typeof(Brigade.Routing.OutletPaused))]
[JsonSerializable(typeof(Brigade.Routing.OutletResumed))]
[JsonSerializable(typeof(Brigade.Routing.OutletWentSilent))]
[JsonSerializable(typeof(Brigade.Routing.OutletRecovered))]
[JsonSerializable(typeof(Brigade.Routing.OutletPowerCut))]
[JsonSerializable(typeof(Brigade.Routing.OutletPowerRestored))]
// Payments
[JsonSerializable(typeof(Brigade.Payments.PaymentRequired))]
[JsonSerializable(typeof(Brigade.Payments.PaymentAuthorized))]
[JsonSerializable(typeof(Brigade.Payments.PaymentDeclined))]
// Operations
[JsonSerializable(typeof(Brigade.Alerts.AlertFired))]
[JsonSerializable(typeof(Brigade.Alerts.AlertResolved))]
// Read model
[JsonSerializable(typeof(Order))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
