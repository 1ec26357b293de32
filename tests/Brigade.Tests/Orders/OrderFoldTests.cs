using Brigade.Geo;
using Brigade.Orders;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Orders;

/// <summary>The order fold's status rules, event by event.</summary>
public class OrderFoldTests
{
    [Theory]
    [InlineData(OrderStatus.Placed, false)]
    [InlineData(OrderStatus.Accepted, false)]
    [InlineData(OrderStatus.Preparing, false)]
    [InlineData(OrderStatus.Ready, false)]
    [InlineData(OrderStatus.CourierAssigned, false)]
    [InlineData(OrderStatus.PickedUp, false)]
    [InlineData(OrderStatus.Delivered, true)]
    [InlineData(OrderStatus.Collected, true)]
    [InlineData(OrderStatus.Cancelled, true)]
    [InlineData(OrderStatus.Rejected, true)]
    [InlineData(OrderStatus.Failed, true)]
    public void Only_delivered_collected_cancelled_rejected_and_failed_orders_are_final(OrderStatus status, bool terminal)
    {
        Assert.Equal(terminal, Order.IsTerminalStatus(status));
    }

    [Fact]
    public void Food_that_is_ready_after_a_courier_was_assigned_keeps_the_order_with_its_courier()
    {
        var accepted = Fold(
            new OrderPlaced("o1", "r", null, [new OrderLine("pizza", 1)], new GeoPoint(52.52, 13.40), "ann", 1000, "0042", "k", "h", T0),
            new OrderAccepted("o1", "k", T0.AddMinutes(10), T0));
        var assigned = Fold(accepted, new Brigade.Delivery.CourierAssigned("o1", "rider-1", "offer-1", T0.AddMinutes(10), T0.AddMinutes(25), T0.AddMinutes(2)));
        var ready = new OrderReady("o1", T0.AddMinutes(10), T0.AddMinutes(10), T0.AddMinutes(9));

        Assert.Equal(OrderStatus.CourierAssigned, assigned.Status);
        Assert.Equal((OrderStatus.CourierAssigned, T0.AddMinutes(9)), (Fold(assigned, ready).Status, Fold(assigned, ready).Timeline.ReadyAt));
        Assert.Equal(OrderStatus.Ready, Fold(accepted, ready).Status);
    }

    private static Order Fold(OrderPlaced placed, params IOrderEvent[] events) => Fold(Order.Apply(null, placed), events);

    private static Order Fold(Order order, params IOrderEvent[] events) => events.Aggregate(order, Order.Apply);
}
