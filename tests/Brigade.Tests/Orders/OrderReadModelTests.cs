using Brigade.Geo;
using Brigade.Orders;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Orders;

/// <summary>The read side's subscriptions: who hears an order's changes.</summary>
public class OrderReadModelTests
{
    private static readonly Order Placed = Order.Apply(null,
        new OrderPlaced("o1", "r", null, [new OrderLine("pizza", 1)], new GeoPoint(52.52, 13.40), "ann", 1000, "0042", "k", "h", T0));

    [Fact]
    public void A_follower_who_subscribes_while_the_last_one_leaves_still_hears_the_order()
    {
        // The last follower leaving drops the order's list of followers. A follower joining at that
        // very moment must not land in the dropped list, where no update would ever reach it.
        var model = new OrderReadModel();
        const int Rounds = 200_000;
        var lost = 0;
        using var go = new Barrier(2);
        var churn = new Thread(() =>
        {
            go.SignalAndWait();
            for (var i = 0; i < Rounds; i++) model.Subscribe("o1").Dispose();
        });
        churn.Start();
        go.SignalAndWait();
        for (var i = 0; i < Rounds; i++)
        {
            using var follower = model.Subscribe("o1");
            model.Publish("o1", new OrderUpdate(Placed, "position", null, T0));
            if (!follower.Reader.TryRead(out _)) lost++;
        }
        churn.Join();

        Assert.Equal(0, lost);
        Assert.Equal(0, model.SubscriberCount);
        Assert.Empty(model.SubscribedOrderIds);
    }
}
