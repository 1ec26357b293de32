using Brigade.Orders;

namespace Brigade.Tests.Orders;

public class IdempotencyGateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Requests_racing_the_owner_wait_for_it_and_replay_its_order()
    {
        var gate = new IdempotencyGate();
        var owner = await gate.EnterAsync("c", "k", "h");
        Assert.Equal(IdempotencyGate.GateOutcome.Owner, owner.Outcome);

        var racers = Enumerable.Range(0, 8).Select(_ => gate.EnterAsync("c", "k", "h")).ToList();
        await Task.Delay(20);
        Assert.All(racers, r => Assert.False(r.IsCompleted));

        owner.Claim!.Complete("order-1");
        foreach (var r in await Task.WhenAll(racers))
        {
            Assert.Equal(IdempotencyGate.GateOutcome.Replay, r.Outcome);
            Assert.Equal("order-1", r.OrderId);
        }
        var later = await gate.EnterAsync("c", "k", "h");
        Assert.Equal(("order-1", IdempotencyGate.GateOutcome.Replay), (later.OrderId, later.Outcome));
    }

    [Fact]
    public async Task An_owner_that_places_nothing_frees_the_key_for_the_request_waiting_on_it()
    {
        var gate = new IdempotencyGate();
        var owner = await gate.EnterAsync("c", "k", "h");
        var racer = gate.EnterAsync("c", "k", "h");

        owner.Claim!.Complete(null);

        var next = await racer;
        Assert.Equal(IdempotencyGate.GateOutcome.Owner, next.Outcome);
        next.Claim!.Complete("order-2");
        Assert.Equal("order-2", (await gate.EnterAsync("c", "k", "h")).OrderId);
    }

    [Fact]
    public async Task The_same_key_with_another_request_is_a_mismatch_even_while_the_owner_works()
    {
        var gate = new IdempotencyGate();
        var owner = await gate.EnterAsync("c", "k", "h");

        Assert.Equal(IdempotencyGate.GateOutcome.Mismatch, (await gate.EnterAsync("c", "k", "other")).Outcome);
        owner.Claim!.Complete("order-1");
        Assert.Equal(IdempotencyGate.GateOutcome.Mismatch, (await gate.EnterAsync("c", "k", "other")).Outcome);
        Assert.Equal(IdempotencyGate.GateOutcome.Owner, (await gate.EnterAsync("another-customer", "k", "other")).Outcome);
    }

    [Fact]
    public async Task Keys_of_customers_whose_ids_and_keys_join_to_the_same_text_stay_apart()
    {
        var gate = new IdempotencyGate();
        var first = await gate.EnterAsync("a\nb", "c", "h");
        first.Claim!.Complete("order-1");

        var second = await gate.EnterAsync("a", "b\nc", "h");

        Assert.Equal(IdempotencyGate.GateOutcome.Owner, second.Outcome);
        Assert.Equal(2, gate.Count);
    }

    [Fact]
    public async Task Remembered_keys_replay_and_are_swept_only_once_older_than_the_cutoff()
    {
        var gate = new IdempotencyGate();
        gate.Remember("c", "old", "h", "order-old", T0);
        gate.Remember("c", "new", "h", "order-new", T0.AddHours(2));
        var pending = await gate.EnterAsync("c", "pending", "h");

        Assert.Equal("order-old", (await gate.EnterAsync("c", "old", "h")).OrderId);
        Assert.Equal(1, gate.Sweep(T0.AddHours(1)));
        Assert.Equal(IdempotencyGate.GateOutcome.Owner, (await gate.EnterAsync("c", "old", "h")).Outcome);
        Assert.Equal("order-new", (await gate.EnterAsync("c", "new", "h")).OrderId);
        // Keys still being worked on ("pending", and "old" taken again) are never swept, whatever their age.
        Assert.Equal(1, gate.Sweep(DateTimeOffset.MaxValue.AddDays(-1)));
        Assert.Equal(2, gate.Count);
        pending.Claim!.Complete("order-p");
    }
}
