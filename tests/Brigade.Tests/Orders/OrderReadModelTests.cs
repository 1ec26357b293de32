using System.Collections;
using Brigade.Geo;
using Brigade.Orders;
using Brigade.Storage;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Orders;

/// <summary>The read side's subscriptions: who hears an order's changes.</summary>
public class OrderReadModelTests
{
    private static readonly OrderPlaced PlacedEvent =
        new("o1", "r", null, [new OrderLine("pizza", 1)], new GeoPoint(52.52, 13.40), "ann", 1000, "0042", "k", "h", T0);

    private static readonly Order Placed = Order.Apply(null, PlacedEvent);

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

    [Fact]
    public void A_follower_who_subscribes_in_the_middle_of_a_commit_sees_the_order_as_the_commit_left_it()
    {
        // One commit, two changes to the order; the engine's state after both rides on the second.
        var model = new OrderReadModel();
        model.Replay(PlacedEvent);
        var first = new OrderEstimateUpdated("o1", T0.AddMinutes(20), "test", T0.AddSeconds(1));
        var second = new OrderEstimateUpdated("o1", T0.AddMinutes(25), "test", T0.AddSeconds(2));
        var after = Order.Apply(Order.Apply(Placed, first), second);
        OrderReadModel.Subscription? follower = null;
        // The model reads a batch twice (which orders carry their state, then each event): the
        // follower arrives during the second reading, between the commit's two events.
        var batch = new JoinsMidway(
            [new CommittedEvent(2, 2, EventSerializer.ToWrite(first)), new CommittedEvent(3, 3, EventSerializer.ToWrite(second, after))],
            pass: 2, index: 1, () => follower = model.Subscribe("o1"));

        model.OnCommitted(batch);

        var seen = model.Find("o1")!.Order;
        Assert.Equal(after.Version, seen.Version);
        Assert.Equal(after.EstimatedReadyAt, seen.EstimatedReadyAt);
        // The follower is told where the order stands, so its stream can fill in from the log what it joined too late for.
        using (follower)
        {
            Assert.True(follower!.Reader.TryRead(out var update), "the follower heard nothing of the commit");
            Assert.Equal(after.Version, update.Version);
            Assert.Equal(after.Version, update.Order.Version);
        }
    }

    /// <summary>A batch of committed events that runs <paramref name="act"/> once, on its given reading, just before the event at <paramref name="index"/>.</summary>
    private sealed class JoinsMidway(IReadOnlyList<CommittedEvent> events, int pass, int index, Action act) : IReadOnlyList<CommittedEvent>
    {
        private int _passes;

        public CommittedEvent this[int i] => events[i];
        public int Count => events.Count;

        public IEnumerator<CommittedEvent> GetEnumerator()
        {
            var current = ++_passes;
            for (var i = 0; i < events.Count; i++)
            {
                if (current == pass && i == index) act();
                yield return events[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
