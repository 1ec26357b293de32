using Brigade.Delivery;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Simulation;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Simulation;

/// <summary>The checker must be able to fail: each invariant, broken on purpose.</summary>
public class InvariantCheckerTests
{
    private static InvariantResult Check(string name, params IDomainEvent[] events)
    {
        var checker = new InvariantChecker(TestCatalogs.Demo);
        foreach (var e in events) checker.Observe(e);
        return checker.Finish().Single(r => r.Name == name);
    }

    private static OrderPlaced Placed(string id) => new(id, "pizza-parlor", null, [new OrderLine("margherita", 1)], null, "c", 0, null, id, id, T0);

    [Fact]
    public void An_order_that_never_finishes_or_finishes_twice_breaks_the_terminal_invariant()
    {
        var never = Check(InvariantChecker.TerminalOnce, Placed("o1"));
        Assert.False(never.Holds);
        Assert.Contains("o1 never reached a terminal state", never.Examples);

        var twice = Check(InvariantChecker.TerminalOnce, Placed("o2"), new OrderCollected("o2", T0), new OrderCancelled("o2", "x", "y", T0));
        Assert.False(twice.Holds);

        Assert.True(Check(InvariantChecker.TerminalOnce, Placed("o3"), new OrderCollected("o3", T0)).Holds);
    }

    [Fact]
    public void Examples_give_the_outlets_local_time_not_utc()
    {
        // The demo catalog is in Berlin: 12:00 UTC on 20 November is 13:00 there.
        var twice = Check(InvariantChecker.TerminalOnce, Placed("o2"), new OrderCollected("o2", T0), new OrderCancelled("o2", "x", "y", T0));
        Assert.Contains("o2 reached a terminal state again (OrderCancelled at 13:00:00)", twice.Examples);

        var tasks = Enumerable.Range(1, 7).Select(i => new QueuedTask(i, "pizza", "margherita", 0, 2, "bake", 15, "oven", 420, false, 0)).ToList();
        var events = new List<IDomainEvent> { new OrderQueued("pizza-north", "o1", 1, tasks, T0, T0) };
        events.AddRange(tasks.Select(t => new TaskStarted("pizza-north", t.Id, "o1", "marco", 0, t.Id, T0, T0)));
        var over = Check(InvariantChecker.EquipmentCapacity, [.. events]);
        Assert.Contains(over.Examples, e => e.Contains("held 7 items at 13:00:00", StringComparison.Ordinal));
    }

    [Fact]
    public void An_order_with_two_couriers_breaks_the_booking_invariant()
    {
        var result = Check(InvariantChecker.NoDoubleBooking,
            new CourierAssigned("o1", "a", "ofr-1", T0, T0, T0),
            new CourierAssigned("o1", "b", "ofr-2", T0, T0, T0));
        Assert.False(result.Holds);
        Assert.Contains(result.Examples, e => e.Contains("already with a", StringComparison.Ordinal));
    }

    [Fact]
    public void More_items_on_an_oven_than_its_slots_break_the_capacity_invariant()
    {
        // pizza-north has one oven with 6 slots: a seventh pizza on it is one too many.
        var tasks = Enumerable.Range(1, 7).Select(i => new QueuedTask(i, "pizza", "margherita", 0, 2, "bake", 15, "oven", 420, false, 0)).ToList();
        var events = new List<IDomainEvent> { new OrderQueued("pizza-north", "o1", 1, tasks, T0, T0) };
        events.AddRange(tasks.Select(t => new TaskStarted("pizza-north", t.Id, "o1", "marco", 0, t.Id, T0, T0)));
        var over = Check(InvariantChecker.EquipmentCapacity, [.. events]);
        Assert.False(over.Holds);
        Assert.Equal(1, over.Violations);

        // Six, then one done and another started: within capacity.
        var ok = new List<IDomainEvent> { events[0] };
        ok.AddRange(events.Skip(1).Take(6));
        ok.Add(new TaskCompleted("pizza-north", 1, "o1", 1, T0));
        ok.Add(events[7]);
        Assert.True(Check(InvariantChecker.EquipmentCapacity, [.. ok]).Holds);
    }
}
