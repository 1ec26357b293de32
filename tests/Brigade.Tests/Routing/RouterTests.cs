using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Routing;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Routing;

/// <summary>The router in deterministic scenarios on a virtual clock.</summary>
public class RouterTests
{
    /// <summary>Two outlets of one restaurant, 1.7 km apart, one chef each; customers live next to k1.</summary>
    /// <remarks>No simulated couriers and no "no courier near" penalty: these scenarios are about kitchens; the courier term has its own test.</remarks>
    internal static RestaurantCatalog TwoOutlets(double marginMinutes = 5, double maxPromiseMinutes = 60, double silentAfterSeconds = 60, int oven = 4, double noCourierPenaltyMinutes = 0) =>
        CatalogLoader.Parse(TwoOutletsJson(marginMinutes, maxPromiseMinutes, silentAfterSeconds, oven, noCourierPenaltyMinutes), "two outlets");

    internal static string TwoOutletsJson(double marginMinutes = 5, double maxPromiseMinutes = 60, double silentAfterSeconds = 60, int oven = 4, double noCourierPenaltyMinutes = 0) =>
        $$"""
        {
          "timeZone": "UTC",
          "routing": { "localityMarginMinutes": {{marginMinutes}}, "silentAfterSeconds": {{silentAfterSeconds}}, "noCourierPenaltyMinutes": {{noCourierPenaltyMinutes}} },
          "fleet": { "simulatedCouriers": 0 },
          "restaurants": [{
            "id": "r", "name": "Twin Pizza",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [
                { "name": "top", "station": "pizza", "workSeconds": 60 },
                { "name": "bake", "station": "pizza", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 300 } ] } ],
            "outlets": [
              { "id": "k1", "lat": 52.520, "lon": 13.400, "maxPromiseMinutes": {{maxPromiseMinutes}}, "zone": { "radiusKm": 4 },
                "stations": [ { "id": "pizza" } ], "equipment": [ { "id": "oven", "capacity": {{oven}} } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] },
              { "id": "k2", "lat": 52.530, "lon": 13.420, "maxPromiseMinutes": {{maxPromiseMinutes}}, "zone": { "radiusKm": 4 },
                "stations": [ { "id": "pizza" } ], "equipment": [ { "id": "oven", "capacity": {{oven}} } ], "staff": [ { "id": "b", "skills": ["pizza"] } ] }
            ]
          }]
        }
        """;

    private static readonly GeoPoint NearK1 = new(52.521, 13.401);

    private static EngineResult Place(BrigadeEngine e, string id, DateTimeOffset at, List<IDomainEvent> log, string? outlet = null, GeoPoint? to = null, int qty = 1) =>
        e.PlaceOrder(new PlaceOrder(id, "r", outlet, [new OrderLine("pizza", qty)], to ?? NearK1, "c", id, "h", "1234"), at, log);

    private static OrderRouted Routed(List<IDomainEvent> log, string id) => log.OfType<OrderRouted>().Single(r => r.OrderId == id);

    [Fact]
    public void With_both_outlets_free_an_order_goes_to_the_local_one_and_records_every_candidate()
    {
        var e = new BrigadeEngine(TwoOutlets());
        var log = new List<IDomainEvent>();

        Assert.True(Place(e, "o1", T0, log).IsOk);

        var routed = Routed(log, "o1");
        Assert.Equal("k1", routed.OutletId);
        Assert.Equal("local outlet, and the soonest", routed.Reason);
        Assert.Equal(["k1", "k2"], routed.Candidates.Select(c => c.OutletId));
        Assert.All(routed.Candidates, c => Assert.True(c.Eligible && c.PromisedAt > c.ReadyAt));
        Assert.True(routed.Candidates[0].DistanceKm < routed.Candidates[1].DistanceKm);
    }

    [Fact]
    public void When_the_local_outlet_is_saturated_orders_go_to_the_other_one()
    {
        var e = new BrigadeEngine(TwoOutlets());
        var log = new List<IDomainEvent>();
        for (var i = 0; i < 10; i++) Assert.True(Place(e, $"busy{i}", T0, log, outlet: "k1").IsOk); // a rush at k1 alone

        Assert.True(Place(e, "o1", T0, log).IsOk);

        var routed = Routed(log, "o1");
        Assert.Equal("k2", routed.OutletId);
        Assert.StartsWith("sooner by", routed.Reason, StringComparison.Ordinal);
        Assert.Contains("than the local outlet k1", routed.Reason, StringComparison.Ordinal);
        Assert.Equal("k2", e.Orders["o1"].OutletId);
    }

    [Fact]
    public void When_the_chosen_kitchen_is_full_the_order_spills_over()
    {
        // A huge margin keeps k1 the choice; its promise limit makes it refuse: the order spills to k2.
        var e = new BrigadeEngine(TwoOutlets(marginMinutes: 600, maxPromiseMinutes: 20));
        var log = new List<IDomainEvent>();
        while (Place(e, $"fill{log.Count}", T0, log, outlet: "k1").IsOk) { }

        Assert.True(Place(e, "o1", T0, log).IsOk);

        var routed = Routed(log, "o1");
        Assert.Equal("k2", routed.OutletId);
        Assert.StartsWith("spill-over: k1 is full", routed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_outside_every_zone_is_refused_and_stores_nothing()
    {
        var e = new BrigadeEngine(TwoOutlets());
        var log = new List<IDomainEvent>();

        var result = Place(e, "far", T0, log, to: new GeoPoint(52.70, 13.90));

        Assert.Equal(Outcome.Invalid, result.Outcome);
        Assert.Equal("outside-delivery-zone", result.Code);
        Assert.Empty(log);
    }

    [Fact]
    public void The_locality_margin_stops_orders_flapping_between_outlets()
    {
        // A customer about midway: which kitchen is sooner flips with every order placed at either.
        var midway = new GeoPoint(52.5249, 13.4099);
        (List<string> Outlets, List<OrderRouted> Routes) Run(double margin)
        {
            var e = new BrigadeEngine(TwoOutlets(marginMinutes: margin));
            var log = new List<IDomainEvent>();
            for (var i = 0; i < 16; i++)
            {
                var at = T0.AddSeconds(45 * i);
                e.Advance(at, log);
                Assert.True(Place(e, $"o{i}", at, log, to: midway).IsOk);
            }
            var routes = log.OfType<OrderRouted>().ToList();
            return (routes.Select(r => r.OutletId).ToList(), routes);
        }
        static int Switches(List<string> outlets) => outlets.Zip(outlets.Skip(1)).Count(p => p.First != p.Second);

        var (free, _) = Run(0);
        var (sticky, routes) = Run(5);

        Assert.Equal(15, Switches(free)); // without a margin, every order flips to the other kitchen
        // With it, orders stay local until the local outlet is five minutes behind, then balance at that edge.
        var firstAway = sticky.IndexOf("k2");
        Assert.True(firstAway >= 4, $"the first order left the local outlet at #{firstAway}");
        Assert.All(sticky.Take(firstAway), o => Assert.Equal("k1", o));
        var candidates = routes[firstAway].Candidates.ToDictionary(c => c.OutletId);
        Assert.True(candidates["k1"].PromisedAt - candidates["k2"].PromisedAt >= TimeSpan.FromMinutes(5));
        Assert.True(Switches(sticky) <= Switches(free) / 2, $"{Switches(sticky)} switches with the margin");
    }

    [Fact]
    public void An_outlet_that_goes_dark_mid_rush_hands_its_unstarted_orders_over_and_nothing_is_lost_or_duplicated()
    {
        var e = new BrigadeEngine(TwoOutlets(marginMinutes: 600, silentAfterSeconds: 60));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        for (var i = 0; i < 8; i++) Assert.True(Place(e, $"o{i}", T0.AddSeconds(i), log).IsOk);
        Assert.All(Enumerable.Range(0, 8), i => Assert.Equal("k1", e.Orders[$"o{i}"].OutletId));
        var started = log.OfType<TaskStarted>().Select(t => t.OrderId).Distinct().ToHashSet();

        e.SetOutletPower("k1", false, "drill", T0.AddSeconds(30), log);
        e.Advance(T0.AddSeconds(95), log);

        var silent = Assert.Single(log.OfType<OutletWentSilent>());
        Assert.Equal(T0.AddSeconds(90), silent.At); // found silent once the threshold passed, not before
        var moved = log.OfType<OrderRerouted>().ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, m =>
        {
            Assert.Equal("k1", m.FromOutletId);
            Assert.Equal("k2", m.ToOutletId);
            Assert.Contains("went silent", m.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(m.OrderId, started);
            Assert.Equal("k2", e.Orders[m.OrderId].OutletId);
            Assert.Equal(m.EstimatedReadyAt, e.Orders[m.OrderId].EstimatedReadyAt); // the customer's new estimate
        });
        Assert.Equal(moved.Count, log.OfType<OrderWithdrawn>().Count(w => w.OutletId == "k1"));

        // No new orders for the dark outlet; when its power comes back it takes them again.
        Assert.True(Place(e, "during", T0.AddSeconds(100), log).IsOk);
        Assert.Equal("k2", e.Orders["during"].OutletId);
        e.SetOutletPower("k1", true, "drill", T0.AddSeconds(200), log);
        e.Advance(T0.AddSeconds(201), log);
        Assert.Single(log.OfType<OutletRecovered>());
        e.Advance(T0.AddHours(3), log);
        Assert.True(Place(e, "after", T0.AddHours(3), log).IsOk);
        Assert.Equal("k1", e.Orders["after"].OutletId);

        // Every order was cooked exactly once, in exactly one kitchen.
        var cooked = log.OfType<OrderCooked>().GroupBy(c => c.OrderId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var id in Enumerable.Range(0, 8).Select(i => $"o{i}").Append("during"))
        {
            var once = Assert.Single(cooked[id]);
            Assert.Equal(e.Orders[id].OutletId, once.OutletId);
            Assert.Equal(OrderStatus.Ready, e.Orders[id].Status);
        }
    }

    [Fact]
    public void A_delivery_order_is_expected_at_the_door_as_the_router_promised_and_the_estimate_moves_with_the_kitchen()
    {
        var e = new BrigadeEngine(TwoOutlets(marginMinutes: 600));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);

        Assert.True(Place(e, "o1", T0, log).IsOk);
        var promised = Routed(log, "o1").Candidates.Single(c => c.OutletId == "k1");
        var order = e.Orders["o1"];
        var toDoor = promised.PromisedAt!.Value - promised.ReadyAt!.Value;
        Assert.True(toDoor > TimeSpan.Zero);
        Assert.Equal(order.EstimatedReadyAt + toDoor, order.ExpectedAtDoor);

        // A second order at the same one-chef kitchen waits behind the first: its door moves with its kitchen estimate.
        Assert.True(Place(e, "o2", T0.AddSeconds(1), log).IsOk);
        var second = e.Orders["o2"];
        Assert.Equal(second.EstimatedReadyAt + second.PlannedReadyToDoor, second.ExpectedAtDoor);
        Assert.True(second.ExpectedAtDoor > order.ExpectedAtDoor);

        // Once it is ready, the door follows the actual ready time.
        e.Advance(T0.AddMinutes(30), log);
        order = e.Orders["o1"];
        Assert.NotNull(order.Timeline.ReadyAt);
        Assert.Equal(order.Timeline.ReadyAt + toDoor, order.ExpectedAtDoor);
    }

    [Fact]
    public void An_order_for_a_named_outlet_gets_a_door_estimate_too_and_a_pickup_order_none()
    {
        var e = new BrigadeEngine(TwoOutlets());
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);

        Assert.True(Place(e, "named", T0, log, outlet: "k2").IsOk);
        var candidate = Assert.Single(Routed(log, "named").Candidates);
        Assert.True(candidate.Eligible);
        Assert.Equal(candidate.PromisedAt, e.Orders["named"].EstimatedReadyAt + (candidate.PromisedAt - candidate.ReadyAt));
        Assert.NotNull(e.Orders["named"].ExpectedAtDoor);

        Assert.True(e.PlaceOrder(new PlaceOrder("pickup", "r", null, [new OrderLine("pizza", 1)], null, "c", "pickup", "h", null), T0, log).IsOk);
        Assert.Null(e.Orders["pickup"].ExpectedAtDoor);
        Assert.Null(e.Orders["pickup"].PlannedReadyToDoor);
    }

    [Fact]
    public void A_courier_s_estimate_replaces_the_plan_and_the_plan_returns_if_the_courier_is_taken_off()
    {
        var planned = new Order
        {
            Id = "o", RestaurantId = "r", Lines = [new OrderLine("pizza", 1)], DeliverTo = NearK1, CustomerId = "c", IdempotencyKey = "k", RequestHash = "h",
            Status = OrderStatus.Preparing, EstimatedReadyAt = T0.AddMinutes(10), PlannedReadyToDoor = TimeSpan.FromMinutes(12),
        };
        Assert.Equal(T0.AddMinutes(22), planned.ExpectedAtDoor);

        var assigned = Order.Apply(planned, new Brigade.Delivery.CourierAssigned("o", "ann", "offer-1", T0.AddMinutes(10), T0.AddMinutes(19), T0.AddMinutes(1)));
        Assert.Equal(T0.AddMinutes(19), assigned.ExpectedAtDoor);

        var unassigned = Order.Apply(assigned, new Brigade.Delivery.CourierUnassigned("o", "ann", "shift ended", T0.AddMinutes(2)));
        Assert.Equal(T0.AddMinutes(22), unassigned.ExpectedAtDoor);

        var cancelled = Order.Apply(planned, new OrderCancelled("o", "changed my mind", "c", T0.AddMinutes(1)));
        Assert.Null(cancelled.ExpectedAtDoor);
    }

    [Fact]
    public void A_delivery_promise_counts_the_wait_for_a_courier()
    {
        var e = new BrigadeEngine(TwoOutlets(noCourierPenaltyMinutes: 30));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        var lines = new List<OrderLine> { new("pizza", 1) };
        var r = e.Catalog.FindRestaurant("r")!;
        var without = e.Route(r, NearK1, lines, T0).Candidates.Single(c => c.OutletId == "k1");

        e.AtDelivery(T0, log, (d, o) => d.StartShift("ann", "Ann", 52.5201, 13.4001, T0, o));
        e.Advance(T0.AddSeconds(30), log); // a dispatch round refreshes courier availability
        var with = e.Route(r, NearK1, lines, T0.AddSeconds(30)).Candidates.Single(c => c.OutletId == "k1");

        Assert.True(without.PromisedAt >= T0.AddMinutes(30), "no courier near: the promise waits for one");
        Assert.True(with.PromisedAt < without.PromisedAt!.Value.AddMinutes(-20), $"{with.PromisedAt} vs {without.PromisedAt}");
    }

    [Fact]
    public void A_paused_outlet_gets_no_new_orders_until_resumed()
    {
        var e = new BrigadeEngine(TwoOutlets());
        var log = new List<IDomainEvent>();
        Assert.True(e.PauseOutlet("k1", "staff-1", "oven cleaning", moveQueued: false, T0, log).IsOk);
        Assert.Equal(Outcome.Conflict, e.PauseOutlet("k1", "staff-1", "again", false, T0, log).Outcome);

        Assert.True(Place(e, "o1", T0, log).IsOk);
        Assert.Equal(Outcome.Unavailable, Place(e, "o2", T0, log, outlet: "k1").Outcome);
        Assert.True(e.ResumeOutlet("k1", "staff-1", T0.AddMinutes(1), log).IsOk);
        Assert.True(Place(e, "o3", T0.AddMinutes(1), log).IsOk);

        Assert.Equal("k2", e.Orders["o1"].OutletId);
        var skipped = Routed(log, "o1").Candidates.Single(c => c.OutletId == "k1");
        Assert.False(skipped.Eligible);
        Assert.Equal("paused: oven cleaning", skipped.Why);
        Assert.Equal("k1", e.Orders["o3"].OutletId);
    }

    /// <summary>Two outlets; k2's heartbeats come from its own device, silent after 60 s without one.</summary>
    private static (BrigadeEngine Engine, List<IDomainEvent> Log) DeviceOutletK2() =>
        (new BrigadeEngine(TwoOutlets(silentAfterSeconds: 60), new EngineOptions { DeviceHeartbeatOutlets = ["k2"] }), []);

    [Fact]
    public void A_device_outlet_that_stops_beating_goes_silent_and_recovers_on_its_next_heartbeat()
    {
        var (e, log) = DeviceOutletK2();
        e.Advance(T0, log);
        e.OutletHeartbeat("k2", T0.AddSeconds(30), log);
        e.Advance(T0.AddSeconds(89), log);
        Assert.Empty(log.OfType<OutletWentSilent>());
        e.Advance(T0.AddSeconds(91), log);
        Assert.Equal(T0.AddSeconds(90), Assert.Single(log.OfType<OutletWentSilent>()).At);
        Assert.Equal("silent", e.Router.HealthOf("k2", T0.AddSeconds(91)).Status);

        e.OutletHeartbeat("k2", T0.AddSeconds(120), log);

        Assert.Single(log.OfType<OutletRecovered>());
        Assert.Equal("open", e.Router.HealthOf("k2", T0.AddSeconds(121)).Status);
    }

    [Fact]
    public void A_device_outlet_that_never_beats_goes_silent_a_grace_period_after_the_engine_starts()
    {
        var (e, log) = DeviceOutletK2();

        e.Advance(T0, log);
        e.Advance(T0.AddSeconds(59), log);
        Assert.Empty(log.OfType<OutletWentSilent>());
        e.Advance(T0.AddSeconds(61), log);

        var silent = Assert.Single(log.OfType<OutletWentSilent>());
        Assert.Equal(("k2", T0.AddSeconds(60)), (silent.OutletId, silent.At));
        Assert.Equal("open", e.Router.HealthOf("k1", T0.AddSeconds(61)).Status);
    }

    [Fact]
    public void A_heartbeat_from_an_outlet_whose_power_is_cut_does_not_bring_it_back()
    {
        var (e, log) = DeviceOutletK2();
        e.Advance(T0, log);
        Assert.True(e.SetOutletPower("k2", on: false, "ops", T0.AddSeconds(10), log).IsOk);
        e.Advance(T0.AddSeconds(91), log);
        var dark = e.Router.HealthOf("k2", T0.AddSeconds(91)).Status;
        Assert.NotEqual("open", dark);

        e.OutletHeartbeat("k2", T0.AddSeconds(120), log);

        Assert.Empty(log.OfType<OutletRecovered>());
        Assert.Equal(dark, e.Router.HealthOf("k2", T0.AddSeconds(121)).Status);
        // With the power back, the device's next heartbeat brings the outlet back.
        Assert.True(e.SetOutletPower("k2", on: true, "ops", T0.AddSeconds(130), log).IsOk);
        e.OutletHeartbeat("k2", T0.AddSeconds(135), log);
        Assert.Single(log.OfType<OutletRecovered>());
        Assert.Equal("open", e.Router.HealthOf("k2", T0.AddSeconds(136)).Status);
    }

    [Fact]
    public void A_device_outlet_that_recovered_long_ago_and_kept_beating_is_not_found_silent_after_a_restart()
    {
        var (e, log) = DeviceOutletK2();
        e.Advance(T0, log);
        e.Advance(T0.AddSeconds(61), log);
        e.OutletHeartbeat("k2", T0.AddSeconds(70), log); // silent at 60, back at 70
        for (var s = 120; s <= 300; s += 30) e.OutletHeartbeat("k2", T0.AddSeconds(s), log);
        e.Advance(T0.AddSeconds(310), log);
        Assert.Equal("open", e.Router.HealthOf("k2", T0.AddSeconds(310)).Status);

        var restarted = new BrigadeEngine(e.Catalog, new EngineOptions { DeviceHeartbeatOutlets = ["k2"] });
        foreach (var ev in log) restarted.Apply(ev);
        var after = new List<IDomainEvent>();
        restarted.Advance(T0.AddSeconds(320), after);

        Assert.Empty(after.OfType<OutletWentSilent>());
        Assert.Equal("open", restarted.Router.HealthOf("k2", T0.AddSeconds(320)).Status);
        // Counted from the restart, the grace period runs out like any other.
        restarted.Advance(T0.AddSeconds(381), after);
        Assert.Equal(T0.AddSeconds(380), Assert.Single(after.OfType<OutletWentSilent>()).At);
    }

    [Fact]
    public void A_power_cut_silences_a_device_outlet_even_while_its_device_keeps_beating()
    {
        var (e, log) = DeviceOutletK2();
        e.Advance(T0, log);
        e.OutletHeartbeat("k2", T0.AddSeconds(5), log);
        Assert.True(e.SetOutletPower("k2", on: false, "ops", T0.AddSeconds(10), log).IsOk);
        for (var s = 30; s <= 120; s += 30)
        {
            e.Advance(T0.AddSeconds(s), log);
            e.OutletHeartbeat("k2", T0.AddSeconds(s), log);
        }

        var silent = Assert.Single(log.OfType<OutletWentSilent>());
        Assert.Equal(("k2", T0.AddSeconds(5), T0.AddSeconds(65)), (silent.OutletId, silent.LastHeartbeatAt, silent.At));
        Assert.Equal("silent", e.Router.HealthOf("k2", T0.AddSeconds(121)).Status);
    }

    [Fact]
    public void A_simulated_outlet_whose_power_is_cut_reports_its_last_heartbeat_at_the_cut()
    {
        var e = new BrigadeEngine(TwoOutlets(silentAfterSeconds: 60));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        e.Advance(T0.AddMinutes(30), log);
        Assert.True(e.SetOutletPower("k1", on: false, "ops", T0.AddMinutes(30), log).IsOk);

        Assert.Equal(T0.AddMinutes(30), e.Router.HealthOf("k1", T0.AddMinutes(30).AddSeconds(20)).LastHeartbeatAt);
        e.Advance(T0.AddMinutes(32), log);
        Assert.Equal(T0.AddMinutes(30), Assert.Single(log.OfType<OutletWentSilent>()).LastHeartbeatAt);
        Assert.Equal(T0.AddMinutes(30), e.Router.HealthOf("k1", T0.AddMinutes(32)).LastHeartbeatAt);
    }

    [Fact]
    public void An_order_no_kitchen_could_ever_make_is_invalid_not_a_reason_to_wait_and_retry()
    {
        var e = new BrigadeEngine(TwoOutlets());
        var log = new List<IDomainEvent>();
        e.Advance(T0, []);

        // Each pizza is several kitchen tasks: 5,000 of them are more than any one order may hold.
        var result = Place(e, "huge", T0, log, qty: 5_000);

        Assert.Equal(Outcome.Invalid, result.Outcome);
        Assert.Contains("kitchen tasks", result.Message, StringComparison.Ordinal);
        Assert.Empty(log);
    }
}
