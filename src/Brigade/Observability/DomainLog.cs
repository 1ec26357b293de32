using Brigade.Delivery;
using Brigade.Orders;
using Brigade.Routing;
using Brigade.Storage;

namespace Brigade.Observability;

/// <summary>
/// Structured log lines for what happened, from the durable events: each names its order, outlet
/// or courier as a field (<c>OrderId</c>, <c>OutletId</c>, <c>CourierId</c>), so the JSON console
/// log can be filtered by them. Routine progress is Debug; what an operator should see is Information or Warning.
/// </summary>
public sealed partial class DomainLog(ILogger<DomainLog> log)
{
    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        foreach (var ce in batch)
        {
            switch (ce.Event.Source)
            {
                case OrderPlaced p: OrderPlaced(p.OrderId, p.RestaurantId, p.CustomerId); break;
                case OrderAccepted a: OrderAccepted(a.OrderId, a.OutletId); break;
                case OrderReady r: OrderReady(r.OrderId); break;
                case OrderRejected r: OrderRejected(r.OrderId, r.Reason); break;
                case OrderFailed f: OrderFailed(f.OrderId, f.Reason); break;
                case OrderCancelled c: OrderCancelled(c.OrderId, c.By, c.Reason); break;
                case OrderRouted r: OrderRouted(r.OrderId, r.OutletId, r.Reason); break;
                case OrderRerouted r: OrderRerouted(r.OrderId, r.FromOutletId, r.ToOutletId, r.Reason); break;
                case CourierAssigned a: CourierAssigned(a.OrderId, a.CourierId); break;
                case OrderDelivered d: OrderDelivered(d.OrderId, d.CourierId); break;
                case OutletWentSilent s: OutletSilent(s.OutletId); break;
                case OutletPaused p: OutletPaused(p.OutletId, p.By, p.Reason); break;
                case Payments.PaymentAuthorized p: PaymentAuthorized(p.OrderId, p.PaymentId); break;
                case Payments.PaymentDeclined p: PaymentDeclined(p.OrderId, p.PaymentId, p.Reason); break;
                case Alerts.AlertFired f: AlertFired(f.Rule, f.Subject, f.Message); break;
                case Alerts.AlertResolved r: AlertResolved(r.Rule, r.Subject); break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} placed at {RestaurantId} by {CustomerId}")]
    private partial void OrderPlaced(string orderId, string restaurantId, string customerId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} accepted by outlet {OutletId}")]
    private partial void OrderAccepted(string orderId, string outletId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} is ready")]
    private partial void OrderReady(string orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} rejected: {Reason}")]
    private partial void OrderRejected(string orderId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} failed: {Reason}")]
    private partial void OrderFailed(string orderId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} cancelled by {By}: {Reason}")]
    private partial void OrderCancelled(string orderId, string by, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} routed to outlet {OutletId}: {Reason}")]
    private partial void OrderRouted(string orderId, string outletId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} moved from outlet {FromOutletId} to {OutletId}: {Reason}")]
    private partial void OrderRerouted(string orderId, string fromOutletId, string outletId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Courier {CourierId} assigned order {OrderId}")]
    private partial void CourierAssigned(string orderId, string courierId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Courier {CourierId} delivered order {OrderId}")]
    private partial void OrderDelivered(string orderId, string courierId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outlet {OutletId} went silent")]
    private partial void OutletSilent(string outletId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outlet {OutletId} paused by {By}: {Reason}")]
    private partial void OutletPaused(string outletId, string by, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Payment {PaymentId} authorised for order {OrderId}")]
    private partial void PaymentAuthorized(string orderId, string paymentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Payment {PaymentId} declined for order {OrderId}: {Reason}")]
    private partial void PaymentDeclined(string orderId, string paymentId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Rule} fired for {Subject}: {Message}")]
    private partial void AlertFired(string rule, string subject, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Rule} resolved for {Subject}")]
    private partial void AlertResolved(string rule, string subject);
}
