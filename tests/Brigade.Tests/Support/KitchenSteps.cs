using Brigade.Catalog;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Tests.Support;

/// <summary>The given/when steps of the kitchen tests: the engine of outlet "k", a command's events, an order queued.</summary>
public static class KitchenSteps
{
    public static KitchenEngine K(RestaurantCatalog c) => new(c.FindOutlet("k")!);

    /// <summary>The events one command emits.</summary>
    public static List<IDomainEvent> Do(Func<List<IDomainEvent>, object> action)
    {
        var output = new List<IDomainEvent>();
        action(output);
        return output;
    }

    /// <summary>Queue an order of <paramref name="qty"/> × <paramref name="item"/> at T0 + <paramref name="at"/> seconds; it must be accepted.</summary>
    public static void Queue(KitchenEngine k, string orderId, double at, string item = "pizza", int qty = 1)
    {
        var admission = k.TryQueueOrder(orderId, [new OrderLine(item, qty)], Describe.T0.AddSeconds(at), []);
        Assert.True(admission.Accepted, admission.Reason);
    }
}
