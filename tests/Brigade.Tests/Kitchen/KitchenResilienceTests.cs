using Brigade.Engine;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;
using static Brigade.Tests.Support.KitchenSteps;

namespace Brigade.Tests.Kitchen;

/// <summary>Sick chefs, leases, fencing, retries, broken equipment, standby chefs, autoscaling, backpressure and prep, on a virtual clock.</summary>
public class KitchenResilienceTests
{
    private const string HumanPizza = """{ "id": "pizza", "mode": "human" }""";

    [Fact]
    public void A_chef_falls_sick_mid_task_and_another_chef_completes_it()
    {
        var k = K(TestCatalogs.Kitchen());
        Queue(k, "o1", 0);

        var sick = Do(o => k.MarkSick("a", T0.AddSeconds(30), o));
        var later = Do(o => { k.Advance(T0.AddSeconds(100), o); return 0; });

        Assert.Equal(["TaskReturned 1 attempts=1 (a fell sick) @30", "ChefFellSick a", "TaskStarted 1 b @30"], Events(sick));
        Assert.Contains("TaskCompleted 1 @90", Events(later));
    }

    [Fact]
    public void A_chef_who_clocks_out_mid_task_hands_it_back_and_another_chef_finishes_it()
    {
        var k = K(TestCatalogs.Kitchen());
        Queue(k, "o1", 0);

        var gone = Do(o => k.ClockOut("a", T0.AddSeconds(30), o));
        var later = Do(o => { k.Advance(T0.AddSeconds(100), o); return 0; });

        Assert.Equal(["TaskReturned 1 attempts=1 (a clocked out) @30", "ChefClockedOut a", "TaskStarted 1 b @30"], Events(gone));
        Assert.Contains("TaskCompleted 1 @90", Events(later));
    }

    [Fact]
    public void An_expired_lease_returns_the_task_to_the_head_of_its_queue()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        var a = k.StartTask("a", null, T0, []);
        var b = k.StartTask("b", null, T0, []);
        Assert.Equal((1L, 3L), (a.TaskId, b.TaskId));

        Assert.True(k.Heartbeat(3, b.Token, T0.AddSeconds(50), []).IsOk);
        Queue(k, "o3", 55);
        var expired = Do(o => { k.Advance(T0.AddSeconds(61), o); return 0; });

        Assert.Equal(["TaskReturned 1 attempts=1 (lease expired: no heartbeat from a) @60"], Only<TaskReturned>(expired));
        Assert.DoesNotContain(expired.OfType<TaskReturned>(), r => r.TaskId == 3);
        // o1's topping went back ahead of o3's, though o3 was queued first.
        var again = k.StartTask("a", null, T0.AddSeconds(62), []);
        Assert.Equal(1, again.TaskId);
        Assert.True(again.Token > b.Token);
    }

    [Fact]
    public void A_returned_task_goes_ahead_of_older_tickets_still_waiting()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        // b picks o2's topping by hand, ahead of o1's, then goes silent.
        Assert.Equal(3, k.StartTask("b", 3, T0, []).TaskId);

        var expired = Do(o => { k.Advance(T0.AddSeconds(61), o); return 0; });

        Assert.Equal(["TaskReturned 3 attempts=1 (lease expired: no heartbeat from b) @60"], Only<TaskReturned>(expired));
        // Returned work is owed first: it goes ahead of o1's topping, older though o1 is.
        Assert.Equal(3, k.StartTask("a", null, T0.AddSeconds(62), []).TaskId);
        Assert.Equal(1, k.StartTask("b", null, T0.AddSeconds(63), []).TaskId);
    }

    [Fact]
    public void A_task_handed_back_twice_counts_once_in_the_work_ahead_of_later_orders()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        Assert.Equal(1, k.StartTask("a", null, T0, []).TaskId);
        k.Advance(T0.AddSeconds(61), []);
        var afterFirstReturn = k.EstimateReady("o2", T0.AddSeconds(61))!.Value - T0.AddSeconds(61);

        // a takes the returned topping again, from the head of the queue, and goes silent again.
        Assert.Equal(1, k.StartTask("a", null, T0.AddSeconds(62), []).TaskId);
        k.Advance(T0.AddSeconds(123), []);
        var afterSecondReturn = k.EstimateReady("o2", T0.AddSeconds(123))!.Value - T0.AddSeconds(123);

        // The kitchen is as it was after the first return: o1's topping waits once ahead of o2's.
        Assert.Equal(afterFirstReturn, afterSecondReturn);
        Assert.Equal(2, QueuedAtPizza(k));
    }

    [Fact]
    public void A_heartbeat_from_the_old_lease_holder_does_not_extend_the_new_holders_lease()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        var first = k.StartTask("a", null, T0, []);
        k.Advance(T0.AddSeconds(61), []);
        var second = k.StartTask("b", null, T0.AddSeconds(62), []);

        var stale = Do(o => k.Heartbeat(1, first.Token, T0.AddSeconds(100), o));

        Assert.Equal(KitchenOutcome.Stale, k.Heartbeat(1, first.Token, T0.AddSeconds(100), []).Outcome);
        Assert.Empty(stale);
        // b's lease still runs from when b took the task, and expires on time.
        var expired = Do(o => { k.Advance(T0.AddSeconds(123), o); return 0; });
        Assert.Equal(["TaskReturned 1 attempts=2 (lease expired: no heartbeat from b) @122"], Only<TaskReturned>(expired));
        Assert.NotEqual(first.Token, second.Token);
    }

    [Fact]
    public void The_station_queue_counts_only_tasks_still_waiting_to_start()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        Queue(k, "o3", 0);
        Assert.Equal(3, QueuedAtPizza(k));   // the three toppings; each bake waits for its topping

        k.StartTask("a", null, T0.AddSeconds(1), []);
        Assert.Equal(2, QueuedAtPizza(k));
        Assert.True(k.Withdraw("o3", "cancelled", T0.AddSeconds(2), []).IsOk);
        Assert.Equal(1, QueuedAtPizza(k));
        k.StartTask("b", null, T0.AddSeconds(3), []);
        Assert.Equal(0, QueuedAtPizza(k));
    }

    private static int QueuedAtPizza(KitchenEngine k) => k.Snapshot(T0.AddSeconds(5)).Stations.Single(s => s.Id == "pizza").QueuedTasks;

    [Fact]
    public void A_late_completion_from_the_old_lease_holder_is_rejected_by_its_fencing_token()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        var first = k.StartTask("a", null, T0, []);
        k.Advance(T0.AddSeconds(61), []);
        var second = k.StartTask("b", null, T0.AddSeconds(62), []);

        var late = Do(o => k.CompleteTask(1, first.Token, T0.AddSeconds(70), o));
        var rightful = Do(o => k.CompleteTask(1, second.Token, T0.AddSeconds(90), o));

        Assert.Equal(KitchenOutcome.Stale, k.CompleteTask(1, first.Token, T0.AddSeconds(70), []).Outcome);
        Assert.Empty(late);
        Assert.Contains("TaskCompleted 1 @90", Events(rightful));
        // Once the task is done, the old holder's token is still stale.
        Assert.Equal(KitchenOutcome.Stale, k.CompleteTask(1, first.Token, T0.AddSeconds(95), []).Outcome);
    }

    [Fact]
    public void A_repeated_bump_with_the_holders_token_is_answered_as_done_and_changes_nothing()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza));
        Queue(k, "o1", 0);
        var top = k.StartTask("a", null, T0, []);
        Assert.Contains("TaskCompleted 1 @60", Events(Do(o => k.CompleteTask(1, top.Token, T0.AddSeconds(60), o))));

        var again = new List<IDomainEvent>();
        Assert.True(k.CompleteTask(1, top.Token, T0.AddSeconds(61), again).IsOk);
        Assert.Empty(again);

        // The bake: a bump while the oven still runs, then the same bump again.
        var bake = k.StartTask("a", null, T0.AddSeconds(62), []);
        Assert.Equal(2, bake.TaskId);
        var first = Do(o => k.CompleteTask(2, bake.Token, T0.AddSeconds(70), o));
        var repeat = new List<IDomainEvent>();
        Assert.True(k.CompleteTask(2, bake.Token, T0.AddSeconds(71), repeat).IsOk);
        Assert.NotEmpty(first);
        Assert.Empty(repeat);
        // A token that never held the task is still refused.
        Assert.Equal(KitchenOutcome.Stale, k.CompleteTask(1, top.Token + 100, T0.AddSeconds(72), []).Outcome);
    }

    [Fact]
    public void A_bump_from_a_chef_whose_lease_ran_out_is_refused_as_stale_also_before_anyone_else_takes_the_task()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        var first = k.StartTask("a", null, T0, []);
        k.Advance(T0.AddSeconds(61), []);

        var late = Do(o => k.CompleteTask(1, first.Token, T0.AddSeconds(70), o));

        Assert.Equal(KitchenOutcome.Stale, k.CompleteTask(1, first.Token, T0.AddSeconds(70), []).Outcome);
        Assert.Empty(late);
        // The same for a chef who fell sick holding the task.
        var again = k.StartTask("b", null, T0.AddSeconds(80), []);
        k.MarkSick("b", T0.AddSeconds(90), []);
        Assert.Equal(KitchenOutcome.Stale, k.CompleteTask(1, again.Token, T0.AddSeconds(95), []).Outcome);
        Assert.Equal("queued", k.Snapshot(T0.AddSeconds(95)).Stations[0].Tickets[0].Tasks[0].Phase);
    }

    [Fact]
    public void A_bump_or_heartbeat_for_a_task_at_a_station_of_simulated_chefs_is_refused_and_the_chef_works_on()
    {
        var k = K(TestCatalogs.Kitchen());
        Queue(k, "o1", 0);
        var top = k.Snapshot(T0.AddSeconds(1)).Stations[0].Tickets[0].Tasks[0];
        Assert.Equal(("top", "working"), (top.Name, top.Phase));

        var bump = new List<IDomainEvent>();
        var bumped = k.CompleteTask(top.Id, top.Token, T0.AddSeconds(5), bump);
        var heartbeat = new List<IDomainEvent>();
        var beat = k.Heartbeat(top.Id, top.Token, T0.AddSeconds(5), heartbeat);
        var rest = Do(o => { k.Advance(T0.AddSeconds(1000), o); return 0; });

        Assert.Equal(KitchenOutcome.Conflict, bumped.Outcome);
        Assert.Equal(KitchenOutcome.Conflict, beat.Outcome);
        Assert.Empty(bump);
        Assert.Empty(heartbeat);
        Assert.Contains("TaskCompleted 1 @60", Events(rest));
        Assert.Contains("OrderCooked o1 @370", Events(rest));
    }

    [Fact]
    public void A_task_handed_back_by_its_chef_does_not_count_as_a_task_that_chef_has_done()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60,"));
        Queue(k, "o1", 0);
        Queue(k, "o2", 0);
        k.StartTask("a", 1, T0, []);
        k.Advance(T0.AddSeconds(61), []);                  // a's lease runs out
        Assert.True(k.StartTask("b", 3, T0.AddSeconds(62), []).IsOk);
        k.MarkSick("b", T0.AddSeconds(70), []);            // b falls sick holding o2's topping
        var again = k.StartTask("a", 1, T0.AddSeconds(71), []);
        Assert.True(k.CompleteTask(1, again.Token, T0.AddSeconds(131), []).IsOk);

        var done = k.Snapshot(T0.AddSeconds(132)).Chefs.ToDictionary(c => c.Id, c => c.TasksDone);

        Assert.Equal(1, done["a"]);
        Assert.Equal(0, done["b"]);
    }

    [Fact]
    public void A_chef_mid_task_when_another_ticket_fails_the_order_keeps_the_time_they_worked_on_it()
    {
        // Two pizzas; a tops the first, b the second. a's lease runs out at 60 s, the last attempt,
        // so the order fails and b's topping is dropped with it: b worked on it for 60 s, as a did.
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60, \"maxAttempts\": 1,"));
        Queue(k, "o1", 0, qty: 2);
        Assert.True(k.StartTask("a", 1, T0, []).IsOk);
        var b = k.StartTask("b", 3, T0, []);
        Assert.True(k.Heartbeat(b.TaskId, b.Token, T0.AddSeconds(50), []).IsOk);

        var failed = Do(o => { k.Advance(T0.AddSeconds(61), o); return 0; });

        Assert.Single(failed.OfType<OrderCookingFailed>());
        var busy = k.Snapshot(T0.AddSeconds(61)).Chefs.Where(c => c.Id is "a" or "b").Select(c => (c.Id, c.State, Seconds: Math.Round(c.BusyHours * 3600, 6)));
        Assert.Equal([("a", "idle", 60.0), ("b", "idle", 60.0)], busy);
    }

    [Fact]
    public void After_its_last_attempt_a_ticket_fails_its_order_with_a_reason_and_an_alert()
    {
        var catalog = TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 60, \"maxAttempts\": 2,");
        var engine = new BrigadeEngine(catalog);
        var events = new List<IDomainEvent>();
        engine.PlaceOrder(new PlaceOrder("o1", "r", "k", [new OrderLine("pizza", 1)], null, "c", "key", "h"), T0, events);

        engine.AtKitchen("k", T0, events, (k, o) => k.StartTask("a", null, T0, o));
        engine.Advance(T0.AddSeconds(61), events);
        engine.AtKitchen("k", T0.AddSeconds(62), events, (k, o) => k.StartTask("b", null, T0.AddSeconds(62), o));
        engine.Advance(T0.AddSeconds(130), events);

        Assert.Equal(["TaskReturned 1 attempts=1 (lease expired: no heartbeat from a) @60", "TaskReturned 1 attempts=2 (lease expired: no heartbeat from b) @122"],
            Only<TaskReturned>(events));
        var failed = Assert.Single(events.OfType<OrderCookingFailed>());
        Assert.Contains("failed 2 times", failed.Reason, StringComparison.Ordinal);
        Assert.Single(events.OfType<KitchenAlertRaised>(), a => a.Kind == "ticket-failed" && a.OrderId == "o1");
        Assert.Equal(OrderStatus.Failed, engine.Orders["o1"].Status);
        Assert.Contains("lease expired", engine.Orders["o1"].Reason, StringComparison.Ordinal);
        Assert.False(engine.KitchenOf("k")!.HasOrder("o1"));
    }

    [Fact]
    public void When_equipment_breaks_mid_step_the_step_goes_back_to_wait_for_another_unit()
    {
        var k = K(TestCatalogs.Kitchen(ovenUnits: 2, ovenSlots: 1, pizzaChefs: """{ "id": "a", "skills": ["pizza"] }"""));
        Queue(k, "o1", 0);
        k.Advance(T0.AddSeconds(90), []);

        var broke = Do(o => k.BreakEquipment("oven", 0, T0.AddSeconds(100), o));
        var rest = Do(o => { k.Advance(T0.AddSeconds(1000), o); return 0; });

        Assert.Equal(["TaskReturned 2 attempts=1 (oven unit 0 broke) @100", "EquipmentBroke oven/0", "TaskStarted 2 a unit=1 @100"], Events(broke));
        Assert.Contains("OrderCooked o1 @410", Events(rest));
    }

    [Fact]
    public void An_oven_that_breaks_under_two_bakes_of_one_order_on_their_last_attempt_fails_the_order_once()
    {
        // One attempt per step. Chefs a and b top the two pizzas of o1 and put both in the one oven
        // (two slots) by 70 s. At 100 s the oven breaks under them: the first bake handed back fails
        // the order, which takes its other bake with it; that one is not handed back as well.
        var engine = new BrigadeEngine(TestCatalogs.Kitchen(outletExtra: "\"maxAttempts\": 1,"));
        var events = new List<IDomainEvent>();
        engine.Advance(T0, events);
        Assert.True(engine.PlaceOrder(new PlaceOrder("o1", "r", "k", [new OrderLine("pizza", 2)], null, "c", "key", "h"), T0, events).IsOk);
        engine.Advance(T0.AddSeconds(100), events);
        Assert.Equal(2, events.OfType<TaskHandsFree>().Count());
        var start = events.Count;

        var broke = engine.AtKitchen("k", T0.AddSeconds(100), events, (k, o) => k.BreakEquipment("oven", 0, T0.AddSeconds(100), o));

        Assert.True(broke.IsOk, broke.Message);
        var after = events.Skip(start).ToList();
        Assert.Single(after.OfType<TaskReturned>());
        Assert.Single(after.OfType<OrderCookingFailed>(), f => f.OrderId == "o1");
        Assert.Single(after.OfType<EquipmentBroke>());
        Assert.Equal(OrderStatus.Failed, engine.Orders["o1"].Status);
        Assert.False(engine.KitchenOf("k")!.HasOrder("o1"));
        // The kitchen goes on: the oven is fixed and the next order cooks.
        Assert.True(engine.AtKitchen("k", T0.AddSeconds(110), events, (k, o) => k.FixEquipment("oven", 0, T0.AddSeconds(110), o)).IsOk);
        Assert.True(engine.PlaceOrder(new PlaceOrder("o2", "r", "k", [new OrderLine("pizza", 1)], null, "c", "key2", "h"), T0.AddSeconds(110), events).IsOk);
        engine.Advance(T0.AddSeconds(1000), events);
        Assert.Equal(OrderStatus.Ready, engine.Orders["o2"].Status);
    }

    [Fact]
    public void A_standby_chef_covers_for_a_sick_primary_then_stands_down_unpaid()
    {
        var k = K(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "b", "skills": ["pizza"] }, { "id": "s", "skills": ["pizza"], "standby": true }"""));
        k.Advance(T0, []);

        var sick = Do(o => k.MarkSick("a", T0.AddSeconds(10), o));
        var back = Do(o => k.MarkRecovered("a", T0.AddSeconds(100), o));

        Assert.Equal(["ChefFellSick a", "ChefActivated s (covering for a (sick))"], Events(sick));
        Assert.Equal(["ChefRecovered a", "ChefStoodDown s (crew target for pizza is 2)"], Events(back));
        var view = k.Snapshot(T0.AddSeconds(200));
        Assert.Equal(90, view.Chefs.Single(c => c.Id == "s").PaidHours * 3600, 3);   // paid only while covering
        Assert.Equal(110, view.Chefs.Single(c => c.Id == "a").PaidHours * 3600, 3);  // not while sick
        Assert.Equal("standby", view.Chefs.Single(c => c.Id == "s").State);
    }

    [Fact]
    public void A_primary_back_while_the_standby_cover_is_mid_task_stays_on_the_crew_and_the_standby_stands_down_once_free()
    {
        // People work the pizza station: a and b, with s on standby. a falls sick, s is called in and
        // starts a topping. a is back before s is done: the crew is one over its target, and the one
        // to stand down is s, once free; not b, a regular, benched while the cover carries on.
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, outletExtra: "\"leaseSeconds\": 3000,",
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "b", "skills": ["pizza"] }, { "id": "s", "skills": ["pizza"], "standby": true }"""));
        k.Advance(T0, []);
        Assert.Equal(["ChefFellSick a", "ChefActivated s (covering for a (sick))"], Events(Do(o => k.MarkSick("a", T0.AddSeconds(10), o))));
        Queue(k, "o1", 20);
        var top = k.StartTask("s", null, T0.AddSeconds(20), []);
        Assert.True(top.IsOk, top.Message);

        var back = Do(o => k.MarkRecovered("a", T0.AddSeconds(30), o));

        Assert.Equal(["ChefRecovered a"], Events(back));
        Assert.True(k.CompleteTask(top.TaskId, top.Token, T0.AddSeconds(80), []).IsOk);
        var review = Do(o => { k.Advance(T0.AddSeconds(100), o); return 0; });
        Assert.Contains("ChefStoodDown s (crew target for pizza is 2)", Events(review));
        var chefs = k.Snapshot(T0.AddSeconds(100)).Chefs.ToDictionary(c => c.Id, c => c.State);
        Assert.Equal("standby", chefs["s"]);
        Assert.NotEqual("standby", chefs["a"]);
        Assert.NotEqual("standby", chefs["b"]);
        Assert.True(k.StartTask("b", null, T0.AddSeconds(100), []).IsOk);
    }

    [Fact]
    public void A_standby_chef_takes_no_task_until_called_in()
    {
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza,
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "s", "skills": ["pizza"], "standby": true }"""));
        k.Advance(T0, []);
        Queue(k, "o1", 0);

        var standby = k.StartTask("s", null, T0.AddSeconds(1), []);

        Assert.Equal(KitchenOutcome.Conflict, standby.Outcome);
        Assert.Contains("standby", standby.Message, StringComparison.Ordinal);
        Assert.True(k.StartTask("a", null, T0.AddSeconds(1), []).IsOk);
    }

    [Fact]
    public void A_free_chef_whose_home_station_it_is_goes_before_a_cross_trained_one()
    {
        // x's home is the bread station (their first skill) and they can also make pizza; p only makes pizza.
        var k = K(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "x", "skills": ["bread", "pizza"] }, { "id": "p", "skills": ["pizza"] }"""));
        k.Advance(T0, []);

        var output = new List<IDomainEvent>();
        Assert.True(k.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0, output).Accepted);

        Assert.Equal(["TaskStarted 1 p @0"], Only<TaskStarted>(output));
    }

    [Fact]
    public void A_chef_starting_their_next_task_takes_an_order_at_a_station_they_are_trained_for_before_prep_at_home()
    {
        // Staff work both stations. a's home is pizza, where a batch of bases (below par) waits to be
        // prepped; a customer's bread waits at the bread station, which a is trained for too. Prep is
        // low priority: the bread goes first, and the prep once nothing else is waiting.
        var k = K(TestCatalogs.Kitchen(pizzaStation: HumanPizza, breadStation: """{ "id": "bread", "mode": "human" }""",
            pizzaChefs: """{ "id": "a", "skills": ["pizza", "bread"] }""",
            components: """{ "id": "base", "prep": [ { "station": "pizza", "workSeconds": 60 } ] }""",
            stock: """{ "component": "base", "par": 1, "initial": 0 }"""));
        var prep = Do(o => { k.Advance(T0, o); return 0; });
        Queue(k, "o1", 1, "bread");

        var first = k.StartTask("a", null, T0.AddSeconds(2), []);

        var prepTask = Assert.Single(Assert.Single(prep.OfType<PrepQueued>()).Tasks).Id;
        Assert.True(first.IsOk, first.Message);
        var ticket = Assert.Single(k.Snapshot(T0.AddSeconds(2)).Stations.Single(s => s.Id == "bread").Tickets);
        Assert.Equal(("o1", "working", "a"), (ticket.OrderId, ticket.Tasks[0].Phase, ticket.Tasks[0].ChefId));
        Assert.Equal(ticket.Tasks[0].Id, first.TaskId);
        // Then the bread's bake (an order's task again), and only then the prep.
        Assert.True(k.CompleteTask(first.TaskId, first.Token, T0.AddSeconds(62), []).IsOk);
        var bake = k.StartTask("a", null, T0.AddSeconds(63), []);
        Assert.Equal(first.TaskId + 1, bake.TaskId);
        Assert.True(k.CompleteTask(bake.TaskId, bake.Token, T0.AddSeconds(73), []).IsOk);
        Assert.Equal(prepTask, k.StartTask("a", null, T0.AddSeconds(74), []).TaskId);
    }

    [Fact]
    public void An_order_that_exactly_fills_a_station_queue_is_taken_and_the_next_is_refused()
    {
        // Each pizza puts two tasks at the station; the bake waits for the topping, so one of them queues.
        var k = K(TestCatalogs.Kitchen(pizzaStation: """{ "id": "pizza", "mode": "human", "maxQueuedTasks": 2 }"""));

        Assert.True(k.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0, []).Accepted);
        var full = k.TryQueueOrder("o2", [new OrderLine("pizza", 1)], T0, []);

        Assert.False(full.Accepted);
        Assert.Contains("queue is full", full.Reason, StringComparison.Ordinal);
        Assert.True(full.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void Autoscaling_adds_chefs_while_the_wait_exceeds_its_target_and_removes_them_when_quiet_giving_reasons()
    {
        var k = K(TestCatalogs.Kitchen(
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "s1", "skills": ["pizza"], "standby": true }, { "id": "s2", "skills": ["pizza"], "standby": true }""",
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 1, "max": 3, "targetWaitSeconds": 120, "cooldownSeconds": 60 } }""",
            ovenSlots: 20));
        for (var i = 0; i < 12; i++) Queue(k, $"o{i}", 0);

        var events = Do(o => { k.Advance(T0.AddSeconds(3600), o); return 0; });

        var scaled = events.OfType<StationScaled>().ToList();
        Assert.Equal(["1->2", "2->3", "3->2", "2->1"], scaled.Select(s => $"{s.From}->{s.To}"));
        Assert.Contains("exceeds the 2m00s target", scaled[0].Reason, StringComparison.Ordinal);
        Assert.Contains("under half the 2m00s target", scaled[2].Reason, StringComparison.Ordinal);
        Assert.True(scaled[1].At - scaled[0].At >= TimeSpan.FromSeconds(60), "cooldown between scale steps");
        Assert.Equal(["s1", "s2"], events.OfType<ChefActivated>().Select(a => a.ChefId));
        Assert.Equal(2, events.OfType<ChefStoodDown>().Count());
        Assert.Equal(12, events.OfType<OrderCooked>().Count());
    }

    [Fact]
    public void A_station_does_not_scale_up_when_its_only_chef_on_the_bench_is_sick()
    {
        var k = K(TestCatalogs.Kitchen(
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "s", "skills": ["pizza"], "standby": true }""",
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 1, "max": 2, "targetWaitSeconds": 120, "cooldownSeconds": 60 } }""",
            ovenSlots: 20));
        k.Advance(T0, []);
        Assert.True(k.MarkSick("s", T0, []).IsOk);
        for (var i = 0; i < 12; i++) Queue(k, $"o{i}", 0);

        var events = Do(o => { k.Advance(T0.AddSeconds(600), o); return 0; });

        Assert.Empty(events.OfType<StationScaled>());
        Assert.Empty(events.OfType<ChefActivated>());
    }

    [Fact]
    public void The_crew_steps_up_only_a_cooldown_after_the_last_step_and_down_only_after_a_cooldown_of_quiet()
    {
        var k = K(TestCatalogs.Kitchen(
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "s1", "skills": ["pizza"], "standby": true }, { "id": "s2", "skills": ["pizza"], "standby": true }""",
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 1, "max": 3, "targetWaitSeconds": 60, "cooldownSeconds": 300 } }""",
            outletExtra: "\"maxPromiseMinutes\": 600,",
            ovenSlots: 40));
        for (var i = 0; i < 40; i++) Queue(k, $"o{i}", 0);

        var events = Do(o => { k.Advance(T0.AddSeconds(7200), o); return 0; });

        var ups = events.OfType<StationScaled>().Where(e => e.To > e.From).ToList();
        Assert.Equal(["1->2", "2->3"], ups.Select(e => $"{e.From}->{e.To}"));
        Assert.True(ups[1].At - ups[0].At >= TimeSpan.FromSeconds(300), $"second step {(ups[1].At - ups[0].At).TotalSeconds} s after the first");
        // Stepping down waits for the wait to stay under half the target for a whole cooldown.
        var downs = events.OfType<StationScaled>().Where(e => e.To < e.From).ToList();
        Assert.Equal(["3->2", "2->1"], downs.Select(e => $"{e.From}->{e.To}"));
        Assert.All(downs, d => Assert.Matches(@"under half the 1m00s target for ([5-9]m\d\ds|\d+h\d\dm)$", d.Reason));
    }

    [Fact]
    public void Scaling_down_stands_down_the_regular_paid_longest_so_far_counting_the_stretch_they_are_on_now()
    {
        // Two regulars, nothing to cook: the crew steps down from two to one after ten quiet minutes.
        // a has been paid the whole 600 s; b was off sick from 60 s to 120 s, so has been paid 540 s.
        // The one paid longest, a, goes; counting only b's finished stretch (60 s) against none for a
        // would send b, the one paid less, to the bench.
        var k = K(TestCatalogs.Kitchen(
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 1, "max": 2, "targetWaitSeconds": 120, "cooldownSeconds": 600 } }"""));
        k.Advance(T0, []);
        Assert.True(k.MarkSick("b", T0.AddSeconds(60), []).IsOk);
        Assert.True(k.MarkRecovered("b", T0.AddSeconds(120), []).IsOk);

        var events = Do(o => { k.Advance(T0.AddSeconds(900), o); return 0; });

        Assert.Equal(["StationScaled pizza 2->1"], Events(events.OfType<StationScaled>()));
        Assert.Equal("a", Assert.Single(events.OfType<ChefStoodDown>()).ChefId);
        Assert.Equal(["standby", "idle"], k.Snapshot(T0.AddSeconds(900)).Chefs.Where(c => c.Id is "a" or "b").Select(c => c.State));
    }

    [Fact]
    public void Scaling_up_calls_in_a_regular_on_the_bench_before_a_standby()
    {
        // The standby is listed first, so only the rule puts a regular ahead of them.
        var k = K(TestCatalogs.Kitchen(
            pizzaChefs: """{ "id": "s", "skills": ["pizza"], "standby": true }, { "id": "a", "skills": ["pizza"] }, { "id": "r", "skills": ["pizza"] }""",
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 1, "max": 3, "targetWaitSeconds": 120, "cooldownSeconds": 60 } }""",
            ovenSlots: 20));
        for (var i = 0; i < 12; i++) Queue(k, $"o{i}", 0);
        // A rush, then quiet: the two regulars are joined by the standby, then the crew shrinks to one.
        var rush = Do(o => { k.Advance(T0.AddSeconds(3600), o); return 0; });
        Assert.Equal(["2->3", "3->2", "2->1"], rush.OfType<StationScaled>().Select(e => $"{e.From}->{e.To}"));
        for (var i = 0; i < 12; i++) Queue(k, $"p{i}", 3600);

        var second = Do(o => { k.Advance(T0.AddSeconds(7200), o); return 0; });

        var called = second.OfType<ChefActivated>().Select(e => e.ChefId).ToList();
        Assert.Equal(2, called.Count);
        Assert.Contains(called[0], new[] { "a", "r" });
        Assert.Equal("s", called[1]);
    }

    [Fact]
    public void An_idle_station_preps_one_batch_at_a_time_until_the_shelf_is_at_par()
    {
        var k = K(TestCatalogs.Kitchen(
            components: """{ "id": "base", "batch": 1, "prep": [ { "station": "pizza", "workSeconds": 60 } ] }""",
            stock: """{ "component": "base", "par": 3, "initial": 0 }"""));

        var events = Do(o => { k.Advance(T0, o); k.Advance(T0.AddSeconds(3600), o); return 0; });

        var prep = events.Where(e => e is PrepQueued or StockPrepared).Select(e => Event(e).Split(" @")[0]).ToList();
        Assert.Equal(
            ["PrepQueued base", "StockPrepared base +1 level=1", "PrepQueued base", "StockPrepared base +1 level=2", "PrepQueued base", "StockPrepared base +1 level=3"],
            prep);
    }

    [Fact]
    public void Off_peak_prep_fills_the_shelf_and_shortens_the_peak()
    {
        const string components = """{ "id": "base", "batch": 4, "prep": [ { "station": "pizza", "workSeconds": 240 } ] }""";
        const string stretch = """{ "name": "stretch", "station": "pizza", "workSeconds": 120, "produces": "base" },""";
        double PeakMinutes(string stock, string extra, out List<IDomainEvent> events)
        {
            var k = K(TestCatalogs.Kitchen(components: components, pizzaFirstStep: stretch, stock: stock, outletExtra: extra, ovenSlots: 8));
            events = [];
            k.Advance(T0, events);
            k.Advance(T0.AddHours(1), events);                       // the quiet hour, 12:00–13:00
            var peak = T0.AddHours(1);
            for (var i = 0; i < 8; i++) k.TryQueueOrder($"p{i}", [new OrderLine("pizza", 1)], peak, events);
            k.Advance(peak.AddHours(2), events);
            return events.OfType<OrderCooked>().Average(c => (c.At - peak).TotalMinutes);
        }

        var withPrep = PeakMinutes("""{ "component": "base", "par": 8, "initial": 0 }""", "\"offPeak\": [ { \"from\": \"12:00\", \"to\": \"13:00\" } ],", out var prepped);
        var without = PeakMinutes("""{ "component": "base", "par": 0, "initial": 0 }""", "", out _);

        Assert.Equal(2, prepped.OfType<StockPrepared>().Count(p => p.At < T0.AddHours(1)));
        Assert.Equal(8, prepped.OfType<StockUsed>().Count());
        Assert.True(withPrep < without - 2, $"peak wait {withPrep:0.0} min with prep vs {without:0.0} min without");
    }

    [Fact]
    public void A_faster_chef_and_a_bigger_oven_change_only_the_numbers()
    {
        static double Cooked(string chefs, int slots)
        {
            var k = K(TestCatalogs.Kitchen(pizzaChefs: chefs, ovenSlots: slots));
            for (var i = 0; i < 4; i++) Queue(k, $"o{i}", 0);
            var events = new List<IDomainEvent>();
            k.Advance(T0.AddHours(2), events);
            return events.OfType<OrderCooked>().Max(c => (c.At - T0).TotalSeconds);
        }

        var baseline = Cooked("""{ "id": "a", "skills": ["pizza"] }""", 1);
        var fasterChef = Cooked("""{ "id": "a", "skills": ["pizza"], "speed": 2 }""", 1);
        var biggerOven = Cooked("""{ "id": "a", "skills": ["pizza"] }""", 4);

        Assert.Equal(1300, baseline);     // one slot, held 310 s per bake (10 s loading + 300 s baking), first bake at 60
        Assert.Equal(1250, fasterChef);   // twice the speed: first bake at 30, 5 s loading; the oven stays the bottleneck
        Assert.Equal(580, biggerOven);    // four slots: the last bake is loaded at 270–280 and comes out at 580
    }

    [Fact]
    public void A_catalog_chef_too_slow_for_the_kitchen_clock_is_a_catalog_problem_not_a_kitchen_that_fails_on_its_first_order()
    {
        var e = Assert.Throws<Brigade.Catalog.CatalogException>(() => TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"], "speed": 1e-12 }"""));

        Assert.Contains("speed: must be in [0.01, 10]", e.Message, StringComparison.Ordinal);
        // The slowest chef allowed still cooks, and is promised no sooner than it can.
        var k = K(TestCatalogs.Kitchen(pizzaChefs: """{ "id": "a", "skills": ["pizza"], "speed": 0.01 }""", outletExtra: "\"maxPromiseMinutes\": 1440,"));
        var admission = k.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0, []);
        Assert.True(admission.Accepted, admission.Reason);
        Assert.Equal(T0.AddSeconds(7000 + 300), admission.EstimatedReadyAt);
        var events = new List<IDomainEvent>();
        k.Advance(T0.AddHours(3), events);
        Assert.Contains("OrderCooked o1 @7300", Events(events));
    }

    [Theory]
    [InlineData(6, false)]   // a pizza takes 6m10s in an empty kitchen: top 60 s, bake 10 s, oven 300 s
    [InlineData(7, true)]
    public void An_order_is_taken_only_if_it_would_be_ready_within_the_promise(int promiseMinutes, bool taken)
    {
        var k = K(TestCatalogs.Kitchen(outletExtra: $"\"maxPromiseMinutes\": {promiseMinutes},"));

        var admission = k.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0, []);

        Assert.Equal(taken, admission.Accepted);
        // Even an empty kitchen overruns the promise: no wait helps, so no retry (another outlet may take it).
        if (!taken) Assert.Equal((TimeSpan.Zero, "it needs 6m10s even in an idle kitchen, beyond the 6m00s promise"), (admission.RetryAfter, admission.Reason));
    }

    [Fact]
    public void A_full_outlet_refuses_with_a_retry_time_and_its_queues_stay_bounded()
    {
        var k = K(TestCatalogs.Kitchen(outletExtra: "\"maxPromiseMinutes\": 20,", pizzaStation: """{ "id": "pizza", "maxQueuedTasks": 40 }"""));
        var accepted = 0;
        Admission? refusal = null;
        for (var i = 0; i < 10_000; i++)
        {
            var output = new List<IDomainEvent>();
            var a = k.TryQueueOrder($"o{i}", [new OrderLine("pizza", 1)], T0, output);
            if (a.Accepted) accepted++;
            else
            {
                refusal ??= a;
                Assert.Empty(output); // a refused order leaves no trace
            }
        }

        Assert.InRange(accepted, 5, 40);
        Assert.Equal(accepted, k.OpenOrders);
        Assert.NotNull(refusal);
        Assert.True(refusal.RetryAfter > TimeSpan.Zero);
        Assert.Contains("promise", refusal.Reason, StringComparison.Ordinal);
    }
}
