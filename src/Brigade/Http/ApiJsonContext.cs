using System.Text.Json;
using System.Text.Json.Serialization;
using Brigade.Orders;

namespace Brigade.Http;

/// <summary>Enums as camelCase strings ("courierAssigned").</summary>
public sealed class CamelCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase) where T : struct, Enum;

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    Converters = [typeof(CamelCaseEnum<OrderStatus>)],
    MaxDepth = 16)]
[JsonSerializable(typeof(PlaceOrderRequest))]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(List<OrderResponse>))]
[JsonSerializable(typeof(List<AuditEntry>))]
[JsonSerializable(typeof(OrderStreamMessage))]
[JsonSerializable(typeof(Catalog.RestaurantSummary))]
[JsonSerializable(typeof(List<Catalog.RestaurantSummary>))]
[JsonSerializable(typeof(Catalog.MenuResponse))]
[JsonSerializable(typeof(Kitchen.KitchenView))]
[JsonSerializable(typeof(Kitchen.TaskLease))]
[JsonSerializable(typeof(Kitchen.StartTaskRequest))]
[JsonSerializable(typeof(Kitchen.TokenRequest))]
[JsonSerializable(typeof(Kitchen.AddChefRequest))]
[JsonSerializable(typeof(Delivery.ShiftRequest))]
[JsonSerializable(typeof(Delivery.LocationsRequest))]
[JsonSerializable(typeof(Delivery.LocationPoint))]
[JsonSerializable(typeof(Delivery.LocationsResult))]
[JsonSerializable(typeof(Delivery.DeliverRequest))]
[JsonSerializable(typeof(Delivery.CourierView))]
[JsonSerializable(typeof(Delivery.DispatchView))]
[JsonSerializable(typeof(Delivery.Tracking))]
[JsonSerializable(typeof(Routing.PauseRequest))]
[JsonSerializable(typeof(Routing.OutletStatus))]
[JsonSerializable(typeof(List<Routing.OutletStatus>))]
[JsonSerializable(typeof(Routing.RoutePreview))]
[JsonSerializable(typeof(Auth.TokenResponse))]
[JsonSerializable(typeof(Payments.PaymentWebhookEvent))]
[JsonSerializable(typeof(Payments.WebhookAnswer))]
[JsonSerializable(typeof(Alerts.AlertView))]
[JsonSerializable(typeof(Alerts.AlertsResponse))]
[JsonSerializable(typeof(Alerts.AlertNotification))]
[JsonSerializable(typeof(List<Operations.RoutingDecision>))]
[JsonSerializable(typeof(Operations.OpsSummary))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
