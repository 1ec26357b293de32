using Brigade.Simulation;
using System.Globalization;
using Brigade.Delivery;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;
using Brigade.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Delivery;

/// <summary>
/// Randomised schedules: simulated couriers who decline at random, human couriers who accept,
/// decline, ignore, collect, deliver and go off shift at random, orders arriving at random. Whatever
/// happens, a courier never holds two conflicting assignments and an order never has two couriers.
/// </summary>
public class DispatchInvariantTests
{
    [Fact]
    public void No_courier_holds_two_conflicting_jobs_and_no_order_has_two_couriers()
    {
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var log = RunDay(seed, out var engine);
            var problems = CheckInvariants(log);
            return problems.Count == 0 ? true.Label("ok") : false.Label($"seed {seed}: {string.Join("; ", problems.Take(3))}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), property);
    }

    [Fact]
    public void The_invariant_checker_catches_an_order_with_two_couriers()
    {
        // The checker itself must be able to fail.
        var at = T0;
        var bad = new List<IDomainEvent>
        {
            new OfferMade("a", "ofr-1", ["o1"], "k", at, at, at, at, [at]),
            new OfferAccepted("a", "ofr-1", at),
            new CourierAssigned("o1", "a", "ofr-1", at, at, at),
            new OfferMade("b", "ofr-2", ["o1"], "k", at, at, at, at, [at]),
            new OfferAccepted("b", "ofr-2", at),
            new CourierAssigned("o1", "b", "ofr-2", at, at, at),
        };
        var problems = CheckInvariants(bad);
        Assert.Contains(problems, p => p.Contains("o1", StringComparison.Ordinal) && p.Contains("already", StringComparison.Ordinal));
    }

    private static List<IDomainEvent> RunDay(int seed, out BrigadeEngine engine)
    {
        var rng = new Random(seed);
        var simulated = rng.Next(0, 5);
        var decline = (rng.Next(0, 6) / 10.0).ToString(CultureInfo.InvariantCulture);
        engine = new BrigadeEngine(TestCatalogs.Kitchen(ovenUnits: 2, ovenSlots: 6, outletExtra: "\"maxPromiseMinutes\": 90,", fleet: $$"""
            { "simulatedCouriers": {{simulated}}, "simulatedDeclineRate": {{decline}}, "roundSeconds": 10, "offerSeconds": 30,
              "staleSeconds": 3600, "maxBundleSize": {{rng.Next(1, 4)}}, "radiusKm": 2 }
            """));
        var log = new List<IDomainEvent>();
        var humans = Enumerable.Range(0, rng.Next(1, 4)).Select(i => $"h{i}").ToList();
        // How quickly each human answers: some are sleepy enough to let offers expire.
        var responsive = humans.ToDictionary(h => h, _ => rng.NextDouble());
        var now = T0;
        engine.Advance(now, log);
        foreach (var h in humans) engine.AtDelivery(now, log, (d, o) => d.StartShift(h, h, 52.52 + rng.NextDouble() / 100, 13.40 + rng.NextDouble() / 100, now, o));

        var orders = 0;
        for (var step = 0; step < 720; step++)
        {
            now = now.AddSeconds(5);
            engine.Advance(now, log);
            if (rng.NextDouble() < 0.06)
            {
                var to = new GeoPoint(52.50 + rng.NextDouble() * 0.04, 13.38 + rng.NextDouble() * 0.05);
                var id = $"o{orders++}";
                engine.PlaceOrder(new PlaceOrder(id, "r", "k", [new OrderLine("pizza", rng.Next(1, 3))], to, "c", id, "h", "1234"), now, log);
            }
            foreach (var h in humans)
            {
                var c = engine.Delivery.CourierOf(h, now);
                if (c is null) continue;
                var roll = rng.NextDouble();
                if (!c.OnShift)
                {
                    if (roll < 0.05) engine.AtDelivery(now, log, (d, o) => d.StartShift(h, h, 52.52, 13.40, now, o));
                    continue;
                }
                if (c.Offer is { } offer)
                {
                    if (roll < 0.5 * responsive[h]) engine.AtDelivery(now, log, (d, o) => d.AcceptOffer(h, offer.Id, now, o));
                    else if (roll < 0.7 * responsive[h]) engine.AtDelivery(now, log, (d, o) => d.DeclineOffer(h, offer.Id, now, o));
                    // else: ignore it, and let it expire
                }
                else if (c.Orders.Count > 0)
                {
                    var orderId = c.Orders[rng.Next(c.Orders.Count)];
                    if (roll < 0.3) engine.AtDelivery(now, log, (d, o) => d.PickUp(h, orderId, now, o));
                    else if (roll < 0.6) engine.AtDelivery(now, log, (d, o) => d.Deliver(h, orderId, "1234", now, o));
                    else if (roll < 0.62) engine.AtDelivery(now, log, (d, o) => d.EndShift(h, now, o)); // refused while carrying food
                }
                else if (roll < 0.03)
                {
                    engine.AtDelivery(now, log, (d, o) => d.EndShift(h, now, o));
                }
            }
        }
        return log;
    }

    /// <summary>Replays the log through the simulator's invariant checker and lists every violation of the dispatch invariants.</summary>
    private static List<string> CheckInvariants(IReadOnlyList<IDomainEvent> log)
    {
        var checker = new InvariantChecker(TestCatalogs.Demo);
        foreach (var e in log) checker.Observe(e);
        var result = checker.Finish().Single(r => r.Name == InvariantChecker.NoDoubleBooking);
        return result.Holds ? [] : [.. result.Examples];
    }
}
