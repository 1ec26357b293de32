using Brigade.Engine;
using Brigade.Orders;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Orders;

/// <summary>Orders that wait for a payment: authorised, declined, of the wrong amount, or never in time.</summary>
public class PaymentDecisionTests
{
    private static PlaceOrder Paid(string id) =>
        new(id, "corner-coffee", "coffee-central", [new OrderLine("espresso", 1)], null, "ann", id, id, RequiresPayment: true);

    /// <summary>The engine started at T0 with these orders placed, each waiting for its payment.</summary>
    private static (BrigadeEngine Engine, List<IDomainEvent> Log) Started(BrigadeEngine engine, params string[] orders)
    {
        var log = new List<IDomainEvent>();
        engine.Advance(T0, log);
        foreach (var id in orders) engine.PlaceOrder(Paid(id), T0, log);
        return (engine, log);
    }

    [Fact]
    public void An_order_whose_payment_is_not_authorised_in_time_is_cancelled_and_a_paid_one_is_not()
    {
        var (engine, log) = Started(new BrigadeEngine(TestCatalogs.Demo, new EngineOptions { PaymentTimeout = TimeSpan.FromMinutes(15) }), "unpaid", "paid");
        engine.AuthorizePayment("paid", "pay-1", engine.Orders["paid"].TotalCents, T0.AddMinutes(5), log);

        engine.Advance(T0.AddMinutes(14), log);
        Assert.Equal(OrderStatus.Placed, engine.Orders["unpaid"].Status);

        engine.Advance(T0.AddMinutes(15), log);
        var cancelled = Assert.Single(log.OfType<OrderCancelled>());
        Assert.Equal(("unpaid", "system", T0.AddMinutes(15)), (cancelled.OrderId, cancelled.By, cancelled.At));
        Assert.Contains("not authorised within 15 minutes", cancelled.Reason, StringComparison.Ordinal);
        Assert.NotEqual(OrderStatus.Cancelled, engine.Orders["paid"].Status);

        // A late authorisation finds the order cancelled.
        Assert.Equal(Outcome.Conflict, engine.AuthorizePayment("unpaid", "pay-2", 250, T0.AddMinutes(16), log).Outcome);
    }

    [Fact]
    public void A_payment_for_another_amount_is_refused_and_the_order_still_waits_for_the_right_one()
    {
        var (engine, log) = Started(new BrigadeEngine(TestCatalogs.Demo), "o1");
        var price = engine.Orders["o1"].TotalCents;
        var before = log.Count;

        var wrong = engine.AuthorizePayment("o1", "pay-1", price - 1, T0.AddMinutes(1), log);

        Assert.Equal(Outcome.Invalid, wrong.Outcome);
        Assert.Equal(before, log.Count);
        Assert.Equal((OrderStatus.Placed, Brigade.Payments.PaymentStatus.Pending), (engine.Orders["o1"].Status, engine.Orders["o1"].Payment));
        Assert.Equal(Outcome.Ok, engine.AuthorizePayment("o1", "pay-2", price, T0.AddMinutes(2), log).Outcome);
        Assert.Equal(Brigade.Payments.PaymentStatus.Authorized, engine.Orders["o1"].Payment);
        Assert.NotEqual(OrderStatus.Placed, engine.Orders["o1"].Status);
    }

    [Fact]
    public void A_payment_authorised_after_the_requested_outlet_was_paused_rejects_the_order_instead_of_queueing_it_there()
    {
        var (engine, log) = Started(new BrigadeEngine(TestCatalogs.Demo), "o1");
        Assert.True(engine.PauseOutlet("coffee-central", "staff", "machine descaling", moveQueued: false, T0.AddMinutes(1), log).IsOk);

        var paid = engine.AuthorizePayment("o1", "pay-1", engine.Orders["o1"].TotalCents, T0.AddMinutes(2), log);

        Assert.Equal(Outcome.Ok, paid.Outcome);
        Assert.Equal(OrderStatus.Rejected, engine.Orders["o1"].Status);
        Assert.DoesNotContain(log, e => e is Brigade.Kitchen.OrderQueued { OrderId: "o1" });
    }

    [Fact]
    public void A_replayed_log_expires_the_same_unpaid_order()
    {
        var (_, log) = Started(new BrigadeEngine(TestCatalogs.Demo), "unpaid");

        var replayed = new BrigadeEngine(TestCatalogs.Demo);
        foreach (var e in log) replayed.Apply(e);
        var after = new List<IDomainEvent>();
        replayed.Advance(T0.AddMinutes(20), after);
        Assert.Single(after.OfType<OrderCancelled>(), c => c.OrderId == "unpaid");
    }
}
