using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;
using Brigade.Routing;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;
using Command = System.Func<Brigade.Engine.BrigadeEngine, System.DateTimeOffset, System.Collections.Generic.List<Brigade.IDomainEvent>, Brigade.Engine.EngineResult>;

namespace Brigade.Tests.Orders;

/// <summary>
/// Orders as given events / when command / then events. The history is the events an engine
/// recorded for earlier commands; the engine under test knows only what it folds from them, as
/// after a restart, so every decision here is made from replayed state.
/// </summary>
public class OrderDecisionTests
{
    private static readonly GeoPoint Nearby = new(52.521, 13.401);

    private static PlaceOrder Place(string orderId, string item = "pizza", int quantity = 1, GeoPoint? deliverTo = null) =>
        new(orderId, "r", null, [new OrderLine(item, quantity)], deliverTo, "cust", "key-" + orderId, "hash-" + orderId);

    /// <summary>What an engine records for <paramref name="commands"/>, each at its second after <see cref="T0"/>.</summary>
    private static List<IDomainEvent> History(RestaurantCatalog catalog, params (double Seconds, Command Command)[] commands)
    {
        var engine = new BrigadeEngine(catalog);
        var events = new List<IDomainEvent>();
        foreach (var (seconds, command) in commands)
        {
            var (result, decided) = When(engine, seconds, command);
            Assert.True(result.IsOk, result.Message);
            events.AddRange(decided);
        }
        return events;
    }

    private static BrigadeEngine Given(RestaurantCatalog catalog, IEnumerable<IDomainEvent> history)
    {
        var engine = new BrigadeEngine(catalog);
        foreach (var e in history) engine.Apply(e);
        return engine;
    }

    /// <summary>The clock moves to <paramref name="seconds"/> (what falls due there is decided first), then the command runs.</summary>
    private static (EngineResult Result, List<IDomainEvent> Events) When(BrigadeEngine engine, double seconds, Command command)
    {
        var now = T0.AddSeconds(seconds);
        var events = new List<IDomainEvent>();
        if (engine.NextDueAt <= now) engine.Advance(now, events);
        return (command(engine, now, events), events);
    }

    /// <summary>No command: only the clock moves.</summary>
    private static readonly Command TimePasses = (_, _, _) => EngineResult.Ok();

    /// <summary>What a server records as it starts at <see cref="T0"/>, before any order: its kitchens' clocks start.</summary>
    private static List<IDomainEvent> Opened(RestaurantCatalog catalog) => History(catalog, (0, TimePasses));

    private static List<string> OrderEvents(IEnumerable<IDomainEvent> events) => Events(events.Where(e => e is IOrderEvent));

    [Fact]
    public void Placing_an_order_records_it_routes_it_accepts_it_and_queues_its_tickets()
    {
        var engine = Given(TestCatalogs.Kitchen(), Opened(TestCatalogs.Kitchen()));

        var (result, events) = When(engine, 0, (e, now, output) => e.PlaceOrder(Place("o1") with { Lines = [new("pizza", 1), new("bread", 1)] }, now, output));

        Assert.True(result.IsOk);
        Assert.Equal(["OrderPlaced o1", "OrderRouted", "OrderAccepted o1 at k", "OrderQueued o1 tasks=4"], Events(events).Take(4));
        var routed = Assert.IsType<OrderRouted>(events[1]);
        Assert.Equal("k", routed.OutletId);
        Assert.Equal("k", Assert.Single(routed.Candidates).OutletId);
        var accepted = Assert.IsType<OrderAccepted>(events[2]);
        Assert.Equal(accepted.EstimatedReadyAt, result.Order!.EstimatedReadyAt);
        Assert.Equal(accepted.EstimatedReadyAt, result.Order.InitialEstimatedReadyAt);
        Assert.Equal(1400, result.Order.TotalCents);
    }

    [Fact]
    public void An_order_is_preparing_once_its_first_task_starts_and_ready_when_its_last_ticket_is_done()
    {
        var catalog = TestCatalogs.Kitchen();
        var engine = Given(catalog, History(catalog, (0, (e, now, o) => e.PlaceOrder(Place("o1"), now, o))));

        var (_, events) = When(engine, 1000, TimePasses);

        var ready = Assert.IsType<OrderReady>(events.Single(e => e is OrderReady));
        Assert.Equal(T0.AddSeconds(370), ready.At);
        Assert.Equal(OrderStatus.Ready, engine.Orders["o1"].Status);
        Assert.Equal(ready.EstimatedAtAcceptance, engine.Orders["o1"].InitialEstimatedReadyAt);
    }

    /// <summary>Three pizzas for two pizza chefs: o1 and o2 are being topped, o3 waits its turn.</summary>
    private static (RestaurantCatalog Catalog, List<IDomainEvent> History) ThreeOrdersForTwoChefs()
    {
        var catalog = TestCatalogs.Kitchen();
        return (catalog, History(catalog,
            (0, (e, now, o) => e.PlaceOrder(Place("o1"), now, o)),
            (1, (e, now, o) => e.PlaceOrder(Place("o2"), now, o)),
            (2, (e, now, o) => e.PlaceOrder(Place("o3"), now, o))));
    }

    [Fact]
    public void An_order_waiting_for_a_chef_can_be_cancelled_and_leaves_the_kitchen_queue()
    {
        var (catalog, history) = ThreeOrdersForTwoChefs();
        var engine = Given(catalog, history);
        Assert.Equal(OrderStatus.Accepted, engine.Orders["o3"].Status);

        var (result, events) = When(engine, 10, (e, now, o) => e.CancelOrder("o3", "changed my mind", "cust", now, o));

        Assert.True(result.IsOk);
        Assert.Equal(["OrderWithdrawn o3", "OrderCancelled o3"], Events(events).Where(e => e.StartsWith("Order", StringComparison.Ordinal)));
        var cancelled = Assert.IsType<OrderCancelled>(events.Single(e => e is OrderCancelled));
        Assert.Equal(("changed my mind", "cust", T0.AddSeconds(10)), (cancelled.Reason, cancelled.By, cancelled.At));
        Assert.Equal(OrderStatus.Cancelled, engine.Orders["o3"].Status);
        Assert.False(engine.KitchenOf("k")!.HasOrder("o3"));

        // When the chefs come free, nothing of o3 is cooked.
        var (_, later) = When(engine, 1000, TimePasses);
        Assert.DoesNotContain(later, e => e is IOrderEvent oe && oe.OrderId == "o3");
    }

    [Fact]
    public void An_order_whose_cooking_has_started_cannot_be_cancelled_and_nothing_is_recorded()
    {
        var (catalog, history) = ThreeOrdersForTwoChefs();
        var engine = Given(catalog, history);
        Assert.Equal(OrderStatus.Preparing, engine.Orders["o1"].Status);

        var (result, events) = When(engine, 10, (e, now, o) => e.CancelOrder("o1", "too slow", "cust", now, o));

        Assert.Equal(Outcome.Conflict, result.Outcome);
        Assert.Contains("can no longer be cancelled", result.Message, StringComparison.Ordinal);
        Assert.Empty(events);
        Assert.Equal(OrderStatus.Preparing, engine.Orders["o1"].Status);
    }

    [Fact]
    public void A_cancelled_order_cannot_be_cancelled_again_and_an_unknown_one_is_not_found()
    {
        var (catalog, history) = ThreeOrdersForTwoChefs();
        history.AddRange(When(Given(catalog, history), 10, (e, now, o) => e.CancelOrder("o3", "first", "cust", now, o)).Events);
        var engine = Given(catalog, history);

        var (again, againEvents) = When(engine, 20, (e, now, o) => e.CancelOrder("o3", "second", "cust", now, o));
        var (unknown, unknownEvents) = When(engine, 20, (e, now, o) => e.CancelOrder("o9", "who", "cust", now, o));

        Assert.Equal(Outcome.Conflict, again.Outcome);
        Assert.Empty(againEvents);
        Assert.Equal(Outcome.NotFound, unknown.Outcome);
        Assert.Empty(unknownEvents);
    }

    [Fact]
    public void Placing_an_order_id_that_exists_returns_that_order_and_records_nothing()
    {
        var (catalog, history) = ThreeOrdersForTwoChefs();
        var engine = Given(catalog, history);

        var (result, events) = When(engine, 30, (e, now, o) => e.PlaceOrder(Place("o2", "bread", 3), now, o));

        Assert.True(result.IsOk);
        Assert.Same(engine.Orders["o2"], result.Order);
        Assert.Equal("pizza", Assert.Single(result.Order!.Lines).MenuItemId);
        Assert.Empty(events);
    }

    [Theory]
    [InlineData("nope", "r", 1, "has no menu item 'nope'")]
    [InlineData("pizza", "nowhere", 1, "unknown restaurant 'nowhere'")]
    [InlineData("pizza", "r", 0, "must be at least 1")]
    [InlineData("pizza", "r", -2, "must be at least 1")]
    public void An_order_the_catalog_cannot_make_is_invalid_and_records_nothing(string item, string restaurant, int quantity, string why)
    {
        var engine = Given(TestCatalogs.Kitchen(), Opened(TestCatalogs.Kitchen()));

        var (result, events) = When(engine, 0, (e, now, o) => e.PlaceOrder(Place("o1", item, quantity) with { RestaurantId = restaurant }, now, o));

        Assert.Equal(Outcome.Invalid, result.Outcome);
        Assert.Contains(why, result.Message, StringComparison.Ordinal);
        Assert.Empty(events);
        Assert.Empty(engine.Orders);
    }

    [Fact]
    public void Rejects_order_when_kitchen_is_closed()
    {
        var catalog = TestCatalogs.Kitchen(outletExtra: """ "hours": [ { "days": ["daily"], "open": "18:00", "close": "23:00" } ], """);
        var engine = Given(catalog, Opened(catalog));

        var (result, events) = When(engine, 0, (e, now, o) => e.PlaceOrder(Place("o1"), now, o)); // 12:00

        Assert.Equal(Outcome.Unavailable, result.Outcome);
        Assert.Equal("outlet-unavailable", result.Code);
        Assert.Contains("closed", result.Message, StringComparison.Ordinal);
        Assert.Empty(events);

        var (evening, eveningEvents) = When(engine, 7 * 3600, (e, now, o) => e.PlaceOrder(Place("o1"), now, o)); // 19:00
        Assert.True(evening.IsOk);
        Assert.Contains(eveningEvents, e => e is OrderAccepted);
    }

    [Fact]
    public void A_pickup_order_is_collected_only_once_it_is_ready()
    {
        var catalog = TestCatalogs.Kitchen();
        var history = History(catalog,
            (0, (e, now, o) => e.PlaceOrder(Place("pickup"), now, o)),
            (0, (e, now, o) => e.PlaceOrder(Place("delivery", deliverTo: Nearby), now, o)));
        var engine = Given(catalog, history);

        var (early, earlyEvents) = When(engine, 100, (e, now, o) => e.CollectOrder("pickup", now, o));
        Assert.Equal(Outcome.Conflict, early.Outcome);
        Assert.Contains("not ready", early.Message, StringComparison.Ordinal);
        Assert.Empty(earlyEvents.OfType<OrderCollected>());

        var (collected, collectedEvents) = When(engine, 1000, (e, now, o) => e.CollectOrder("pickup", now, o));
        Assert.True(collected.IsOk);
        Assert.Equal("OrderCollected pickup", Assert.Single(OrderEvents(collectedEvents), e => e.StartsWith("OrderCollected", StringComparison.Ordinal)));
        Assert.Equal(OrderStatus.Collected, engine.Orders["pickup"].Status);
        Assert.True(engine.Orders["pickup"].IsTerminal);

        var (delivery, deliveryEvents) = When(engine, 1000, (e, now, o) => e.CollectOrder("delivery", now, o));
        Assert.Equal(Outcome.Conflict, delivery.Outcome);
        Assert.Contains("for delivery", delivery.Message, StringComparison.Ordinal);
        Assert.Empty(deliveryEvents);
    }

    [Fact]
    public void Each_recorded_event_advances_the_order_s_version_and_timeline()
    {
        var catalog = TestCatalogs.Kitchen();
        var history = History(catalog, (0, (e, now, o) => e.PlaceOrder(Place("o1"), now, o)));
        history.AddRange(When(Given(catalog, history), 1000, (e, now, o) => e.CollectOrder("o1", now, o)).Events);

        Order? order = null;
        var versions = new List<long>();
        foreach (var e in history.OfType<IOrderEvent>().Where(e => e.OrderId == "o1"))
        {
            order = Order.Apply(order, e);
            versions.Add(order.Version);
        }

        Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions);
        Assert.Equal(OrderStatus.Collected, order!.Status);
        var t = order.Timeline;
        Assert.Equal([T0, T0, T0, T0.AddSeconds(370), T0.AddSeconds(1000)], [t.PlacedAt!.Value, t.AcceptedAt!.Value, t.PreparingAt!.Value, t.ReadyAt!.Value, t.CollectedAt!.Value]);
        Assert.Equal(Given(catalog, history).Orders["o1"], order);
    }

    [Fact]
    public void A_kitchen_running_behind_revises_the_estimate_and_ready_records_estimate_against_actual()
    {
        var catalog = TestCatalogs.Kitchen();
        var history = History(catalog, (0, (e, now, o) => e.PlaceOrder(Place("o1"), now, o)));
        var engine = Given(catalog, history);
        var promised = engine.Orders["o1"].EstimatedReadyAt!.Value;

        // Both pizza chefs go home sick while o1 is being topped; one comes back at 300 s.
        var all = new List<IDomainEvent>();
        all.AddRange(When(engine, 30, (e, now, o) => e.AtKitchen("k", now, o, (k, ko) => k.MarkSick("a", now, ko))).Events);
        all.AddRange(When(engine, 30, (e, now, o) => e.AtKitchen("k", now, o, (k, ko) => k.MarkSick("b", now, ko))).Events);
        all.AddRange(When(engine, 300, (e, now, o) => e.AtKitchen("k", now, o, (k, ko) => k.MarkRecovered("a", now, ko))).Events);
        all.AddRange(When(engine, 2000, TimePasses).Events);

        Assert.Equal(T0.AddSeconds(370), promised); // top 60 s, bake 10 s, oven 300 s
        var revised = Assert.Single(all.OfType<OrderEstimateUpdated>());
        Assert.Equal((T0.AddSeconds(670), "kitchen running behind", T0.AddSeconds(360)), (revised.EstimatedReadyAt, revised.Reason, revised.At));
        var ready = Assert.Single(all.OfType<OrderReady>());
        Assert.Equal((promised, T0.AddSeconds(670), T0.AddSeconds(670)), (ready.EstimatedAtAcceptance, ready.LastEstimate, ready.At));
        Assert.Equal((promised, T0.AddSeconds(670)), (engine.Orders["o1"].InitialEstimatedReadyAt, engine.Orders["o1"].EstimatedReadyAt));
    }
}
