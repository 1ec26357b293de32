using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;
using Brigade.Routing;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Delivery;

/// <summary>Rules of delivery that the scenarios in <see cref="DeliveryEngineTests"/> do not pin: couriers let go when their order moves or fails, and bundles.</summary>
public class DeliveryRulesTests
{
    /// <summary>Human couriers who report their position once; no simulated ones.</summary>
    private const string HumanFleet = """
        { "simulatedCouriers": 0, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 60, "staleSeconds": 3600, "maxBundleSize": 2, "radiusKm": 2 }
        """;

    private static readonly GeoPoint Customer = new(52.53, 13.42);

    /// <summary>Restaurant "r" with outlets k1 and k2, 1.7 km apart; their pizza stations are worked by human chefs, so orders wait unstarted.</summary>
    private static RestaurantCatalog TwoHumanKitchens() =>
        CatalogLoader.Parse($$"""
        {
          "timeZone": "UTC",
          "fleet": {{HumanFleet}},
          "restaurants": [{
            "id": "r",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 300 } ] } ],
            "outlets": [
              { "id": "k1", "lat": 52.52, "lon": 13.40, "stations": [ { "id": "pizza", "mode": "human" } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] },
              { "id": "k2", "lat": 52.53, "lon": 13.42, "stations": [ { "id": "pizza", "mode": "human" } ], "staff": [ { "id": "b", "skills": ["pizza"] } ] }
            ]
          }]
        }
        """, "two human kitchens");

    private static PlaceOrder Order(string id, string? outlet, GeoPoint to, string item = "pizza") =>
        new(id, "r", outlet, [new OrderLine(item, 1)], to, "c", id, "h", "4321");

    /// <summary>Step the clock 5 s at a time until an event of type T appears; returns it and the time.</summary>
    private static (T Event, DateTimeOffset At) Until<T>(BrigadeEngine engine, List<IDomainEvent> log, DateTimeOffset from, double withinMinutes = 120) where T : IDomainEvent
    {
        for (var t = from; t < from.AddMinutes(withinMinutes); t = t.AddSeconds(5))
        {
            var start = log.Count;
            engine.Advance(t, log);
            for (var i = start; i < log.Count; i++)
                if (log[i] is T hit) return (hit, t);
        }
        throw new InvalidOperationException($"no {typeof(T).Name} within {withinMinutes} minutes");
    }

    private static void StartShift(BrigadeEngine e, List<IDomainEvent> log, string courier, double lat, double lon, DateTimeOffset at) =>
        Assert.True(e.AtDelivery(at, log, (d, o) => d.StartShift(courier, courier, lat, lon, at, o)).IsOk);

    [Fact]
    public void A_courier_offered_an_order_that_moves_to_another_outlet_is_released_at_once_and_free_for_other_work()
    {
        var e = new BrigadeEngine(TwoHumanKitchens());
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        StartShift(e, log, "ann", 52.521, 13.401, T0);
        Assert.True(e.PlaceOrder(Order("o1", null, new GeoPoint(52.522, 13.402)), T0.AddSeconds(1), log).IsOk);
        Assert.Equal("k1", e.Orders["o1"].OutletId);
        var (offer, offeredAt) = Until<OfferMade>(e, log, T0);
        Assert.Equal(("ann", "k1"), (offer.CourierId, offer.OutletId));

        Assert.True(e.PauseOutlet("k1", "staff-1", "oven broke", moveQueued: true, offeredAt, log).IsOk);
        Assert.Equal("k2", Assert.Single(log.OfType<OrderRerouted>()).ToOutletId);
        var (released, _) = Until<OfferDeclined>(e, log, offeredAt);

        // Withdrawn by the next round, long before the offer would have expired.
        Assert.Equal(offer.OfferId, released.OfferId);
        Assert.Equal("the order moved to k2", released.Reason);
        Assert.True(released.At < offer.ExpiresAt, $"released at {released.At:O}, the offer expires at {offer.ExpiresAt:O}");
        Assert.Empty(e.Delivery.CourierOf("ann", released.At)!.Orders);
        // She gets the order again, at its new outlet; the old offer cannot send her to k1 any more.
        var (again, againAt) = log.SkipWhile(x => !ReferenceEquals(x, released)).OfType<OfferMade>().FirstOrDefault() is { } same
            ? (same, same.At) // in the very round that released her
            : Until<OfferMade>(e, log, released.At);
        Assert.Equal(Outcome.Conflict, e.AtDelivery(againAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, againAt, o)).Outcome);
        Assert.Equal(("ann", "k2"), (again.CourierId, again.OutletId));
        // Not rested as a courier who turned an offer down is (a minute): she did nothing wrong.
        Assert.True(againAt - released.At < TimeSpan.FromSeconds(30), $"offered again {againAt - released.At} after the withdrawal");
        Assert.Equal(["o1"], again.OrderIds);
        Assert.True(e.AtDelivery(againAt, log, (d, o) => d.AcceptOffer("ann", again.OfferId, againAt, o)).IsOk);
        Assert.Equal("k2", e.Delivery.CourierOf("ann", againAt)!.OutletId);
    }

    /// <summary>One outlet "k" (pizza about 6 min, bread about 5; simulated chefs unless <paramref name="pizzaStation"/> says otherwise) and the given fleet.</summary>
    private static BrigadeEngine OneKitchen(string fleet = HumanFleet, string pizzaStation = """{ "id": "pizza" }""", string outletExtra = "") =>
        new(TestCatalogs.Kitchen(ovenSlots: 8, pizzaStation: pizzaStation, outletExtra: outletExtra, fleet: fleet));

    /// <summary>Two orders at one outlet, offered to Ann as one bundle, accepted; returned once both are ready.</summary>
    private static (BrigadeEngine Engine, List<IDomainEvent> Log, OfferMade Offer, DateTimeOffset ReadyAt) BundleAcceptedAndReady()
    {
        var e = OneKitchen();
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        Assert.True(e.PlaceOrder(Order("o1", "k", new GeoPoint(52.525, 13.405)), T0.AddSeconds(1), log).IsOk);
        Assert.True(e.PlaceOrder(Order("o2", "k", new GeoPoint(52.526, 13.406)), T0.AddSeconds(2), log).IsOk);
        StartShift(e, log, "ann", 52.521, 13.401, T0.AddSeconds(2));
        var (offer, offeredAt) = Until<OfferMade>(e, log, T0.AddSeconds(2));
        Assert.Equal(["o1", "o2"], offer.OrderIds.Order());
        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, offeredAt, o)).IsOk);
        var t = offeredAt;
        while (log.OfType<OrderReady>().Count() < 2) e.Advance(t = t.AddSeconds(5), log);
        return (e, log, offer, t);
    }

    [Fact]
    public void An_accept_sent_again_after_a_lost_answer_is_answered_as_done_and_changes_nothing()
    {
        // The courier's app accepted, but the answer was lost; it sends the accept again. The courier
        // holds the offer's orders: telling them the offer is gone would leave the food with nobody coming.
        var (e, log, offer, t) = BundleAcceptedAndReady();
        var before = log.Count;

        var again = e.AtDelivery(t, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, t, o));

        Assert.True(again.IsOk, again.Message);
        Assert.Equal(before, log.Count);
        Assert.Equal(offer.OrderIds.Order(), e.Delivery.CourierOf("ann", t)!.Orders.Order());
        // Another courier's retry of it is still refused.
        Assert.True(e.AtDelivery(t, log, (d, o) => d.StartShift("bob", "Bob", 52.521, 13.401, t, o)).IsOk);
        Assert.Equal(Outcome.Conflict, e.AtDelivery(t, log, (d, o) => d.AcceptOffer("bob", offer.OfferId, t, o)).Outcome);
    }

    [Fact]
    public void A_pickup_or_arrival_sent_again_after_a_lost_answer_is_answered_as_done_and_changes_nothing()
    {
        var (e, log, offer, t) = BundleAcceptedAndReady();
        Assert.True(e.AtDelivery(t, log, (d, o) => d.ArriveAtOutlet("ann", t, o)).IsOk);
        var arrived = log.Count;
        Assert.True(e.AtDelivery(t, log, (d, o) => d.ArriveAtOutlet("ann", t, o)).IsOk);
        Assert.Equal(arrived, log.Count);

        Assert.True(e.AtDelivery(t, log, (d, o) => d.PickUp("ann", offer.OrderIds[0], t, o)).IsOk);
        var before = log.Count;
        var again = e.AtDelivery(t.AddSeconds(2), log, (d, o) => d.PickUp("ann", offer.OrderIds[0], t.AddSeconds(2), o));

        Assert.True(again.IsOk, again.Message);
        Assert.Equal(before, log.Count);
        Assert.Equal("atoutlet", e.Delivery.CourierOf("ann", t)!.Phase); // still waiting for the second order
        Assert.Single(log.OfType<OrderPickedUp>());
    }

    [Fact]
    public void A_courier_with_a_bundle_stays_at_the_outlet_until_every_order_of_it_is_picked_up()
    {
        var (e, log, offer, t) = BundleAcceptedAndReady();
        var first = offer.OrderIds[0];
        var second = offer.OrderIds[1];

        Assert.True(e.AtDelivery(t, log, (d, o) => d.PickUp("ann", first, t, o)).IsOk);

        var ann = e.Delivery.CourierOf("ann", t)!;
        Assert.Equal("atoutlet", ann.Phase);
        Assert.Equal([first, second], ann.Orders);
        Assert.Equal(OrderStatus.PickedUp, e.Orders[first].Status);
        Assert.Equal(OrderStatus.CourierAssigned, e.Orders[second].Status);
        var later = t.AddMinutes(1);
        e.Advance(later, log);
        Assert.Equal("atoutlet", e.Delivery.CourierOf("ann", later)!.Phase); // however long the second takes

        Assert.True(e.AtDelivery(later, log, (d, o) => d.PickUp("ann", second, later, o)).IsOk);

        ann = e.Delivery.CourierOf("ann", later)!;
        Assert.Equal("tocustomer", ann.Phase);
        Assert.Equal(OrderStatus.PickedUp, e.Orders[second].Status);
    }

    [Fact]
    public void A_courier_who_delivers_part_of_a_bundle_leaves_the_rest_to_another_courier()
    {
        var (e, log, offer, t) = BundleAcceptedAndReady();
        var (taken, left) = (offer.OrderIds[0], offer.OrderIds[1]);
        Assert.True(e.AtDelivery(t, log, (d, o) => d.PickUp("ann", taken, t, o)).IsOk);

        // Ann does not wait for the second order: she rides off and hands the first over.
        var at = t.AddMinutes(5);
        var start = log.Count;
        Assert.True(e.AtDelivery(at, log, (d, o) => d.Deliver("ann", taken, "4321", at, o)).IsOk);

        var unassigned = Assert.Single(log.Skip(start).OfType<CourierUnassigned>());
        Assert.Equal((left, "ann"), (unassigned.OrderId, unassigned.CourierId));
        Assert.True(log.IndexOf(unassigned) < log.IndexOf(log.Skip(start).OfType<OrderDelivered>().Single()), "released before the delivery ends the ride");
        Assert.Equal(OrderStatus.Ready, e.Orders[left].Status);
        Assert.Null(e.Orders[left].CourierId);
        var ann = e.Delivery.CourierOf("ann", at)!;
        Assert.Empty(ann.Orders);
        Assert.NotEqual("tocustomer", ann.Phase);
        Assert.Equal(Outcome.NotFound, e.AtDelivery(at, log, (d, o) => d.PickUp("ann", left, at, o)).Outcome);

        // The order left behind is offered again.
        var (again, _) = Until<OfferMade>(e, log, at);
        Assert.Equal([left], again.OrderIds);
    }

    [Fact]
    public void A_simulated_courier_collects_a_bundle_together_once_its_last_order_is_ready()
    {
        // Bread is baked by simulated chefs, on time; the pizza by a human chef who starts it a quarter of an
        // hour late, so the courier, timed to the estimates, waits at the outlet with the bread ready.
        var e = OneKitchen("""{ "simulatedCouriers": 1, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 30, "maxBundleSize": 2, "radiusKm": 0.1 }""",
            pizzaStation: """{ "id": "pizza", "mode": "human" }""");
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        Assert.True(e.PlaceOrder(Order("bread", "k", new GeoPoint(52.525, 13.405), item: "bread"), T0.AddSeconds(1), log).IsOk);
        Assert.True(e.PlaceOrder(Order("pizza", "k", new GeoPoint(52.526, 13.406)), T0.AddSeconds(2), log).IsOk);
        var late = T0.AddMinutes(15);
        e.Advance(late, log);
        foreach (var step in new[] { "top", "bake" })
        {
            var started = e.AtKitchen("k", late, log, (k, o) => k.StartTask("a", null, late, o));
            Assert.True(started.IsOk, $"{step}: {started.Message}");
            Assert.True(e.AtKitchen("k", late, log, (k, o) => k.CompleteTask(started.TaskId, started.Token, late, o)).IsOk);
        }

        e.Advance(T0.AddHours(2), log);

        var bundle = Assert.Single(log.OfType<OfferMade>());
        Assert.Equal(["bread", "pizza"], bundle.OrderIds.Order());
        var ready = log.OfType<OrderReady>().ToDictionary(r => r.OrderId, r => r.At);
        var arrived = Assert.Single(log.OfType<CourierArrivedAtOutlet>()).At;
        Assert.True(ready["bread"] < arrived, $"the bread was ready at {Sec(ready["bread"])}, the courier arrived at {Sec(arrived)}");
        Assert.True(arrived.AddMinutes(5) < ready["pizza"], $"the courier arrived at {Sec(arrived)}, the pizza was ready at {Sec(ready["pizza"])}");
        var pickups = log.OfType<OrderPickedUp>().ToList();
        Assert.Equal(["bread", "pizza"], pickups.Select(p => p.OrderId).Order());
        // Together, half the pickup service after arriving or as soon as the last one is ready, whichever is later.
        var collect = new[] { arrived + e.Delivery.Fleet.PickupService / 2, ready["bread"], ready["pizza"] }.Max();
        Assert.Equal(ready["pizza"], collect);
        Assert.All(pickups, p => Assert.Equal(collect, p.At));
        Assert.Equal(2, log.OfType<OrderDelivered>().Count());
        Assert.All(log.OfType<OrderDelivered>(), d => Assert.True(d.At > ready["pizza"]));
    }

    [Fact]
    public void A_courier_whose_order_the_kitchen_fails_is_free_again_and_takes_the_next_order()
    {
        // Human chefs at the pizza station, one attempt per task: a task whose lease runs out fails its order.
        var e = OneKitchen(pizzaStation: """{ "id": "pizza", "mode": "human" }""", outletExtra: "\"maxAttempts\": 1, \"leaseSeconds\": 30,");
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        StartShift(e, log, "ann", 52.521, 13.401, T0);
        Assert.True(e.PlaceOrder(Order("o1", "k", Customer), T0.AddSeconds(1), log).IsOk);
        var (offer, offeredAt) = Until<OfferMade>(e, log, T0);
        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, offeredAt, o)).IsOk);
        Assert.Equal(OrderStatus.CourierAssigned, e.Orders["o1"].Status);
        Assert.Equal("tooutlet", e.Delivery.CourierOf("ann", offeredAt)!.Phase);

        Assert.True(e.AtKitchen("k", offeredAt, log, (k, o) => k.StartTask("a", null, offeredAt, o)).IsOk);
        var (failed, failedAt) = Until<OrderFailed>(e, log, offeredAt); // no heartbeat: the lease runs out

        Assert.Equal("o1", failed.OrderId);
        Assert.Equal(OrderStatus.Failed, e.Orders["o1"].Status);
        var ann = e.Delivery.CourierOf("ann", failedAt)!;
        Assert.Equal("idle", ann.Phase);
        Assert.Empty(ann.Orders);
        Assert.Null(ann.OutletId);
        Assert.Null(e.Delivery.Track("o1", failedAt));
        // Free for the next order.
        Assert.True(e.PlaceOrder(Order("o2", "k", Customer), failedAt, log).IsOk);
        var (next, _) = Until<OfferMade>(e, log, failedAt, withinMinutes: 30);
        Assert.Equal("ann", next.CourierId);
        Assert.Equal(["o2"], next.OrderIds);
    }

    /// <summary>One kitchen whose pizza is made by hand (so it waits), courier ann on shift, order o1 placed and offered to her.</summary>
    private static (BrigadeEngine Engine, List<IDomainEvent> Log, OfferMade Offer, DateTimeOffset OfferedAt) OfferedToAnn()
    {
        var e = OneKitchen(pizzaStation: """{ "id": "pizza", "mode": "human" }""");
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        StartShift(e, log, "ann", 52.521, 13.401, T0);
        Assert.True(e.PlaceOrder(Order("o1", "k", Customer), T0.AddSeconds(1), log).IsOk);
        var (offer, offeredAt) = Until<OfferMade>(e, log, T0);
        return (e, log, offer, offeredAt);
    }

    [Fact]
    public void A_courier_who_accepts_an_offer_whose_order_was_cancelled_meanwhile_is_not_sent_anywhere_and_takes_the_next_order()
    {
        var (e, log, offer, offeredAt) = OfferedToAnn();
        Assert.True(e.CancelOrder("o1", "changed my mind", "c", offeredAt, log).IsOk);

        var accepted = e.AtDelivery(offeredAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, offeredAt, o));

        Assert.Equal(Outcome.Conflict, accepted.Outcome);
        Assert.Contains("cancelled", accepted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log, x => x is OfferAccepted);
        var withdrawn = Assert.Single(log.OfType<OfferDeclined>());
        Assert.Equal((offer.OfferId, "its orders were cancelled or failed"), (withdrawn.OfferId, withdrawn.Reason));
        var ann = e.Delivery.CourierOf("ann", offeredAt)!;
        Assert.Equal("idle", ann.Phase);
        Assert.Null(ann.Offer);
        Assert.Null(ann.OutletId);
        Assert.True(e.PlaceOrder(Order("o2", "k", Customer), offeredAt, log).IsOk);
        var (next, _) = Until<OfferMade>(e, log, offeredAt, withinMinutes: 30);
        Assert.Equal("ann", next.CourierId);
        Assert.Equal(["o2"], next.OrderIds);
    }

    [Fact]
    public void An_offer_whose_order_is_cancelled_is_withdrawn_at_the_next_round_not_left_until_it_expires()
    {
        var (e, log, offer, offeredAt) = OfferedToAnn();
        Assert.True(e.CancelOrder("o1", "changed my mind", "c", offeredAt, log).IsOk);

        var (withdrawn, withdrawnAt) = Until<OfferDeclined>(e, log, offeredAt);

        Assert.Equal((offer.OfferId, "its orders were cancelled or failed"), (withdrawn.OfferId, withdrawn.Reason));
        Assert.True(withdrawnAt - offeredAt <= TimeSpan.FromSeconds(5), $"withdrawn {withdrawnAt - offeredAt} after the cancel; the offer expires at {offer.ExpiresAt:O}");
        var ann = e.Delivery.CourierOf("ann", withdrawnAt)!;
        Assert.Null(ann.Offer);
        Assert.Equal("idle", ann.Phase);
    }

    [Fact]
    public void A_courier_who_declines_an_offer_is_rested_a_minute_before_the_next()
    {
        var (e, log, offer, offeredAt) = OfferedToAnn();

        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.DeclineOffer("ann", offer.OfferId, offeredAt, o)).IsOk);

        var (again, againAt) = Until<OfferMade>(e, log, offeredAt);
        Assert.Equal("ann", again.CourierId);
        Assert.Equal(["o1"], again.OrderIds);
        Assert.InRange(againAt - offeredAt, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1).Add(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void A_decline_sent_again_by_the_courier_who_declined_is_answered_as_done_and_changes_nothing()
    {
        // The courier's app declined, but the answer was lost (or the courier tapped twice); it sends the decline again.
        var (e, log, offer, offeredAt) = OfferedToAnn();
        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.DeclineOffer("ann", offer.OfferId, offeredAt, o)).IsOk);
        var before = log.Count;
        var t = offeredAt.AddSeconds(2);

        var again = e.AtDelivery(t, log, (d, o) => d.DeclineOffer("ann", offer.OfferId, t, o));

        Assert.True(again.IsOk, again.Message);
        Assert.Equal(before, log.Count);
        Assert.Single(log.OfType<OfferDeclined>());
        // Another courier's decline of it is still refused.
        StartShift(e, log, "bob", 52.521, 13.401, t);
        Assert.Equal(Outcome.Conflict, e.AtDelivery(t, log, (d, o) => d.DeclineOffer("bob", offer.OfferId, t, o)).Outcome);
    }

    [Fact]
    public void A_decline_of_an_offer_the_courier_accepted_is_still_refused()
    {
        var (e, log, offer, offeredAt) = OfferedToAnn();
        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, offeredAt, o)).IsOk);
        var before = log.Count;

        var declined = e.AtDelivery(offeredAt, log, (d, o) => d.DeclineOffer("ann", offer.OfferId, offeredAt, o));

        Assert.Equal(Outcome.Conflict, declined.Outcome);
        Assert.Equal(before, log.Count);
        Assert.Equal(["o1"], e.Delivery.CourierOf("ann", offeredAt)!.Orders);
    }

    [Fact]
    public void A_simulated_courier_whose_offered_order_is_cancelled_before_it_answers_stays_free_for_the_next_order()
    {
        var e = OneKitchen(pizzaStation: """{ "id": "pizza", "mode": "human" }""",
            fleet: """{ "simulatedCouriers": 1, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 30, "radiusKm": 0.1 }""");
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        Assert.True(e.PlaceOrder(Order("o1", "k", Customer), T0.AddSeconds(1), log).IsOk);
        var (offer, offeredAt) = Until<OfferMade>(e, log, T0);
        Assert.Equal(offeredAt, offer.At); // a simulated courier answers a few seconds after the offer: it has not yet
        Assert.Empty(log.OfType<OfferAccepted>());

        Assert.True(e.CancelOrder("o1", "changed my mind", "c", offeredAt, log).IsOk);
        var (answer, answeredAt) = Until<OfferDeclined>(e, log, offeredAt);

        Assert.Equal((offer.OfferId, "its orders were cancelled or failed"), (answer.OfferId, answer.Reason));
        Assert.DoesNotContain(log, x => x is OfferAccepted);
        var courier = e.Delivery.CourierOf(offer.CourierId, answeredAt)!;
        Assert.Equal("idle", courier.Phase);
        Assert.Null(courier.OutletId);
        Assert.True(e.PlaceOrder(Order("o2", "k", Customer), answeredAt, log).IsOk);
        var (next, _) = Until<OfferMade>(e, log, answeredAt, withinMinutes: 30);
        Assert.Equal((offer.CourierId, "o2"), (next.CourierId, Assert.Single(next.OrderIds)));
    }

    [Fact]
    public void An_order_is_not_held_for_a_courier_who_is_late_finishing_a_delivery_while_another_is_free()
    {
        var e = OneKitchen();
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        StartShift(e, log, "ann", 52.5201, 13.4001, T0);
        // Ann's customer is around the corner from the outlet.
        Assert.True(e.PlaceOrder(Order("o1", "k", new GeoPoint(52.5205, 13.4005)), T0.AddSeconds(1), log).IsOk);
        var (offer, offeredAt) = Until<OfferMade>(e, log, T0);
        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, offeredAt, o)).IsOk);
        var (_, readyAt) = Until<OrderReady>(e, log, offeredAt);
        Assert.True(e.AtDelivery(readyAt, log, (d, o) => d.PickUp("ann", "o1", readyAt, o)).IsOk);

        // Ann does not confirm the handover: she is long past when she should have been free again.
        var late = readyAt.AddMinutes(30);
        e.Advance(late, log);
        Assert.Equal("tocustomer", e.Delivery.CourierOf("ann", late)!.Phase);
        StartShift(e, log, "bob", 52.53, 13.42, late);
        Assert.True(e.PlaceOrder(Order("o2", "k", new GeoPoint(52.5205, 13.4005)), late, log).IsOk);

        var start = log.Count;
        var (next, _) = Until<OfferMade>(e, log, late, withinMinutes: 20);

        Assert.Equal(("bob", "o2"), (next.CourierId, Assert.Single(next.OrderIds)));
        Assert.DoesNotContain(log.Skip(start), x => x is OrderDelivered);
    }

    [Fact]
    public void A_courier_whose_order_fails_is_not_taken_as_freshly_seen_where_they_last_reported()
    {
        var e = OneKitchen(fleet: HumanFleet.Replace("\"staleSeconds\": 3600", "\"staleSeconds\": 120", StringComparison.Ordinal),
            pizzaStation: """{ "id": "pizza", "mode": "human" }""", outletExtra: "\"maxAttempts\": 1, \"leaseSeconds\": 30,");
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        StartShift(e, log, "ann", 52.521, 13.401, T0);
        Assert.True(e.PlaceOrder(Order("o1", "k", Customer), T0.AddSeconds(1), log).IsOk);
        var offeredAt = T0;
        for (; !log.OfType<OfferMade>().Any(); offeredAt = offeredAt.AddSeconds(5))
        {
            e.Delivery.ReportLocation("ann", 52.521, 13.401, offeredAt, offeredAt);
            e.Advance(offeredAt, log);
        }
        var offer = log.OfType<OfferMade>().Single();
        Assert.True(e.AtDelivery(offeredAt, log, (d, o) => d.AcceptOffer("ann", offer.OfferId, offeredAt, o)).IsOk);

        // Ann's phone goes quiet; ten minutes later her order fails in the kitchen (a chef starts it and vanishes).
        var started = offeredAt.AddMinutes(10);
        e.Advance(started, log);
        Assert.True(e.AtKitchen("k", started, log, (k, o) => k.StartTask("a", null, started, o)).IsOk);
        var (_, cancelled) = Until<OrderFailed>(e, log, started);

        var ann = e.Delivery.CourierOf("ann", cancelled)!;
        Assert.Equal("idle", ann.Phase);
        Assert.True(ann.Stale, $"last seen at {ann.PositionAt:O}, offered at {offeredAt:O}, failed at {cancelled:O}");
        Assert.True(ann.PositionAt <= offeredAt, $"last seen at {ann.PositionAt:O}");
        // Nobody knows where she is: no offer until she reports again.
        Assert.True(e.PlaceOrder(Order("o2", "k", Customer), cancelled, log).IsOk);
        var start = log.Count;
        for (var t = cancelled; t < cancelled.AddMinutes(2); t = t.AddSeconds(5)) e.Advance(t, log);
        Assert.DoesNotContain(log.Skip(start), x => x is OfferMade);
    }
}
