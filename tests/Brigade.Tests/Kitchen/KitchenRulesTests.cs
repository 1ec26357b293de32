using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;
using static Brigade.Tests.Support.KitchenSteps;

namespace Brigade.Tests.Kitchen;

/// <summary>
/// Single rules of the kitchen engine, each pinned to its exact value: parallel prep off-peak, the
/// estimate's terms, the retry time of a full queue, the backlog after a returned task, and a
/// station with nobody to work it. Virtual clock throughout.
/// </summary>
public class KitchenRulesTests
{
    private const string HumanPizza = """{ "id": "pizza", "mode": "human" }""";
    private const string OffPeakNoon = "\"offPeak\": [ { \"from\": \"12:00\", \"to\": \"13:00\" } ],";
    private const string Base = """{ "id": "base", "batch": 1, "prep": [ { "station": "pizza", "workSeconds": 60 } ] }""";
    private const string Stretch = """{ "name": "stretch", "station": "pizza", "workSeconds": 120, "produces": "base" },""";

    private static List<IDomainEvent> AdvanceTo(KitchenEngine k, double seconds) => Do(o => { k.Advance(T0.AddSeconds(seconds), o); return 0; });

    private static double Seconds(DateTimeOffset t) => (t - T0).TotalSeconds;

    private static double ProjectedWait(KitchenEngine k, double at) =>
        k.Snapshot(T0.AddSeconds(at)).Stations.Single(s => s.Id == "pizza").ProjectedWaitSeconds;

    // ------------------------------------------------------------------ 1. off-peak prep in parallel

    [Fact]
    public void Off_peak_every_idle_chef_preps_a_batch_of_its_own_at_the_same_time()
    {
        // Two pizza chefs, bases below par (0 of 4, batches of one, 60 s each), inside the off-peak
        // window. Each idle chef queues and takes a batch of their own: four bases by 120 s, where
        // one batch at a time (the rule outside the window) would take until 240 s.
        var k = K(TestCatalogs.Kitchen(components: Base, stock: """{ "component": "base", "par": 4, "initial": 0 }""", outletExtra: OffPeakNoon));

        var events = Do(o => { k.Advance(T0, o); k.Advance(T0.AddSeconds(600), o); return 0; });

        Assert.Equal(
        [
            "PrepQueued base", "TaskStarted 1 a @0", "PrepQueued base", "TaskStarted 2 b @0",
            "StockPrepared base +1 level=1 @60", "PrepQueued base", "TaskStarted 3 a @60",
            "StockPrepared base +1 level=2 @60", "PrepQueued base", "TaskStarted 4 b @60",
            "StockPrepared base +1 level=3 @120", "StockPrepared base +1 level=4 @120",
        ], Events(events.Where(e => e is PrepQueued or TaskStarted or StockPrepared)));
        Assert.All(events.OfType<PrepQueued>(), p => Assert.EndsWith("off-peak window", p.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Off_peak_at_a_human_station_a_new_batch_is_queued_only_once_the_last_one_has_been_picked_up()
    {
        // People work the pizza station: reviews (every 15 s) queue prep for them. A batch nobody
        // has taken yet is not joined by another, however many reviews pass; once a chef picks it
        // up, the next review queues a second one, which the other chef works on alongside.
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, components: Base,
            stock: """{ "component": "base", "par": 4, "initial": 0 }""", outletExtra: OffPeakNoon + "\"leaseSeconds\": 3000,"));

        var unclaimed = Do(o => { k.Advance(T0, o); k.Advance(T0.AddSeconds(60), o); return 0; });
        var a = k.StartTask("a", null, T0.AddSeconds(60), []);
        var next = AdvanceTo(k, 75);
        var b = k.StartTask("b", null, T0.AddSeconds(75), []);

        Assert.Single(unclaimed.OfType<PrepQueued>());
        Assert.Equal((true, 1L), (a.IsOk, a.TaskId));
        Assert.Single(next.OfType<PrepQueued>());
        Assert.Equal((true, 2L), (b.IsOk, b.TaskId));
        Assert.Equal(["busy", "busy"], k.Snapshot(T0.AddSeconds(76)).Chefs.Where(c => c.Id is "a" or "b").Select(c => c.State));
    }

    // ------------------------------------------------------------------ 2a. stock too small to skip a step

    /// <summary>
    /// Pizza: stretch 120 s (makes a base), top 60 s, bake 10 s + oven 300 s; two chefs, an empty
    /// kitchen. A pizza whose base is in stock is ready after 60 + 10 + 300 = 370 s; one that must be
    /// stretched first, after 120 + 370 = 490 s. The routing estimate must agree with admission's.
    /// </summary>
    private static double RoutingEstimateWithBases(int basesInStock, params OrderLine[] lines)
    {
        var k = K(TestCatalogs.Kitchen(components: """{ "id": "base", "prep": [ { "station": "pizza", "workSeconds": 120 } ] }""",
            stock: $$"""{ "component": "base", "par": 0, "initial": {{basesInStock}} }""", pizzaFirstStep: Stretch));
        var fast = Seconds(k.FastEstimate(lines, T0)!.Value);
        Assert.Equal(Seconds(k.Evaluate(lines, T0).EstimatedReadyAt), fast, 6);
        return fast;
    }

    [Fact]
    public void The_routing_estimate_skips_a_step_only_for_a_line_the_stock_covers_in_full()
    {
        // Two pizzas and one base: the base does not cover the line, so the line is estimated with
        // the stretch (490 s; admission stretches the second pizza only, and that one decides).
        // With two bases the line skips the stretch: 370 s.
        Assert.Equal(490, RoutingEstimateWithBases(1, new OrderLine("pizza", 2)), 6);
        Assert.Equal(370, RoutingEstimateWithBases(2, new OrderLine("pizza", 2)), 6);
    }

    [Fact]
    public void A_step_the_stock_lets_a_pizza_skip_does_not_hold_the_routing_estimate_to_that_steps_station()
    {
        // The base is made at the bread station, whose only chef is off sick. With a base in stock the
        // pizza never goes there: admission takes it (60 + 10 + 300 = 370 s) and the router must too.
        var k = K(TestCatalogs.Kitchen(components: """{ "id": "base", "prep": [ { "station": "bread", "workSeconds": 120 } ] }""",
            stock: """{ "component": "base", "par": 0, "initial": 1 }""",
            pizzaFirstStep: """{ "name": "stretch", "station": "bread", "workSeconds": 120, "produces": "base" },"""));
        AdvanceTo(k, 0);
        Assert.True(k.MarkSick("c", T0, []).IsOk);
        OrderLine[] pizza = [new OrderLine("pizza", 1)];

        var admission = k.Evaluate(pizza, T0);
        var fast = k.FastEstimate(pizza, T0);

        Assert.True(admission.Accepted, admission.Reason);
        Assert.Equal(370, Seconds(admission.EstimatedReadyAt), 6);
        Assert.NotNull(fast);
        Assert.Equal(370, Seconds(fast.Value), 6);
        // Without the base, the bread station is needed and nobody can work it.
        Assert.Null(k.FastEstimate([new OrderLine("pizza", 2)], T0));
    }

    [Fact]
    public void The_routing_estimate_skips_no_step_of_an_item_whose_stock_covers_only_one_of_its_components()
    {
        // A pizza of two prepped components: a base (stretch, 120 s) and a sauce (simmer, 60 s), then
        // top 60 s and bake 10 s + oven 300 s. With the sauce in stock and no base, the stretch must be
        // done: admission reckons 120 + 60 + 310 = 490 s. The router must not reckon the pizza as if
        // both were on the shelf (370 s): it would promise what the kitchen cannot do.
        double Estimates(int bases, int sauces, out double admission)
        {
            var k = K(TestCatalogs.Kitchen(
                components: """{ "id": "base", "prep": [ { "station": "pizza", "workSeconds": 120 } ] }, { "id": "sauce", "prep": [ { "station": "pizza", "workSeconds": 60 } ] }""",
                stock: $$"""{ "component": "base", "par": 0, "initial": {{bases}} }, { "component": "sauce", "par": 0, "initial": {{sauces}} }""",
                pizzaFirstStep: Stretch + """{ "name": "simmer", "station": "pizza", "workSeconds": 60, "produces": "sauce" },"""));
            OrderLine[] pizza = [new OrderLine("pizza", 1)];
            admission = Seconds(k.Evaluate(pizza, T0).EstimatedReadyAt);
            return Seconds(k.FastEstimate(pizza, T0)!.Value);
        }

        var sauceOnly = Estimates(0, 1, out var admitted);
        Assert.Equal(490, admitted, 6);
        Assert.True(sauceOnly >= admitted, $"the router reckons {sauceOnly} s, admission {admitted} s");
        Assert.Equal(Estimates(0, 0, out _), sauceOnly, 6); // covered in part: reckoned as not covered, as for a line
        Assert.Equal(370, Estimates(1, 1, out var both), 6);
        Assert.Equal(370, both, 6);
    }

    [Fact]
    public void Two_lines_of_one_item_do_not_both_count_on_the_same_base_in_the_routing_estimate()
    {
        // The same two pizzas, ordered as two lines: the one base in stock covers only one of them.
        Assert.Equal(490, RoutingEstimateWithBases(1, new OrderLine("pizza", 1), new OrderLine("pizza", 1)), 6);
        Assert.Equal(370, RoutingEstimateWithBases(2, new OrderLine("pizza", 1), new OrderLine("pizza", 1)), 6);
    }

    [Fact]
    public void An_order_the_stock_covers_entirely_is_ready_at_once_instead_of_waiting_for_ever()
    {
        // Fries are fried in batches ahead of time; a portion sold is one from the shelf. With portions
        // in stock the order has no step left to cook: no task will ever complete to make it ready.
        var catalog = CatalogLoader.Parse("""
            {
              "timeZone": "UTC",
              "fleet": { "simulatedCouriers": 0 },
              "restaurants": [{
                "id": "r", "name": "Fry Shop",
                "components": [ { "id": "portion", "batch": 10, "prep": [ { "station": "fryer", "workSeconds": 60 } ] } ],
                "menu": [ { "id": "fries", "priceCents": 300, "steps": [ { "name": "fry", "station": "fryer", "workSeconds": 60, "produces": "portion" } ] } ],
                "outlets": [ { "id": "k", "lat": 52.52, "lon": 13.40, "stock": [ { "component": "portion", "par": 0, "initial": 2 } ],
                  "stations": [ { "id": "fryer" } ], "staff": [ { "id": "a", "skills": ["fryer"] } ] } ]
              }]
            }
            """, "fry shop");
        var engine = new BrigadeEngine(catalog);
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);

        var placed = engine.PlaceOrder(new PlaceOrder("o", "r", null, [new OrderLine("fries", 2)], null, "c", "o", "h", null), T0, log);

        Assert.True(placed.IsOk, placed.Message);
        Assert.Equal(OrderStatus.Ready, engine.Orders["o"].Status);
        Assert.Equal(T0, Assert.Single(log.OfType<OrderReady>()).At);
        Assert.Empty(engine.KitchenOf("k")!.UnstartedOrders()); // nothing left there to move or wait for
        // The log folds to the same state.
        var replayed = new BrigadeEngine(catalog);
        foreach (var e in log) replayed.Apply(e);
        Assert.Equal(OrderStatus.Ready, replayed.Orders["o"].Status);
        Assert.False(replayed.KitchenOf("k")!.HasOrder("o"));
    }

    // ------------------------------------------------------------------ 2b. a chef in the middle of a task

    [Fact]
    public void The_rest_of_what_each_chef_is_in_the_middle_of_counts_in_the_estimate()
    {
        // Two pizza chefs each top a pizza from 0 to 60 s; then each bakes it (60-70 s). A big oven
        // (1000 slots), so only the chefs are a bottleneck. At 20 s a third pizza is estimated: the
        // chefs owe 40 s each on their toppings and 10 s each on the bakes, 100 s between two, so it
        // starts at 20 + 50 = 70 s and is ready at 70 + 60 + 10 + 300 = 440 s. And so it is.
        var k = K(TestCatalogs.Kitchen(ovenSlots: 1000));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        AdvanceTo(k, 20);

        var at = T0.AddSeconds(20);
        var admission = k.Evaluate([new OrderLine("pizza", 1)], at);
        var fast = k.FastEstimate([new OrderLine("pizza", 1)], at)!.Value;
        Queue(k, "o3", 20);
        var cooked = AdvanceTo(k, 1000).OfType<OrderCooked>().Single(c => c.OrderId == "o3");

        Assert.Equal(440, Seconds(admission.EstimatedReadyAt), 6);
        Assert.Equal(440, Seconds(fast), 6);
        Assert.Equal(440, Seconds(cooked.At), 6);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void The_router_and_admission_scale_hands_on_work_by_the_crews_speed_and_oven_time_not_at_all(double speed)
    {
        // Both pizza chefs work at the given speed. A pizza is 60 s of topping and 10 s of loading,
        // at the chefs' pace, then 300 s in the oven, at the oven's: ready at 70 / speed + 300.
        var chefs = $$"""{ "id": "a", "skills": ["pizza"], "speed": {{speed}} }, { "id": "b", "skills": ["pizza"], "speed": {{speed}} }""";
        var k = K(TestCatalogs.Kitchen(ovenSlots: 8, pizzaChefs: chefs));
        AdvanceTo(k, 0);
        var expected = 70 / speed + 300;

        var admission = k.Evaluate([new OrderLine("pizza", 1)], T0);
        var fast = k.FastEstimate([new OrderLine("pizza", 1)], T0)!.Value;
        Queue(k, "o1", 0);
        var cooked = AdvanceTo(k, 2000).OfType<OrderCooked>().Single();

        Assert.Equal(expected, Seconds(admission.EstimatedReadyAt), 6);
        Assert.Equal(expected, Seconds(fast), 6);
        Assert.Equal(expected, Seconds(cooked.At), 6);
    }

    [Fact]
    public void A_chef_running_over_the_expected_time_of_their_task_owes_nothing_more_on_it_not_less_than_nothing()
    {
        // A person tops a pizza, expected to take 60 s, and is still at it at 200 s. Estimated then,
        // a second pizza waits only for the first one's bake (10 s, owed to the station) and is
        // ready at 200 + 10 + 60 + 10 + 300 = 580 s: the overrun counts as zero, not as 140 s of
        // work already done ahead of time.
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, pizzaChefs: """{ "id": "a", "skills": ["pizza"] }""",
            ovenSlots: 1000, outletExtra: "\"leaseSeconds\": 3000,"));
        Queue(k, "o1", 0);
        Assert.True(k.StartTask("a", null, T0, []).IsOk);
        AdvanceTo(k, 200);

        var at = T0.AddSeconds(200);

        Assert.Equal(580, Seconds(k.Evaluate([new OrderLine("pizza", 1)], at).EstimatedReadyAt), 6);
        Assert.Equal(580, Seconds(k.FastEstimate([new OrderLine("pizza", 1)], at)!.Value), 6);
    }

    // ------------------------------------------------------------------ 2c. the revision threshold

    [Theory]
    [InlineData(120, 0, "kitchen running behind")]   // topped 60 s late: exactly the threshold
    [InlineData(120, -1, null)]                      // a tick less late
    [InlineData(0, 0, "kitchen running ahead")]      // topped 60 s early
    [InlineData(0, 1, null)]                         // a tick less early
    public void A_customer_hears_of_a_new_estimate_once_it_moves_by_the_threshold_or_more_either_way(double bumpedAtSeconds, long extraTicks, string? reason)
    {
        // One pizza at a station people work, promised at 60 + 10 + 300 = 370 s. When the topping is
        // bumped at t, the bake is next and the estimate becomes t + 310 s: it moves by t - 60 s. The
        // default threshold is a minute.
        var engine = new BrigadeEngine(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 3000,"));
        var events = new List<IDomainEvent>();
        Assert.True(engine.PlaceOrder(new PlaceOrder("o1", "r", "k", [new OrderLine("pizza", 1)], null, "c", "key", "h"), T0, events).IsOk);
        Assert.Equal(370, Seconds(engine.Orders["o1"].EstimatedReadyAt!.Value), 6);
        var started = engine.AtKitchen("k", T0, events, (k, o) => k.StartTask("a", null, T0, o));
        Assert.True(started.IsOk, started.Message);

        var bumpedAt = T0.AddSeconds(bumpedAtSeconds).AddTicks(extraTicks);
        var bumped = new List<IDomainEvent>();
        Assert.True(engine.AtKitchen("k", bumpedAt, bumped, (k, o) => k.CompleteTask(started.TaskId, started.Token, bumpedAt, o)).IsOk);

        var revisions = bumped.OfType<OrderEstimateUpdated>().ToList();
        if (reason is null)
        {
            Assert.Empty(revisions);
        }
        else
        {
            var revised = Assert.Single(revisions);
            Assert.Equal((bumpedAt.AddSeconds(310), reason), (revised.EstimatedReadyAt, revised.Reason));
        }
    }

    [Fact]
    public void A_revised_estimate_counts_the_bakes_ahead_in_the_oven_and_is_not_earlier_than_the_kitchen_can_cook()
    {
        // One chef, one oven slot, three pizzas at once, promised at 370, 610 and 910 s. The toppings
        // end at 60, 130 and 190 s; each bake holds the oven 310 s, so the bakes end at 370, 680 and
        // 990 s. When a topping is done, its bake waits for the oven: what is left of the bake in it
        // and every bake queued ahead.
        var engine = new BrigadeEngine(TestCatalogs.Kitchen(ovenSlots: 1, pizzaChefs: """{ "id": "a", "skills": ["pizza"] }""",
            outletExtra: "\"maxPromiseMinutes\": 30,"));
        var events = new List<IDomainEvent>();
        engine.Advance(T0, events);
        for (var i = 0; i < 3; i++)
            Assert.True(engine.PlaceOrder(new PlaceOrder($"o{i}", "r", "k", [new OrderLine("pizza", 1)], null, "c", $"key{i}", "h"), T0, events).IsOk);

        var cooked = new List<IDomainEvent>();
        engine.Advance(T0.AddSeconds(2000), cooked);

        Assert.Equal([370, 680, 990], cooked.OfType<OrderCooked>().Select(c => Seconds(c.At)));
        var revisions = cooked.OfType<OrderEstimateUpdated>().Select(u => (u.OrderId, Seconds(u.At), Seconds(u.EstimatedReadyAt), u.Reason)).ToList();
        Assert.Equal([("o1", 130, 680, "kitchen running behind"), ("o2", 190, 990, "kitchen running behind")], revisions);
    }

    // ------------------------------------------------------------------ 3. retry-after of a full queue

    [Fact]
    public void A_full_station_queue_asks_to_retry_after_a_quarter_of_its_backlog_spread_over_the_crew()
    {
        // The pizza queue holds two tasks; a pizza queues its topping and holds its bake back, so one
        // pizza leaves room for one task and the next pizza does not fit. The backlog is that pizza's
        // 60 + 10 = 70 s of chef work; the crew's capacity is the chefs' speeds, 1 + 1.5 = 2.5. So:
        // retry after 70 / 2.5 / 4 = 7 s.
        var k = K(TestCatalogs.Kitchen(pizzaStation: """{ "id": "pizza", "mode": "human", "maxQueuedTasks": 2 }""",
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "b", "skills": ["pizza"], "speed": 1.5 }"""));
        Queue(k, "o1", 0);

        var full = k.TryQueueOrder("o2", [new OrderLine("pizza", 1)], T0.AddSeconds(1), []);

        Assert.False(full.Accepted);
        Assert.Equal("the pizza queue is full (1 tasks)", full.Reason);
        Assert.Equal(TimeSpan.FromSeconds(7), full.RetryAfter);
    }

    [Fact]
    public void A_full_station_queue_asks_to_retry_after_its_live_tasks_only_not_an_oven_step_withdrawn_from_it()
    {
        // People work the pizza station; its queue holds two tasks. A loaf is 10 s of hands-on work and
        // 1200 s unattended in the one-slot oven; a salad is 60 s of work. The first loaf goes into the
        // oven; a second waits for it, then its order is withdrawn, so nothing at the station waits for
        // the oven any more. Two salads fill the queue: 120 s of chef work for a crew of one, so a third
        // salad is told to retry after 120 / 1 / 4 = 30 s. The withdrawn loaf, still an entry in the
        // oven's queue until it reaches the head, must not make it wait for the oven (about 300 s).
        var catalog = CatalogLoader.Parse("""
            {
              "timeZone": "UTC",
              "fleet": { "simulatedCouriers": 0 },
              "restaurants": [{
                "id": "r",
                "menu": [
                  { "id": "loaf", "priceCents": 400, "steps": [ { "name": "bake", "station": "pizza", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 1200 } ] },
                  { "id": "salad", "priceCents": 400, "steps": [ { "name": "toss", "station": "pizza", "workSeconds": 60 } ] } ],
                "outlets": [{
                  "id": "k", "lat": 52.52, "lon": 13.40, "maxPromiseMinutes": 120, "leaseSeconds": 3000,
                  "stations": [ { "id": "pizza", "mode": "human", "maxQueuedTasks": 2 } ],
                  "equipment": [ { "id": "oven", "capacity": 1 } ],
                  "staff": [ { "id": "a", "skills": ["pizza"] } ]
                }]
              }]
            }
            """, "loaves and salads");
        var k = K(catalog);
        Queue(k, "o1", 0, "loaf");
        Assert.True(k.StartTask("a", null, T0, []).IsOk);
        Queue(k, "o2", 1, "loaf");
        Assert.True(k.Withdraw("o2", "cancelled by customer", T0.AddSeconds(2), []).IsOk);
        Queue(k, "o3", 3, "salad");
        Queue(k, "o4", 3, "salad");

        var full = k.TryQueueOrder("o5", [new OrderLine("salad", 1)], T0.AddSeconds(4), []);

        Assert.False(full.Accepted);
        Assert.Equal("the pizza queue is full (2 tasks)", full.Reason);
        Assert.Equal(TimeSpan.FromSeconds(30), full.RetryAfter);
    }

    [Fact]
    public void A_full_station_queue_with_nobody_to_work_it_asks_to_retry_after_five_minutes()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: """{ "id": "pizza", "mode": "human", "maxQueuedTasks": 2 }"""));
        Queue(k, "o1", 0);
        Assert.True(k.MarkSick("a", T0.AddSeconds(1), []).IsOk);
        Assert.True(k.MarkSick("b", T0.AddSeconds(1), []).IsOk);

        var full = k.TryQueueOrder("o2", [new OrderLine("pizza", 1)], T0.AddSeconds(2), []);

        Assert.False(full.Accepted);
        Assert.StartsWith("the pizza queue is full", full.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(5), full.RetryAfter);
    }

    [Fact]
    public void A_queue_full_of_unattended_oven_steps_is_answered_with_a_positive_retry_not_as_never()
    {
        // Loaves are an oven step alone: no hands-on work, 600 s in the one-slot oven, unattended. The
        // first goes straight in; the next two wait in the oven station's queue (it holds two) for the
        // slot. The queue owes no chef time at all, but it drains as the oven does: a fourth loaf is
        // a "try again later" (429), not an order no outlet could ever take (422).
        var catalog = CatalogLoader.Parse("""
            {
              "timeZone": "UTC",
              "fleet": { "simulatedCouriers": 0 },
              "restaurants": [{
                "id": "r",
                "menu": [ { "id": "loaf", "priceCents": 400, "steps": [
                    { "name": "bake", "station": "oven", "workSeconds": 0, "equipment": "oven", "equipmentSeconds": 600 } ] } ],
                "outlets": [{
                  "id": "k", "lat": 52.52, "lon": 13.40, "maxPromiseMinutes": 120,
                  "stations": [ { "id": "oven", "maxQueuedTasks": 2 } ],
                  "equipment": [ { "id": "oven", "capacity": 1 } ],
                  "staff": [ { "id": "a", "skills": ["oven"] } ]
                }]
              }]
            }
            """, "oven only");
        var engine = new BrigadeEngine(catalog);
        var events = new List<IDomainEvent>();
        engine.Advance(T0, events);
        for (var i = 0; i < 3; i++)
            Assert.True(engine.PlaceOrder(new PlaceOrder($"o{i}", "r", "k", [new OrderLine("loaf", 1)], null, "c", $"key{i}", "h"), T0, events).IsOk);
        var before = events.Count;

        var full = engine.PlaceOrder(new PlaceOrder("o3", "r", "k", [new OrderLine("loaf", 1)], null, "c", "key3", "h"), T0.AddSeconds(1), events);

        Assert.Equal(Outcome.Refused, full.Outcome);
        Assert.StartsWith("the oven queue is full", full.Message, StringComparison.Ordinal);
        Assert.True(full.RetryAfter > TimeSpan.Zero, $"retry after {full.RetryAfter}");
        Assert.Equal(before, events.Count);
    }

    [Fact]
    public void An_order_too_big_to_cook_within_the_promise_in_an_idle_kitchen_is_refused_for_good_not_asked_to_retry()
    {
        // One pizza chef, a 30-minute promise. Forty pizzas need 40 x 70 s = 46m40s of topping and
        // baking work from that chef alone, so no wait for the kitchen to empty makes room: 422, not a
        // 429 whose Retry-After would send the customer back to the same answer. One more pizza when the
        // kitchen's backlog fills the promise still gets a retry.
        var engine = new BrigadeEngine(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"] }""", outletExtra: "\"maxPromiseMinutes\": 30,"));
        var events = new List<IDomainEvent>();
        engine.Advance(T0, events);

        var huge = engine.PlaceOrder(new PlaceOrder("huge", "r", "k", [new OrderLine("pizza", 40)], null, "c", "key-huge", "h"), T0, events);

        Assert.Equal(Outcome.Invalid, huge.Outcome);
        Assert.Contains("even in an idle kitchen", huge.Message, StringComparison.Ordinal);

        var placed = 0;
        EngineResult behind;
        while ((behind = engine.PlaceOrder(new PlaceOrder($"o{placed}", "r", "k", [new OrderLine("pizza", 1)], null, "c", $"key{placed}", "h"), T0, events)).IsOk) placed++;

        Assert.True(placed > 5, $"{placed} placed");
        Assert.Equal(Outcome.Refused, behind.Outcome);
        Assert.True(behind.RetryAfter > TimeSpan.Zero, $"retry after {behind.RetryAfter}");
    }

    // ------------------------------------------------------------------ 4. the backlog after a returned task

    [Fact]
    public void A_task_handed_back_by_a_chef_who_falls_sick_counts_again_in_the_backlog()
    {
        // People work the pizza station, chefs a and b. The pizza owes 60 s (top) + 10 s (bake).
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 3000,"));
        Queue(k, "o1", 0);
        Assert.True(k.StartTask("a", null, T0, []).IsOk);
        // a is topping: only the bake is still owed, 10 s between two chefs.
        Assert.Equal(5, ProjectedWait(k, 30), 6);

        var sick = Do(o => k.MarkSick("a", T0.AddSeconds(30), o));

        // The topping comes back: 70 s owed again, now to b alone.
        Assert.Equal(["TaskReturned 1 attempts=1 (a fell sick) @30", "ChefFellSick a"], Events(sick));
        Assert.Equal(70, ProjectedWait(k, 30), 6);

        // b does it all; nothing is owed after.
        var top = k.StartTask("b", null, T0.AddSeconds(31), []);
        Assert.Equal(10, ProjectedWait(k, 31), 6);
        Assert.True(k.CompleteTask(top.TaskId, top.Token, T0.AddSeconds(91), []).IsOk);
        var bake = k.StartTask("b", null, T0.AddSeconds(92), []);
        Assert.True(k.CompleteTask(bake.TaskId, bake.Token, T0.AddSeconds(102), []).IsOk);
        Assert.Contains("OrderCooked o1 @402", Events(AdvanceTo(k, 500)));
        Assert.Equal(0, ProjectedWait(k, 500));
    }

    [Fact]
    public void A_bake_handed_back_when_its_oven_breaks_counts_again_in_the_ovens_backlog()
    {
        // One chef, two ovens of one slot each. o1 bakes in oven 0 from 60 (out at 370), o2 in oven 1
        // from 130 (out at 440). At 200 oven 0 breaks: o1's bake goes back to wait for a slot, and
        // all 300 s of it are owed again.
        var k = K(TestCatalogs.Kitchen(ovenUnits: 2, ovenSlots: 1, pizzaChefs: """{ "id": "a", "skills": ["pizza"] }"""));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        AdvanceTo(k, 200);

        var broke = Do(o => k.BreakEquipment("oven", 0, T0.AddSeconds(200), o));

        Assert.Equal(["TaskReturned 2 attempts=1 (oven unit 0 broke) @200", "EquipmentBroke oven/0"], Events(broke));
        // A new pizza: the one working slot owes o1's bake (300 s) after the 240 s left on o2's, so
        // it is free for another bake at 200 + 540 = 740 s. Admission: topped by 200 + 10 (o1's
        // loading, owed to the station) + 60 = 270, so baked from 740: ready at 740 + 10 + 300 =
        // 1050 s. The routing estimate starts the whole pizza when the slot is free: 740 + 370 = 1110 s.
        var at = T0.AddSeconds(200);
        Assert.Equal(1050, Seconds(k.Evaluate([new OrderLine("pizza", 1)], at).EstimatedReadyAt), 6);
        Assert.Equal(1110, Seconds(k.FastEstimate([new OrderLine("pizza", 1)], at)!.Value), 6);
    }

    // ------------------------------------------------------------------ 5. a station with no active chef

    [Fact]
    public void A_station_nobody_on_duty_can_work_refuses_orders_for_five_minutes_and_gives_the_router_no_estimate()
    {
        // Of the two pizza chefs, a is sick and b has gone home.
        var k = K(TestCatalogs.Kitchen());
        Assert.True(k.MarkSick("a", T0, []).IsOk);
        Assert.True(k.ClockOut("b", T0, []).IsOk);

        var output = new List<IDomainEvent>();
        var pizza = k.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0, output);

        Assert.Equal(new Admission(false, T0, TimeSpan.FromMinutes(5), "no chef is available at the pizza station"), pizza);
        Assert.Empty(output);
        Assert.Null(k.FastEstimate([new OrderLine("pizza", 1)], T0));
        // The bread station still has its chef.
        Assert.True(k.Evaluate([new OrderLine("bread", 1)], T0).Accepted);
        Assert.NotNull(k.FastEstimate([new OrderLine("bread", 1)], T0));
    }

    [Fact]
    public void With_no_active_chef_a_standby_on_call_counts_as_the_crew_and_is_called_in_for_the_order()
    {
        // The pizza station's crew may shrink to nobody; its one chef, s (speed 2), is on standby.
        // An order is still taken, estimated at s's speed: top 30 s, bake 5 s + oven 300 s = 335 s.
        // The wait it makes exceeds the 10 s target, so s is called in, and cooks it by then.
        var catalog = TestCatalogs.Kitchen(
            pizzaChefs: """{ "id": "s", "skills": ["pizza"], "standby": true, "speed": 2 }""",
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 0, "max": 1, "targetWaitSeconds": 10, "cooldownSeconds": 60 } }""");
        var k = K(catalog);
        Assert.Equal(0, k.Snapshot(T0).Stations.Single(s => s.Id == "pizza").ActiveChefs);

        var admission = k.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0, []);
        var fast = k.FastEstimate([new OrderLine("pizza", 1)], T0);
        var events = Do(o => { k.Advance(T0, o); k.Advance(T0.AddSeconds(1000), o); return 0; });

        Assert.True(admission.Accepted, admission.Reason);
        Assert.Equal(335, Seconds(admission.EstimatedReadyAt), 6);
        Assert.NotNull(fast);   // the router gets an estimate too
        Assert.Contains("ChefActivated s (crew target for pizza is 1)", Events(events));
        Assert.Contains("OrderCooked o1 @335", Events(events));

        // A standby who is sick is no crew: then nobody can work the station.
        var sickStandby = K(catalog);
        Assert.True(sickStandby.MarkSick("s", T0, []).IsOk);
        var refused = sickStandby.Evaluate([new OrderLine("pizza", 1)], T0);
        Assert.Equal((false, "no chef is available at the pizza station"), (refused.Accepted, refused.Reason));
    }

    [Fact]
    public void An_open_order_at_a_station_nobody_on_duty_can_work_has_no_estimate()
    {
        // Ten pizzas wait at a station people work; then both its chefs fall sick. Nobody could start
        // the work, so the kitchen cannot say when o10 will be ready (dividing the nine toppings
        // ahead of it by a near-zero crew gave a time past the end of the calendar).
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"maxPromiseMinutes\": 600,"));
        for (var i = 1; i <= 10; i++) Queue(k, $"o{i}", 0);
        Assert.NotNull(k.EstimateReady("o10", T0.AddSeconds(1)));
        Assert.True(k.MarkSick("a", T0.AddSeconds(1), []).IsOk);
        Assert.True(k.MarkSick("b", T0.AddSeconds(1), []).IsOk);

        Assert.Null(k.EstimateReady("o1", T0.AddSeconds(2)));
        Assert.Null(k.EstimateReady("o10", T0.AddSeconds(2)));
        Assert.Equal(TimeSpan.FromDays(1).TotalSeconds, ProjectedWait(k, 2));   // the display's cap

        // Once a chef is back, there is an estimate again: o10's topping has nine ahead of it.
        Assert.True(k.MarkRecovered("a", T0.AddSeconds(3), []).IsOk);
        Assert.Equal(3 + 9 * 60 + 60 + 10 + 300, Seconds(k.EstimateReady("o10", T0.AddSeconds(3))!.Value), 6);
    }

    [Fact]
    public void When_the_last_chef_of_a_station_falls_sick_the_customer_keeps_the_last_estimate()
    {
        // Six pizzas in one order; a and b top the first two. a falls sick at 30 s, and the estimate
        // moves out. Then b, the last pizza chef, falls sick too: that must not fail the command,
        // and with nobody to cook there is no new estimate to send.
        var engine = new BrigadeEngine(TestCatalogs.Kitchen());
        var events = new List<IDomainEvent>();
        Assert.True(engine.PlaceOrder(new PlaceOrder("o1", "r", "k", [new OrderLine("pizza", 6)], null, "c", "key", "h"), T0, events).IsOk);
        var at = T0.AddSeconds(30);
        Assert.True(engine.AtKitchen("k", at, events, (k, o) => k.MarkSick("a", at, o)).IsOk);
        var before = engine.Orders["o1"].EstimatedReadyAt;
        Assert.NotEqual(engine.Orders["o1"].InitialEstimatedReadyAt, before);

        var lastSick = new List<IDomainEvent>();
        var result = engine.AtKitchen("k", at, lastSick, (k, o) => k.MarkSick("b", at, o));

        Assert.True(result.IsOk, result.Message);
        Assert.Equal(["TaskReturned 3 attempts=1 (b fell sick) @30", "ChefFellSick b"], Events(lastSick));
        Assert.Equal(before, engine.Orders["o1"].EstimatedReadyAt);
    }
}
