using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Kitchen;

/// <summary>The kitchen engine as given events / when command / then events, on a virtual clock.</summary>
public class KitchenEngineTests
{
    private static KitchenEngine NewKitchen(Brigade.Catalog.RestaurantCatalog catalog) => new(catalog.FindOutlet("k")!);

    private static List<IDomainEvent> Queue(KitchenEngine k, string orderId, double atSeconds, params (string Item, int Qty)[] lines)
    {
        var output = new List<IDomainEvent>();
        var admission = k.TryQueueOrder(orderId, lines.Select(l => new OrderLine(l.Item, l.Qty)).ToList(), T0.AddSeconds(atSeconds), output);
        Assert.True(admission.Accepted, admission.Reason);
        return output;
    }

    private static List<IDomainEvent> AdvanceTo(KitchenEngine k, double seconds)
    {
        var output = new List<IDomainEvent>();
        k.Advance(T0.AddSeconds(seconds), output);
        return output;
    }

    [Fact]
    public void Splits_an_order_into_one_ticket_per_station()
    {
        var k = NewKitchen(TestCatalogs.Kitchen());

        var events = Queue(k, "o1", 0, ("pizza", 1), ("bread", 1));

        var queued = Assert.IsType<OrderQueued>(events[0]);
        Assert.Equal(["pizza", "pizza", "bread", "bread"], queued.Tasks.Select(t => t.Station));
        Assert.Equal(["OrderQueued o1 tasks=4", "TaskStarted 1 a @0", "TaskStarted 3 c @0"], Events(events));
    }

    [Fact]
    public void The_kitchen_display_shows_each_task_as_its_queueing_event_recorded_it()
    {
        // Pizza and bread both start with the same "knead" step (60 s, no equipment), and both bake,
        // with other oven times: each task must still show its own item, unit and times.
        var k = NewKitchen(TestCatalogs.Kitchen(pizzaFirstStep: """{ "name": "knead", "station": "pizza", "workSeconds": 60 },"""));
        var queued = Assert.IsType<OrderQueued>(Queue(k, "o1", 0, ("pizza", 2), ("bread", 1))[0]);
        Queue(k, "o2", 0, ("pizza", 1));

        var view = k.Snapshot(T0);

        foreach (var station in new[] { "pizza", "bread" })
        {
            var shown = view.Stations.Single(s => s.Id == station).Tickets.Single(t => t.OrderId == "o1").Tasks;
            Assert.Equal(
                queued.Tasks.Where(t => t.Station == station).Select(t => (t.Id, t.Name, t.Item, t.Unit, t.WorkSeconds, t.EquipmentSeconds, t.Attended)),
                shown.Select(t => (t.Id, t.Name, t.Item, t.Unit, t.WorkSeconds, t.EquipmentSeconds, t.Attended)));
        }
        Assert.Equal([0, 0, 0, 1, 1, 1], view.Stations.Single(s => s.Id == "pizza").Tickets.Single(t => t.OrderId == "o1").Tasks.Select(t => t.Unit).Order());
    }

    [Fact]
    public void An_idle_settled_kitchen_dozes_with_nothing_due_rather_than_failing()
    {
        var k = NewKitchen(TestCatalogs.Kitchen());
        Queue(k, "o1", 0, ("pizza", 1));
        AdvanceTo(k, 3600);
        AdvanceTo(k, 7200);

        Assert.Equal(DateTimeOffset.MaxValue, k.NextDueAt);
    }

    [Fact]
    public void Order_is_cooked_when_every_ticket_is_done()
    {
        var k = NewKitchen(TestCatalogs.Kitchen());
        Queue(k, "o1", 0, ("pizza", 1), ("bread", 1));

        var events = AdvanceTo(k, 1000);

        Assert.Equal(
        [
            "TaskCompleted 1 @60", "TaskStarted 2 b unit=0 @60",
            "TaskCompleted 3 @60", "TaskStarted 4 c unit=0 @60",
            "TaskHandsFree 2 @70", "TaskHandsFree 4 @70",
            "TaskCompleted 4 @270", "TicketCompleted o1/bread @270",
            "TaskCompleted 2 @370", "TicketCompleted o1/pizza @370", "OrderCooked o1 @370",
        ], Events(events).Where(e => !e.StartsWith("Station", StringComparison.Ordinal)));
    }

    [Fact]
    public void Among_free_chefs_the_least_loaded_takes_the_next_task()
    {
        var k = NewKitchen(TestCatalogs.Kitchen());
        Queue(k, "o1", 0, ("pizza", 1));

        var events = AdvanceTo(k, 60);

        // a made the topping; at 60 both a and b are free, and b has done less work.
        Assert.Contains("TaskStarted 2 b unit=0 @60", Events(events));
    }

    [Fact]
    public void Station_queue_is_FIFO_by_ticket_and_a_step_waits_for_a_free_equipment_slot()
    {
        var k = NewKitchen(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"] }"""));
        var events = new List<IDomainEvent>();
        events.AddRange(Queue(k, "o1", 0, ("pizza", 1)));
        events.AddRange(AdvanceTo(k, 1));
        events.AddRange(Queue(k, "o2", 1, ("pizza", 1)));
        events.AddRange(AdvanceTo(k, 2));
        events.AddRange(Queue(k, "o3", 2, ("pizza", 1)));
        events.AddRange(AdvanceTo(k, 1000));

        // One chef: o1's bake (already in its ticket) goes before o2's topping, and so on; the oven
        // has two slots, so o3's bake waits until o1's pizza comes out at 370.
        Assert.Equal(
        [
            "TaskStarted 1 a @0", "TaskStarted 2 a unit=0 @60", "TaskStarted 3 a @70",
            "TaskStarted 4 a unit=0 @130", "TaskStarted 5 a @140", "TaskStarted 6 a unit=0 @370",
        ], Only<TaskStarted>(events));
        Assert.Equal(["OrderCooked o1 @370", "OrderCooked o2 @440", "OrderCooked o3 @680"], Only<OrderCooked>(events));
    }

    [Fact]
    public void Unattended_equipment_frees_the_chef_and_attended_equipment_does_not()
    {
        var k = NewKitchen(TestCatalogs.Kitchen(ovenSlots: 4));
        var events = new List<IDomainEvent>();
        events.AddRange(Queue(k, "bread", 0, ("bread", 2)));
        events.AddRange(AdvanceTo(k, 500));
        var breadStarts = Only<TaskStarted>(events);

        var k2 = NewKitchen(TestCatalogs.Kitchen(ovenSlots: 4));
        var coffee = new List<IDomainEvent>();
        coffee.AddRange(Queue(k2, "coffee", 0, ("coffee", 2)));
        coffee.AddRange(AdvanceTo(k2, 500));

        // Bread: c kneads #1 (0-60), bakes it (60-70, then the oven runs alone), so kneads #2 at 70.
        Assert.Equal(["TaskStarted 1 c @0", "TaskStarted 2 c unit=0 @60", "TaskStarted 3 c @70", "TaskStarted 4 c unit=0 @130"], breadStarts);
        // Coffee: pulling a shot is attended, so c stands at the machine for all 60 s of each.
        Assert.Equal(["TaskStarted 1 c unit=0 @0", "TaskStarted 2 c unit=0 @60"], Only<TaskStarted>(coffee));
    }

    [Fact]
    public void Prepped_stock_lets_a_recipe_skip_the_step_that_makes_it()
    {
        var catalog = TestCatalogs.Kitchen(
            components: """{ "id": "base", "prep": [ { "station": "pizza", "workSeconds": 120 } ] }""",
            stock: """{ "component": "base", "par": 0, "initial": 1 }""",
            pizzaFirstStep: """{ "name": "stretch", "station": "pizza", "workSeconds": 120, "produces": "base" },""");
        var k = NewKitchen(catalog);

        var events = Queue(k, "o1", 0, ("pizza", 2));

        var queued = Assert.IsType<OrderQueued>(events[0]);
        // The first pizza takes the one base in stock; the second has to have its base stretched.
        Assert.Equal(["top", "bake", "stretch", "top", "bake"], queued.Tasks.Select(t => t.Name));
        Assert.Contains("StockUsed base level=0", Events(events));
    }

    [Fact]
    public void A_withdrawn_order_puts_the_stock_it_took_back_on_the_shelf()
    {
        // The pizza station is worked by people who have not picked anything up yet, so nothing of
        // the order has started and it may be withdrawn.
        var k = NewKitchen(TestCatalogs.Kitchen(
            pizzaStation: """{ "id": "pizza", "mode": "human" }""",
            components: """{ "id": "base", "prep": [ { "station": "pizza", "workSeconds": 120 } ] }""",
            stock: """{ "component": "base", "par": 0, "initial": 2 }""",
            pizzaFirstStep: """{ "name": "stretch", "station": "pizza", "workSeconds": 120, "produces": "base" },"""));
        Assert.Equal(["StockUsed base level=1", "StockUsed base level=0"], Only<StockUsed>(Queue(k, "o1", 0, ("pizza", 2))));

        var withdrawn = new List<IDomainEvent>();
        Assert.True(k.Withdraw("o1", "cancelled", T0.AddSeconds(5), withdrawn).IsOk);

        Assert.Equal(["StockReturned base level=1", "StockReturned base level=2"], Only<StockReturned>(withdrawn));
        Assert.Equal(["StockUsed base level=1", "StockUsed base level=0"], Only<StockUsed>(Queue(k, "o2", 10, ("pizza", 2))));
    }

    [Fact]
    public void Estimate_at_queueing_accounts_for_the_work_ahead()
    {
        var k = NewKitchen(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"] }""", ovenSlots: 8));
        var first = k.Evaluate([new OrderLine("pizza", 1)], T0);
        Queue(k, "o1", 0, ("pizza", 4));
        var later = k.Evaluate([new OrderLine("pizza", 1)], T0);

        // Empty kitchen: top 60 + bake 10 + oven 300.
        Assert.Equal(370, (first.EstimatedReadyAt - T0).TotalSeconds, 0);
        // Behind four pizzas (4 × 70 s of chef work, minus the one already started) the estimate moves out.
        Assert.True(later.EstimatedReadyAt > first.EstimatedReadyAt.AddSeconds(150));
    }

    [Fact]
    public void Estimates_count_what_the_chefs_and_the_oven_are_in_the_middle_of()
    {
        // One pizza chef, one oven slot. A pizza queued at 0: the chef tops it until 60 and puts it
        // in the oven from 60; the oven is busy until 370.
        var k = NewKitchen(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"] }""", ovenSlots: 1));
        Queue(k, "o1", 0, ("pizza", 1));
        AdvanceTo(k, 100);

        // At 100 nothing is queued and the chef is free, but the oven slot is taken for 270 s more:
        // a second pizza cannot go in before 370, so it is ready no sooner than 370 + 300 = 670
        // (counting only the queue, an idle-looking kitchen would promise 100 + 370 = 470).
        var at = T0.AddSeconds(100);
        var estimate = k.Evaluate([new OrderLine("pizza", 1)], at);
        var fast = k.FastEstimate([new OrderLine("pizza", 1)], at)!.Value;
        Assert.True((estimate.EstimatedReadyAt - T0).TotalSeconds >= 670, $"admission estimate {(estimate.EstimatedReadyAt - T0).TotalSeconds} s");
        Assert.True((fast - T0).TotalSeconds >= 670, $"routing estimate {(fast - T0).TotalSeconds} s");
    }

    [Fact]
    public void A_freed_oven_slot_goes_to_the_oldest_ticket_whichever_station_it_is_at()
    {
        // One oven slot shared by the pizza and bread stations. Pizza o1 takes it at 60 until 370;
        // meanwhile bread o2 (queued second) and pizza o3 (queued third) are ready for the oven.
        var k = NewKitchen(TestCatalogs.Kitchen(ovenSlots: 1, outletExtra: "\"maxPromiseMinutes\": 120,"));
        var log = new List<IDomainEvent>();
        log.AddRange(Queue(k, "o1", 0, ("pizza", 1)));
        log.AddRange(Queue(k, "o2", 1, ("bread", 1)));
        log.AddRange(Queue(k, "o3", 2, ("pizza", 1)));
        log.AddRange(AdvanceTo(k, 380));

        var ovenStarts = log.OfType<TaskStarted>().Where(s => s.Unit >= 0).Select(s => (s.OrderId, Sec(s.At))).ToList();
        // The pizza station does not refill the slot before the bread that waited longer.
        Assert.Equal([("o1", "60"), ("o2", "370")], ovenStarts);
    }

    [Fact]
    public void After_advancing_to_a_moment_nothing_is_left_due_at_or_before_it_even_while_the_kitchen_dozes()
    {
        // A human station: starting a task arms a lease timer, which stays in the heap, stale, once
        // the task is bumped. The kitchen then goes quiet and dozes; the stale timer must still be
        // taken when it comes due, or the kitchen would report it due for ever.
        // A long lease: its stale timer comes due well after the kitchen has begun to doze.
        var k = NewKitchen(TestCatalogs.Kitchen(pizzaStation: """{ "id": "pizza", "mode": "human" }""", outletExtra: "\"leaseSeconds\": 3000,"));
        var output = new List<IDomainEvent>();
        Queue(k, "o1", 0, ("pizza", 1));
        for (var step = 0; step < 2; step++) // top, then bake: started and bumped by hand
        {
            var started = k.StartTask("a", null, T0.AddSeconds(step * 20), output);
            Assert.True(started.IsOk, started.Message);
            Assert.True(k.CompleteTask(started.TaskId, started.Token, T0.AddSeconds(step * 20 + 10), output).IsOk);
        }

        for (var s = 60; s <= 4200; s += 60)
        {
            var now = T0.AddSeconds(s);
            k.Advance(now, output);
            Assert.True(k.NextDueAt > now, $"at {s} s the kitchen still says something is due at {(k.NextDueAt - T0).TotalSeconds} s");
        }
    }

    [Fact]
    public void Replaying_the_events_rebuilds_a_kitchen_that_decides_identically()
    {
        var catalog = TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"] }""");
        var live = NewKitchen(catalog);
        var log = new List<IDomainEvent>();
        log.AddRange(Queue(live, "o1", 0, ("pizza", 2), ("bread", 1)));
        log.AddRange(AdvanceTo(live, 100));
        log.AddRange(Queue(live, "o2", 100, ("pizza", 1)));
        log.AddRange(AdvanceTo(live, 200));

        var replayed = NewKitchen(catalog);
        foreach (var e in log) replayed.Apply((IKitchenEvent)e);

        Assert.Equal(live.Version, replayed.Version);
        var a = new List<IDomainEvent>();
        var b = new List<IDomainEvent>();
        live.TryQueueOrder("o3", [new OrderLine("pizza", 1)], T0.AddSeconds(200), a);
        replayed.TryQueueOrder("o3", [new OrderLine("pizza", 1)], T0.AddSeconds(200), b);
        live.Advance(T0.AddSeconds(5000), a);
        replayed.Advance(T0.AddSeconds(5000), b);
        Assert.Equal(Events(a), Events(b));
        Assert.Contains("OrderCooked o3", string.Join('|', Events(a)), StringComparison.Ordinal);
    }
}
