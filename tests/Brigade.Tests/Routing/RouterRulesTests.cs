using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Routing;

/// <summary>Rules of routing an order that the scenarios in <see cref="RouterTests"/> do not pin.</summary>
public class RouterRulesTests
{
    /// <summary>
    /// Three identical kitchens (one chef, pizza 70 s of work) of one restaurant, promising at most
    /// 10, 20 and 15 minutes. The customer lives next to ka; kb is nearer to them than kc. A huge
    /// locality margin keeps ka first, so the router tries ka, then kb, then kc.
    /// </summary>
    private static RestaurantCatalog ThreeOutlets() =>
        CatalogLoader.Parse("""
        {
          "timeZone": "UTC",
          "routing": { "localityMarginMinutes": 600, "noCourierPenaltyMinutes": 0 },
          "fleet": { "simulatedCouriers": 0 },
          "restaurants": [{
            "id": "r", "name": "Triple Pizza",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [
                { "name": "top", "station": "pizza", "workSeconds": 60 },
                { "name": "bake", "station": "pizza", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 300 } ] } ],
            "outlets": [
              { "id": "ka", "lat": 52.520, "lon": 13.400, "maxPromiseMinutes": 10, "zone": { "radiusKm": 8 },
                "stations": [ { "id": "pizza" } ], "equipment": [ { "id": "oven", "capacity": 4 } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] },
              { "id": "kb", "lat": 52.530, "lon": 13.400, "maxPromiseMinutes": 20, "zone": { "radiusKm": 8 },
                "stations": [ { "id": "pizza" } ], "equipment": [ { "id": "oven", "capacity": 4 } ], "staff": [ { "id": "b", "skills": ["pizza"] } ] },
              { "id": "kc", "lat": 52.545, "lon": 13.400, "maxPromiseMinutes": 15, "zone": { "radiusKm": 8 },
                "stations": [ { "id": "pizza" } ], "equipment": [ { "id": "oven", "capacity": 4 } ], "staff": [ { "id": "c", "skills": ["pizza"] } ] }
            ]
          }]
        }
        """, "three outlets");

    private static readonly GeoPoint NearKa = new(52.519, 13.400);

    [Fact]
    public void When_every_kitchen_is_full_the_smallest_retry_after_of_the_outlets_tried_is_reported()
    {
        var e = new BrigadeEngine(ThreeOutlets());
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        // Each kitchen takes single pizzas until one more would break its promise; then three more
        // pizzas overrun ka's 10, kb's 20 and kc's 15 minutes by different margins.
        foreach (var outlet in new[] { "ka", "kb", "kc" })
            for (var i = 0; e.PlaceOrder(new PlaceOrder($"{outlet}-{i}", "r", outlet, [new OrderLine("pizza", 1)], null, "c", $"{outlet}-{i}", "h"), T0, log).IsOk; i++)
                Assert.Equal(outlet, e.Orders[$"{outlet}-{i}"].OutletId);
        var before = log.Count;
        var lines = new List<OrderLine> { new("pizza", 3) };
        var ranked = e.Route(e.Catalog.FindRestaurant("r")!, NearKa, lines, T0).Ranked.Select(o => o.Id).ToList();
        var refusals = ranked.ToDictionary(id => id, id => e.KitchenOf(id)!.Evaluate(lines, T0));
        Assert.Equal(["ka", "kb", "kc"], ranked);
        Assert.All(refusals.Values, a => Assert.False(a.Accepted));
        Assert.All(refusals.Values, a => Assert.True(a.RetryAfter > TimeSpan.Zero));
        Assert.Equal(3, refusals.Values.Select(a => a.RetryAfter).Distinct().Count());
        // The smallest is neither the first outlet tried nor the last.
        var soonest = refusals.MinBy(r => r.Value.RetryAfter).Key;
        Assert.Equal("kb", soonest);

        var result = e.PlaceOrder(new PlaceOrder("big", "r", null, lines, NearKa, "c", "big", "h", "1234"), T0, log);

        Assert.Equal(Outcome.Refused, result.Outcome);
        Assert.Equal(refusals[soonest].RetryAfter, result.RetryAfter);
        Assert.Equal(refusals[soonest].Reason, result.Message);
        Assert.Equal(before, log.Count);
        Assert.False(e.Orders.ContainsKey("big"));
    }

    /// <summary>Inside k2's 4 km zone, about 5.5 km from k1: outside k1's.</summary>
    private static readonly GeoPoint OnlyK2Delivers = new(52.545, 13.470);

    [Fact]
    public void An_order_that_names_an_outlet_whose_zone_does_not_cover_the_address_is_refused_not_sent_there()
    {
        var catalog = RouterTests.TwoOutlets();
        var k1 = catalog.FindOutlet("k1")!;
        var k2 = catalog.FindOutlet("k2")!;
        Assert.False(k1.Zone.Contains(OnlyK2Delivers));
        Assert.True(k2.Zone.Contains(OnlyK2Delivers));
        var e = new BrigadeEngine(catalog);
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        var before = log.Count;
        PlaceOrder Order(string id, string? outlet) => new(id, "r", outlet, [new OrderLine("pizza", 1)], OnlyK2Delivers, "c", id, "h", "1234");

        var named = e.PlaceOrder(Order("to-k1", "k1"), T0, log);

        Assert.Equal(Outcome.Invalid, named.Outcome);
        Assert.Equal("outside-delivery-zone", named.Code);
        Assert.Equal(before, log.Count);
        Assert.False(e.Orders.ContainsKey("to-k1"));
        Assert.False(e.KitchenOf("k1")!.HasOrder("to-k1"));
        // The address itself can be served: by the outlet whose zone covers it, named or routed.
        Assert.True(e.PlaceOrder(Order("to-k2", "k2"), T0, log).IsOk);
        Assert.True(e.PlaceOrder(Order("routed", null), T0, log).IsOk);
        Assert.Equal("k2", e.Orders["to-k2"].OutletId);
        Assert.Equal("k2", e.Orders["routed"].OutletId);
    }

    [Fact]
    public void An_order_too_big_for_one_outlets_queue_spills_over_to_an_outlet_whose_queue_holds_it()
    {
        // k1, next to the customer, queues at most 4 tasks at its station; k2 the default 2000.
        var catalog = CatalogLoader.Parse(RouterTests.TwoOutletsJson().Replace(
            "\"stations\": [ { \"id\": \"pizza\" } ], \"equipment\": [ { \"id\": \"oven\", \"capacity\": 4 } ], \"staff\": [ { \"id\": \"a\"",
            "\"stations\": [ { \"id\": \"pizza\", \"maxQueuedTasks\": 4 } ], \"equipment\": [ { \"id\": \"oven\", \"capacity\": 4 } ], \"staff\": [ { \"id\": \"a\"",
            StringComparison.Ordinal), "two outlets");
        Assert.Equal(4, catalog.FindOutlet("k1")!.Stations[0].MaxQueuedTasks);
        var e = new BrigadeEngine(catalog);
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        // Three pizzas are six tasks: more than k1 could ever queue, well within k2's.
        var lines = new List<OrderLine> { new("pizza", 3) };
        Assert.Equal("k1", e.Route(catalog.FindRestaurant("r")!, NearK1, lines, T0).Ranked[0].Id);

        var result = e.PlaceOrder(new PlaceOrder("big", "r", null, lines, NearK1, "c", "big", "h", "1234"), T0, log);

        Assert.True(result.IsOk, result.Message);
        Assert.Equal("k2", result.Order!.OutletId);
        Assert.StartsWith("spill-over: k1 ", log.OfType<Brigade.Routing.OrderRouted>().Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_order_too_big_for_every_outlets_queue_is_invalid_and_says_why()
    {
        var catalog = CatalogLoader.Parse(RouterTests.TwoOutletsJson().Replace(
            "\"stations\": [ { \"id\": \"pizza\" } ]", "\"stations\": [ { \"id\": \"pizza\", \"maxQueuedTasks\": 4 } ]", StringComparison.Ordinal), "two outlets");
        var e = new BrigadeEngine(catalog);
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        var before = log.Count;

        var result = e.PlaceOrder(new PlaceOrder("big", "r", null, [new OrderLine("pizza", 3)], NearK1, "c", "big", "h", "1234"), T0, log);

        Assert.Equal(Outcome.Invalid, result.Outcome);
        Assert.Equal("the order needs 6 tasks at the pizza station, more than its queue holds (4)", result.Message);
        Assert.Equal(before, log.Count);
    }

    [Fact]
    public void An_order_routed_once_its_payment_is_authorised_records_that_it_spilled_over_not_the_first_choice_s_reason()
    {
        // A huge margin keeps k1, next to the customer, the router's choice; its 20-minute promise is
        // full, so the paid order goes to k2, and its OrderRouted must say so, as for an unpaid one.
        var e = new BrigadeEngine(RouterTests.TwoOutlets(marginMinutes: 600, maxPromiseMinutes: 20));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        var pizza = new List<OrderLine> { new("pizza", 1) };
        for (var i = 0; e.PlaceOrder(new PlaceOrder($"fill{i}", "r", "k1", pizza, NearK1, "c", $"fill{i}", "h", "1234"), T0, log).IsOk; i++) { }
        Assert.True(e.PlaceOrder(new PlaceOrder("paid", "r", null, pizza, NearK1, "c", "paid", "h", "1234", RequiresPayment: true), T0, log).IsOk);
        Assert.Equal("k1", e.Route(e.Catalog.FindRestaurant("r")!, NearK1, pizza, T0).Ranked[0].Id);

        Assert.True(e.AuthorizePayment("paid", "pay-1", e.Orders["paid"].TotalCents, T0, log).IsOk);

        var routed = log.OfType<Brigade.Routing.OrderRouted>().Single(r => r.OrderId == "paid");
        Assert.Equal("k2", routed.OutletId);
        Assert.StartsWith("spill-over: k1 is full", routed.Reason, StringComparison.Ordinal);
    }

    private static readonly GeoPoint NearK1 = new(52.521, 13.401);
}
