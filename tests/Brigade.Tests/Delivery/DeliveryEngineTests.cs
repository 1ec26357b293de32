using Brigade.Delivery;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Delivery;

/// <summary>Delivery in virtual time: simulated couriers, offers, the road from the outlet to the door.</summary>
public class DeliveryEngineTests
{
    private static readonly GeoPoint Customer = new(52.53, 13.42);

    private static BrigadeEngine Engine(int couriers, double declineRate = 0, string extra = "") =>
        new(TestCatalogs.Kitchen(ovenSlots: 8, fleet: $$"""
            { "simulatedCouriers": {{couriers}}, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 30,
              "simulatedDeclineRate": {{declineRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "radiusKm": 2 {{extra}} }
            """));

    private static void Place(BrigadeEngine e, string id, DateTimeOffset at, List<IDomainEvent> log, GeoPoint? to = null) =>
        Assert.True(e.PlaceOrder(new PlaceOrder(id, "r", "k", [new OrderLine("pizza", 1)], to ?? Customer, "c", id, "h", "4321"), at, log).IsOk);

    /// <summary>Step the clock 5 s at a time until an event of type T appears; returns it and the time.</summary>
    private static (T Event, DateTimeOffset At) Until<T>(BrigadeEngine engine, List<IDomainEvent> log, DateTimeOffset from, Func<T, bool>? match = null) where T : IDomainEvent
    {
        for (var t = from; t < from.AddHours(2); t = t.AddSeconds(5))
        {
            var start = log.Count;
            engine.Advance(t, log);
            for (var i = start; i < log.Count; i++)
                if (log[i] is T hit && (match is null || match(hit))) return (hit, t);
        }
        throw new InvalidOperationException($"no {typeof(T).Name} within two hours");
    }

    /// <summary>One human courier, Ann, on shift; order o1 placed; the offer she gets and when.</summary>
    private static (BrigadeEngine Engine, List<IDomainEvent> Log, OfferMade Offer, DateTimeOffset At) AnnOffered()
    {
        var engine = Engine(couriers: 0, extra: ", \"staleSeconds\": 3600");
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);
        engine.AtDelivery(T0, log, (d, o) => d.StartShift("ann", "Ann", 52.52, 13.40, T0, o));
        Place(engine, "o1", T0.AddSeconds(1), log);
        var (offer, at) = Until<OfferMade>(engine, log, T0);
        return (engine, log, offer, at);
    }

    [Fact]
    public void A_delivery_order_goes_from_the_kitchen_to_the_door_with_events_at_every_step()
    {
        var engine = Engine(couriers: 4);
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);
        Place(engine, "o1", T0.AddSeconds(1), log);

        engine.Advance(T0.AddHours(2), log);

        var steps = log.Where(e => e is OfferMade or OfferAccepted or CourierAssigned or CourierArrivedAtOutlet or OrderReady or OrderPickedUp or OrderDelivered)
            .Select(e => e.GetType().Name).ToList();
        Assert.Equal(["OfferMade", "OfferAccepted", "CourierAssigned", "CourierArrivedAtOutlet", "OrderReady", "OrderPickedUp", "OrderDelivered"], steps);
        var order = engine.Orders["o1"];
        Assert.Equal(OrderStatus.Delivered, order.Status);
        Assert.True(order.Timeline.PickedUpAt >= order.Timeline.ReadyAt, "never collected before the food is ready");
        Assert.True(order.Timeline.DeliveredAt > order.Timeline.PickedUpAt);
        // The courier was timed to the food: collected within a couple of minutes of it being ready.
        Assert.InRange((order.Timeline.PickedUpAt!.Value - order.Timeline.ReadyAt!.Value).TotalMinutes, 0, 3);
        Assert.Equal(4, log.OfType<CourierShiftStarted>().Count(s => s.Simulated));
    }

    [Fact]
    public void A_declined_or_expired_offer_puts_the_order_back_for_another_courier()
    {
        var engine = Engine(couriers: 0, extra: ", \"staleSeconds\": 3600"); // human couriers who report their position once
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);
        engine.AtDelivery(T0, log, (d, o) => d.StartShift("ann", "Ann", 52.521, 13.401, T0, o));
        engine.AtDelivery(T0, log, (d, o) => d.StartShift("bob", "Bob", 52.522, 13.402, T0, o));
        Place(engine, "o1", T0.AddSeconds(1), log);
        var (first, t1) = Until<OfferMade>(engine, log, T0);

        var declined = engine.AtDelivery(t1, log, (d, o) => d.DeclineOffer(first.CourierId, first.OfferId, t1, o));
        Assert.True(declined.IsOk, declined.Message);
        var (second, t2) = Until<OfferMade>(engine, log, t1);
        Assert.NotEqual(first.CourierId, second.CourierId); // the decliner cools off; the other courier gets it
        var (expired, _) = Until<OfferDeclined>(engine, log, t2);    // nobody answers

        Assert.Equal(second.OfferId, expired.OfferId);
        Assert.Equal("expired", expired.Reason);
        Assert.NotEqual(OrderStatus.CourierAssigned, engine.Orders["o1"].Status);
        var (third, t3) = Until<OfferMade>(engine, log, t2);
        var accepted = engine.AtDelivery(t3, log, (d, o) => d.AcceptOffer(third.CourierId, third.OfferId, t3, o));
        Assert.True(accepted.IsOk, accepted.Message);
        Assert.Equal(OrderStatus.CourierAssigned, engine.Orders["o1"].Status);
        Assert.False(engine.AtDelivery(t3, log, (d, o) => d.AcceptOffer(first.CourierId, first.OfferId, t3, o)).IsOk);
    }

    [Fact]
    public void A_human_courier_collects_only_ready_food_and_delivers_only_with_the_customers_code()
    {
        var (engine, log, offer, at) = AnnOffered();
        Assert.True(engine.AtDelivery(at, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, at, o)).IsOk);
        Assert.True(engine.Orders["o1"].Timeline.ReadyAt is null);

        var early = engine.AtDelivery(at, log, (d, o) => d.PickUp("ann", "o1", at, o));
        Assert.Equal(Outcome.Conflict, early.Outcome);
        Assert.Contains("not ready", early.Message, StringComparison.Ordinal);
        engine.Advance(T0.AddMinutes(10), log);
        Assert.True(engine.AtDelivery(T0.AddMinutes(10), log, (d, o) => d.PickUp("ann", "o1", T0.AddMinutes(10), o)).IsOk);
        Assert.Equal(Outcome.Invalid, engine.AtDelivery(T0.AddMinutes(20), log, (d, o) => d.Deliver("ann", "o1", "0000", T0.AddMinutes(20), o)).Outcome);
        Assert.Equal(OrderStatus.PickedUp, engine.Orders["o1"].Status);
        Assert.True(engine.AtDelivery(T0.AddMinutes(20), log, (d, o) => d.Deliver("ann", "o1", "4321", T0.AddMinutes(20), o)).IsOk);

        Assert.Equal(OrderStatus.Delivered, engine.Orders["o1"].Status);
        Assert.Contains(log, e => e is CourierArrivedAtOutlet { CourierId: "ann" }); // picking up implies being there
    }

    [Fact]
    public void A_courier_accepts_only_the_offer_made_to_them_and_cannot_leave_a_shift_with_food_aboard()
    {
        var (engine, log, offer, at) = AnnOffered();

        var before = log.Count;
        Assert.Equal(Outcome.Conflict, engine.AtDelivery(at, log, (d, o) => d.AcceptOffer("ann", offer.OfferId + "-other", at, o)).Outcome);
        Assert.Equal(before, log.Count);
        Assert.True(engine.AtDelivery(at, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, at, o)).IsOk);

        engine.Advance(T0.AddMinutes(10), log);
        Assert.True(engine.AtDelivery(T0.AddMinutes(10), log, (d, o) => d.PickUp("ann", "o1", T0.AddMinutes(10), o)).IsOk);
        var leaving = engine.AtDelivery(T0.AddMinutes(11), log, (d, o) => d.EndShift("ann", T0.AddMinutes(11), o));
        Assert.Equal(Outcome.Conflict, leaving.Outcome);
        Assert.Contains("still carries", leaving.Message, StringComparison.Ordinal);
        Assert.True(engine.AtDelivery(T0.AddMinutes(20), log, (d, o) => d.Deliver("ann", "o1", "4321", T0.AddMinutes(20), o)).IsOk);
        Assert.True(engine.AtDelivery(T0.AddMinutes(21), log, (d, o) => d.EndShift("ann", T0.AddMinutes(21), o)).IsOk);
    }

    [Fact]
    public void Delivery_problems_never_touch_the_kitchen()
    {
        static List<string> KitchenEvents(BrigadeEngine engine)
        {
            var log = new List<IDomainEvent>();
            engine.Advance(T0, log);
            for (var i = 0; i < 6; i++) Place(engine, $"o{i}", T0.AddMinutes(i), log);
            engine.Advance(T0.AddHours(2), log);
            return log.OfType<IKitchenEvent>().Select(Event).ToList();
        }

        var noCouriers = KitchenEvents(Engine(couriers: 0));
        var everyoneDeclines = KitchenEvents(Engine(couriers: 5, declineRate: 1));
        var delivered = KitchenEvents(Engine(couriers: 5));

        Assert.Equal(noCouriers, everyoneDeclines);
        Assert.Equal(noCouriers, delivered);
        Assert.Equal(6, noCouriers.Count(e => e.StartsWith("OrderCooked", StringComparison.Ordinal)));
    }

    [Fact]
    public void Orders_of_one_outlet_ready_together_are_bundled_when_couriers_are_scarce()
    {
        var engine = Engine(couriers: 1, extra: ", \"maxBundleSize\": 2");
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);
        Place(engine, "o1", T0.AddSeconds(1), log, new GeoPoint(52.525, 13.405));
        Place(engine, "o2", T0.AddSeconds(2), log, new GeoPoint(52.526, 13.406));

        engine.Advance(T0.AddHours(2), log);

        Assert.Contains(log.OfType<OfferMade>(), o => o.OrderIds.Count == 2);
        Assert.Equal(OrderStatus.Delivered, engine.Orders["o1"].Status);
        Assert.Equal(OrderStatus.Delivered, engine.Orders["o2"].Status);
    }

    [Fact]
    public void Idle_simulated_couriers_stay_visible_to_the_router_through_a_quiet_spell()
    {
        var engine = Engine(couriers: 4);
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);
        Assert.NotNull(engine.Delivery.CourierEtaTo("k"));

        // Ten minutes without an order: far longer than a position stays fresh (two minutes).
        engine.Advance(T0.AddMinutes(10), log);

        Assert.NotNull(engine.Delivery.CourierEtaTo("k"));
    }

    [Fact]
    public void A_human_courier_who_has_just_handed_an_order_over_is_tracked_from_their_next_position_report()
    {
        var (engine, log, offer, at) = AnnOffered();
        Assert.True(engine.AtDelivery(at, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, at, o)).IsOk);
        var ready = T0.AddMinutes(10);
        engine.Advance(ready, log);
        Assert.True(engine.AtDelivery(ready, log, (d, o) => d.PickUp("ann", "o1", ready, o)).IsOk);

        // Riding away from the outlet, a few seconds after collecting.
        var riding = ready.AddSeconds(10);
        Assert.Equal(Brigade.Dispatch.GeoUpdateResult.Applied, engine.Delivery.ReportLocation("ann", 52.5205, 13.4010, riding, riding));
        var view = engine.Delivery.CourierOf("ann", riding)!;
        Assert.Equal((52.5205, 13.4010), (view.Lat, view.Lon));

        var delivered = T0.AddMinutes(20);
        Assert.True(engine.AtDelivery(delivered, log, (d, o) => d.Deliver("ann", "o1", "4321", delivered, o)).IsOk);

        // Riding away from the customer, a few seconds after the handover.
        var after = delivered.AddSeconds(10);
        Assert.Equal(Brigade.Dispatch.GeoUpdateResult.Applied, engine.Delivery.ReportLocation("ann", 52.5250, 13.4100, after, after));
        view = engine.Delivery.CourierOf("ann", after)!;
        Assert.Equal((52.5250, 13.4100), (view.Lat, view.Lon));
    }
}
