using System.Text;
using System.Text.Json.Nodes;
using Brigade.Catalog;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Tests.Support;
using static Brigade.Tests.Support.Describe;
using static Brigade.Tests.Support.KitchenSteps;

namespace Brigade.Tests.Kitchen;

/// <summary>
/// A kitchen rebuilt from its log, as the server does after a restart, against the live kitchen
/// that wrote the log: from the same instant on, both must report and decide the same.
/// </summary>
public class KitchenReplayTests
{
    private static KitchenEngine Rebuild(RestaurantCatalog catalog, IEnumerable<IDomainEvent> log)
    {
        var k = K(catalog);
        foreach (var e in log) k.Apply((IKitchenEvent)e);
        return k;
    }

    /// <summary>Run the kitchen up to <paramref name="toSeconds"/> as the server does, a few seconds at a time.</summary>
    private static void Run(KitchenEngine k, double fromSeconds, double toSeconds, List<IDomainEvent> log)
    {
        for (var s = fromSeconds; s <= toSeconds; s += 5) k.Advance(T0.AddSeconds(s), log);
    }

    private static List<(string Id, double PaidSeconds, double BusySeconds)> Pay(KitchenEngine k, double atSeconds) =>
        k.Snapshot(T0.AddSeconds(atSeconds)).Chefs.Select(c => (c.Id, Math.Round(c.PaidHours * 3600, 3), Math.Round(c.BusyHours * 3600, 3))).ToList();

    /// <summary>
    /// Human pizza (and, if asked, bread) stations, a 60 s lease with one attempt, and pizza bases on
    /// the shelf that skip the pizza's first step (stretching one takes 120 s).
    /// </summary>
    private static RestaurantCatalog BasesOnTheShelf(int initial, bool humanBread = false) => TestCatalogs.Kitchen(
        pizzaStation: """{ "id": "pizza", "mode": "human" }""",
        breadStation: humanBread ? """{ "id": "bread", "mode": "human" }""" : """{ "id": "bread" }""",
        outletExtra: "\"leaseSeconds\": 60, \"maxAttempts\": 1,",
        components: """{ "id": "base", "prep": [ { "station": "pizza", "workSeconds": 120 } ] }""",
        stock: $$"""{ "component": "base", "par": 0, "initial": {{initial}} }""",
        pizzaFirstStep: """{ "name": "stretch", "station": "pizza", "workSeconds": 120, "produces": "base" },""");

    [Fact]
    public void A_kitchen_rebuilt_from_its_log_reports_the_paid_hours_the_live_one_did()
    {
        // The kitchen opens at T0 and nothing happens there for ten minutes: no event is written
        // until the first order comes in. Its chefs are paid from the opening all the same.
        var catalog = TestCatalogs.Kitchen();
        var live = K(catalog);
        var log = new List<IDomainEvent>();
        live.Advance(T0, log);
        Run(live, 5, 600, log);
        var queued = new List<IDomainEvent>();
        Assert.True(live.TryQueueOrder("o1", [new OrderLine("pizza", 1)], T0.AddSeconds(600), queued).Accepted);
        log.AddRange(queued);
        Run(live, 605, 1200, log);

        var rebuilt = Rebuild(catalog, log);

        Assert.Equal(1200, Pay(live, 1200).Single(c => c.Id == "a").PaidSeconds);
        Assert.Equal(Pay(live, 1200), Pay(rebuilt, 1200));
        Assert.Equal(Pay(live, 5000), Pay(rebuilt, 5000));
    }

    [Fact]
    public void A_kitchen_rebuilt_in_a_quiet_spell_scales_its_crew_down_when_the_live_one_would_have()
    {
        // A rush brings the standby in; once the queue is worked off the station is quiet, and after
        // a cooldown of quiet the crew steps down again. The server restarts in the quiet spell.
        var catalog = TestCatalogs.Kitchen(
            pizzaChefs: """{ "id": "a", "skills": ["pizza"] }, { "id": "s", "skills": ["pizza"], "standby": true }""",
            pizzaStation: """{ "id": "pizza", "autoscale": { "min": 1, "max": 2, "targetWaitSeconds": 120, "cooldownSeconds": 300 } }""",
            ovenSlots: 20);
        var live = K(catalog);
        var log = new List<IDomainEvent>();
        live.Advance(T0, log);
        for (var i = 0; i < 12; i++)
        {
            var queued = new List<IDomainEvent>();
            Assert.True(live.TryQueueOrder($"o{i}", [new OrderLine("pizza", 1)], T0, queued).Accepted);
            log.AddRange(queued);
        }
        const double restart = 500;
        Run(live, 5, restart, log);
        Assert.Equal(["StationScaled pizza 1->2"], Only<StationScaled>(log));
        Assert.True(live.ProjectedWait("pizza") == TimeSpan.Zero, "the station is quiet when the server restarts");

        var rebuilt = Rebuild(catalog, log);
        var liveAfter = new List<IDomainEvent>();
        var rebuiltAfter = new List<IDomainEvent>();
        Run(live, restart + 5, 3600, liveAfter);
        Run(rebuilt, restart + 5, 3600, rebuiltAfter);

        Assert.Equal(["StationScaled pizza 2->1"], Only<StationScaled>(liveAfter));
        Assert.Equal(Events(liveAfter), Events(rebuiltAfter));
        Assert.Equal(Pay(live, 3600), Pay(rebuilt, 3600));
    }

    [Fact]
    public void A_failed_order_puts_the_stock_it_took_but_never_used_back_on_the_shelf()
    {
        // Two pizzas, both with a base from the shelf. Chef a starts topping the first, which uses its
        // base; nobody has started the second. a's lease runs out on the last attempt and the order
        // fails: the first base is spoiled, the second goes back.
        var catalog = BasesOnTheShelf(2);
        var live = K(catalog);
        var log = new List<IDomainEvent>();
        live.Advance(T0, log);
        Assert.True(live.TryQueueOrder("o1", [new OrderLine("pizza", 2)], T0, log).Accepted);
        Assert.Equal(["StockUsed base level=1", "StockUsed base level=0"], Only<StockUsed>(log));
        var started = live.StartTask("a", null, T0.AddSeconds(1), log);
        Assert.True(started.IsOk, started.Message);

        var failed = new List<IDomainEvent>();
        live.Advance(T0.AddSeconds(70), failed);
        log.AddRange(failed);

        Assert.Single(failed.OfType<OrderCookingFailed>());
        Assert.Equal(["StockReturned base level=1"], Only<StockReturned>(failed));
        Assert.Equal(1, live.StockLevel("base"));
        Assert.Equal(1, Rebuild(catalog, log).StockLevel("base"));
    }

    [Fact]
    public void A_failed_order_that_never_started_the_steps_after_its_stock_puts_all_of_it_back()
    {
        // The order fails at a step of its own (the bread's knead, at another station) while the
        // pizza, whose base came from the shelf, has not been started: the base goes back.
        var catalog = BasesOnTheShelf(1, humanBread: true);
        var live = K(catalog);
        var log = new List<IDomainEvent>();
        live.Advance(T0, log);
        Assert.True(live.TryQueueOrder("o1", [new OrderLine("pizza", 1), new OrderLine("bread", 1)], T0, log).Accepted);
        Assert.True(live.StartTask("c", null, T0.AddSeconds(1), log).IsOk);

        live.Advance(T0.AddSeconds(70), log);

        Assert.Single(log.OfType<OrderCookingFailed>());
        Assert.Equal(["StockReturned base level=1"], Only<StockReturned>(log));
        Assert.Equal(1, Rebuild(catalog, log).StockLevel("base"));
        // The next pizza takes the base back off the shelf.
        var next = new List<IDomainEvent>();
        Assert.True(live.TryQueueOrder("o2", [new OrderLine("pizza", 1)], T0.AddSeconds(80), next).Accepted);
        Assert.Equal(["StockUsed base level=0"], Only<StockUsed>(next));
    }

    [Fact]
    public void An_older_log_without_the_kitchens_start_or_the_task_taking_its_stock_still_replays()
    {
        // A log written before either was recorded: no KitchenStarted, and StockUsed without takenBy.
        var catalog = BasesOnTheShelf(2);
        var written = new List<IDomainEvent>();
        var live = K(catalog);
        live.Advance(T0, written);
        Assert.True(live.TryQueueOrder("o1", [new OrderLine("pizza", 2)], T0.AddSeconds(30), written).Accepted);
        var older = written.Where(e => e is not KitchenStarted).Select(e =>
        {
            var record = EventSerializer.ToWrite(e);
            var json = JsonNode.Parse(record.Data)!.AsObject();
            json.Remove("takenBy");
            return EventSerializer.Deserialize(record.Type, Encoding.UTF8.GetBytes(json.ToJsonString()));
        }).ToList();

        var rebuilt = Rebuild(catalog, older);

        Assert.All(older.OfType<StockUsed>(), u => Assert.Null(u.TakenBy));
        Assert.Equal(0, rebuilt.StockLevel("base"));
        // Such a kitchen's clock starts at its first event.
        Assert.Equal(570, Pay(rebuilt, 600).Single(c => c.Id == "a").PaidSeconds);
        // Nothing tells which of its bases a started step has worked on: none goes back when the order fails.
        Assert.True(rebuilt.StartTask("a", null, T0.AddSeconds(31), []).IsOk);
        var failed = new List<IDomainEvent>();
        rebuilt.Advance(T0.AddSeconds(100), failed);
        Assert.Single(failed.OfType<OrderCookingFailed>());
        Assert.Empty(failed.OfType<StockReturned>());
    }
}
