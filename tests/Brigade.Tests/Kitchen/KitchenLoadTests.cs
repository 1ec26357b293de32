using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Kitchen;

/// <summary>What gauges, alerts and displays read from a kitchen, checked against the kitchen's own events.</summary>
public class KitchenLoadTests
{
    private static readonly Brigade.Catalog.RestaurantCatalog Catalog = TestCatalogs.Kitchen(
        pizzaStation: """{ "id": "pizza", "maxQueuedTasks": 100000 }""",
        breadStation: """{ "id": "bread", "maxQueuedTasks": 100000 }""",
        outletExtra: "\"maxPromiseMinutes\": 100000, \"offPeak\": [ { \"from\": \"12:00\", \"to\": \"12:30\" } ],",
        components: """{ "id": "base", "batch": 2, "prep": [ { "station": "pizza", "workSeconds": 90 }, { "station": "bread", "workSeconds": 30 } ] }""",
        stock: """{ "component": "base", "par": 6, "initial": 0 }""",
        pizzaFirstStep: """{ "name": "stretch", "station": "pizza", "workSeconds": 120, "produces": "base" },""");

    [Fact]
    public void A_station_lists_its_oldest_tickets_and_counts_the_rest()
    {
        var k = new KitchenEngine(TestCatalogs.Kitchen(breadStation: """{ "id": "bread", "maxQueuedTasks": 100000 }""",
            outletExtra: "\"maxPromiseMinutes\": 100000,").FindOutlet("k")!);
        var output = new List<IDomainEvent>();
        var extra = 50;
        for (var i = 1; i <= KitchenEngine.TicketsShown + extra; i++)
            Assert.True(k.TryQueueOrder($"o{i}", [new OrderLine("bread", 1)], T0.AddSeconds(i), output).Accepted);

        var bread = k.Snapshot(T0.AddSeconds(1000)).Stations.Single(s => s.Id == "bread");

        Assert.Equal(KitchenEngine.TicketsShown + extra, bread.OpenTickets);
        Assert.Equal(Enumerable.Range(1, KitchenEngine.TicketsShown).Select(i => $"o{i}"), bread.Tickets.Select(t => t.OrderId));
        Assert.Equal(999, bread.Tickets[0].AgeSeconds, 6);
    }

    [Fact]
    public void Station_loads_and_the_display_agree_with_the_tickets_the_events_leave_open()
    {
        var k = new KitchenEngine(Catalog.FindOutlet("k")!);
        var events = new List<IDomainEvent>();
        var random = new Random(11);
        k.Advance(T0, events);
        k.Advance(T0.AddMinutes(20), events);   // off-peak: prep batches of bases queue at both stations
        var at = T0.AddMinutes(20);
        for (var i = 0; i < 120; i++)
        {
            at = at.AddSeconds(random.Next(1, 40));
            k.Advance(at, events);
            var lines = new List<OrderLine> { new(random.Next(3) switch { 0 => "pizza", 1 => "bread", _ => "coffee" }, random.Next(1, 3)) };
            if (random.Next(3) == 0) lines.Add(new OrderLine("bread", 1));
            Assert.True(k.TryQueueOrder($"o{i}", lines, at, events).Accepted);
        }
        var now = at.AddSeconds(30);
        k.Advance(now, events);

        var expected = OpenTicketsFrom(events, now);
        Assert.Contains(expected, t => t.IsPrep);
        var view = k.Snapshot(now);
        var loads = k.StationLoads(now);
        foreach (var station in view.Stations)
        {
            var open = expected.Where(t => t.Station == station.Id).OrderBy(t => t.Seq).ToList();
            var load = Assert.Single(loads, l => l.StationId == station.Id);
            Assert.Equal(open.Count, station.OpenTickets);
            Assert.Equal(open.Count, load.OpenTickets);
            Assert.Equal(station.QueuedTasks, load.QueuedTasks);
            Assert.Equal(open.Select(t => (t.Seq, t.AgeSeconds)), station.Tickets.Select(t => (t.Seq, t.AgeSeconds)));
            var ages = open.Select(t => t.AgeSeconds).Order().ToArray();
            Assert.Equal(ages.Length == 0 ? 0 : ages[(int)Math.Ceiling(0.9 * ages.Length) - 1], load.WaitP90Seconds, 6);
        }
        Assert.Contains(loads, l => l.OpenTickets > 10);
        Assert.Equal(loads, k.StationLoads(now));   // sampling again (reusing its scratch space) sees the same
    }

    private sealed record Ticket(string Station, long Seq, bool IsPrep, double AgeSeconds);

    /// <summary>
    /// The open tickets, folded from events alone: a ticket is an owner's unfinished tasks at one
    /// station. An order's ticket is as old as the order's queueing; a prep batch's as its oldest
    /// open task there, which joined the queue when the step before it completed.
    /// </summary>
    private static List<Ticket> OpenTicketsFrom(List<IDomainEvent> events, DateTimeOffset now)
    {
        var tasks = new Dictionary<long, (string Station, long Seq, bool IsPrep, long After, DateTimeOffset QueuedAt)>();
        var completed = new Dictionary<long, DateTimeOffset>();
        foreach (var e in events)
        {
            switch (e)
            {
                case OrderQueued q:
                    foreach (var t in q.Tasks) tasks[t.Id] = (t.Station, q.Seq, false, t.After, q.At);
                    break;
                case PrepQueued p:
                    foreach (var t in p.Tasks) tasks[t.Id] = (t.Station, p.Seq, true, t.After, p.At);
                    break;
                case TaskCompleted c:
                    completed[c.TaskId] = c.At;
                    break;
            }
        }
        return tasks.Where(t => !completed.ContainsKey(t.Key))
            .GroupBy(t => (t.Value.Station, t.Value.Seq, t.Value.IsPrep))
            .Select(g =>
            {
                var queuedAt = g.Key.IsPrep
                    ? g.Min(t => t.Value.After != 0 && completed.TryGetValue(t.Value.After, out var done) ? done : t.Value.QueuedAt)
                    : g.First().Value.QueuedAt;
                return new Ticket(g.Key.Station, g.Key.Seq, g.Key.IsPrep, (now - queuedAt).TotalSeconds);
            })
            .ToList();
    }

    [Fact]
    public void Selecting_the_nth_value_matches_sorting()
    {
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(-50, 50).Select(v => (long)v)).Where(a => a.Length > 0).ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (values, pick) =>
        {
            var k = pick % values.Length;
            var sorted = values.Order().ToArray();
            return Selection.Nth(values.ToArray(), k) == sorted[k];
        }).QuickCheckThrowOnFailure();
    }
}
