using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;

namespace Brigade.Simulation;

/// <summary>
/// A discrete-event simulation of the real engine: the same <see cref="BrigadeEngine"/> the server
/// runs (router, kitchens, dispatch and simulated couriers), driven by a virtual clock that jumps
/// from one due instant to the next. Its inputs come from an agenda: customers arriving (a
/// non-homogeneous Poisson process), pickup customers collecting, courier shifts starting and
/// ending, incidents, and metric samples. No HTTP, no threads, no wall clock: the same scenario
/// and seed give the same events and the same result, bit for bit.
/// </summary>
public sealed class Simulator
{
    private enum Kind { Arrival, ShiftStart, ShiftEnd, ChefIn, ChefOut, IncidentStart, IncidentEnd, Collect, Sample }

    private readonly record struct Item(Kind Kind, int Index, string? OrderId);

    private static readonly TimeSpan ForgetEvery = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryShiftEnd = TimeSpan.FromMinutes(1);

    private readonly Scenario _s;
    private readonly PriorityQueue<Item, (long Ticks, long Seq)> _agenda = new();
    private long _seq;

    private readonly double[] _mixWeights;

    public Simulator(Scenario scenario)
    {
        _s = scenario;
        _mixWeights = scenario.Mix.Select(m => m.Weight).ToArray();
    }

    /// <summary>Every event the engine emits, in order (for traces and determinism tests).</summary>
    public Action<IDomainEvent>? OnEvent { get; set; }

    /// <param name="progress">Share of the demand period simulated so far, 0 to 1.</param>
    public SimulationResult Run(IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var s = _s;
        var engine = new BrigadeEngine(s.Catalog, s.EngineOptions);
        var checker = new InvariantChecker(s.Catalog);
        var metrics = new SimulationMetrics(s);
        var output = new List<IDomainEvent>(1024);
        var arrivals = new Random(s.Seed);
        var customers = new Random(unchecked(s.Seed * 31 + 7));
        var lambdaMax = s.Curve.Count == 0 ? 0 : s.Curve.Max(c => c.PerHour);
        var incidentNotes = s.Incidents.Select(_ => new List<string>()).ToArray();
        long events = 0;
        var orderSeq = 0;
        var collectDelay = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

        // A shift or an incident that begins before the day does so at its start: the engine has
        // already been advanced there, and its clock must never run backwards.
        void Push(DateTimeOffset at, Item item) => _agenda.Enqueue(item, (Math.Max(at.UtcTicks, s.Start.UtcTicks), _seq++));

        void Drain()
        {
            foreach (var e in output)
            {
                events++;
                checker.Observe(e);
                metrics.Observe(e);
                OnEvent?.Invoke(e);
                if (e is OrderReady r && collectDelay.Remove(r.OrderId, out var delay))
                    Push(r.At + delay, new Item(Kind.Collect, 0, r.OrderId));
            }
            output.Clear();
        }

        // Poisson arrivals with a time-varying rate, by thinning (Lewis and Shedler): candidates
        // arrive at the peak rate λmax and each is kept with probability λ(t)/λmax.
        DateTimeOffset? NextArrival(DateTimeOffset after)
        {
            if (lambdaMax <= 0) return null;
            var t = after;
            while (true)
            {
                var gapHours = -Math.Log(1 - arrivals.NextDouble()) / lambdaMax;
                // A tiny rate draws gaps no TimeSpan can hold: compare in hours first (an hour's
                // margin leaves every gap that lands near the end to the exact test below).
                if (gapHours > (s.DemandEnd - t).TotalHours + 1) return null;
                t += TimeSpan.FromHours(gapHours);
                if (t > s.DemandEnd) return null;
                if (arrivals.NextDouble() * lambdaMax < s.RateAt(t)) return t;
            }
        }

        Push(s.Start, new Item(Kind.Sample, 0, null));
        if (NextArrival(s.Start - TimeSpan.FromTicks(1)) is { } first) Push(first, new Item(Kind.Arrival, 0, null));
        for (var i = 0; i < s.Couriers.Count; i++)
        {
            Push(s.Couriers[i].From, new Item(Kind.ShiftStart, i, null));
            Push(s.Couriers[i].To, new Item(Kind.ShiftEnd, i, null));
        }
        for (var i = 0; i < s.ChefShifts.Count; i++)
        {
            Push(s.ChefShifts[i].From, new Item(Kind.ChefIn, i, null));
            Push(s.ChefShifts[i].To, new Item(Kind.ChefOut, i, null));
        }
        for (var i = 0; i < s.Incidents.Count; i++)
        {
            if (s.Incidents[i].Kind == IncidentKind.CouriersNoShow) continue; // taken out of the shifts when compiled
            Push(s.Incidents[i].At, new Item(Kind.IncidentStart, i, null));
            if (s.Incidents[i].Until is { } until) Push(until, new Item(Kind.IncidentEnd, i, null));
        }

        var now = s.Start;
        engine.Advance(now, output);
        Drain();
        var arrivalsPending = _agenda.UnorderedItems.Any(x => x.Element.Kind == Kind.Arrival);
        var nextForget = s.Start + ForgetEvery;
        var span = Math.Max(1, (s.DemandEnd - s.Start).Ticks);

        while (!ct.IsCancellationRequested)
        {
            var engineDue = engine.NextDueAt;
            var agendaAt = _agenda.TryPeek(out _, out var prio) ? prio.Ticks : long.MaxValue;
            var next = Math.Min(engineDue.UtcTicks, agendaAt);
            if (next > s.DrainUntil.UtcTicks) break;
            if (!arrivalsPending && metrics.OpenOrders == 0 && now >= s.DemandEnd) break;
            if (engineDue.UtcTicks <= agendaAt)
            {
                // The engine says "at once" with an instant in the past (an outlet whose power came back
                // recovers at DateTimeOffset.MinValue): that is now, the virtual clock never runs backwards.
                if (engineDue > now) now = engineDue;
                engine.Advance(now, output);
                Drain();
                continue;
            }

            now = new DateTimeOffset(agendaAt, TimeSpan.Zero);
            var item = _agenda.Dequeue();
            switch (item.Kind)
            {
                case Kind.Arrival:
                    {
                        var order = Customer(customers, ++orderSeq);
                        var result = engine.PlaceOrder(order.Command, now, output);
                        if (result.IsOk)
                        {
                            if (order.Command.DeliverTo is null) collectDelay[order.Command.OrderId] = order.CollectAfter;
                        }
                        else metrics.Refused(now, result.Code ?? result.Outcome.ToString().ToLowerInvariant());
                        if (NextArrival(now) is { } at) Push(at, new Item(Kind.Arrival, 0, null));
                        else arrivalsPending = false;
                        break;
                    }
                case Kind.Collect:
                    engine.CollectOrder(item.OrderId!, now, output);
                    break;
                case Kind.ShiftStart:
                    {
                        var c = s.Couriers[item.Index];
                        engine.AtDelivery(now, output, (d, o) => d.StartShift(c.Id, c.Id, c.Start.Lat, c.Start.Lon, now, o, simulated: true));
                        break;
                    }
                case Kind.ShiftEnd:
                    {
                        var c = s.Couriers[item.Index];
                        var ended = engine.AtDelivery(now, output, (d, o) => d.EndShift(c.Id, now, o));
                        // A courier carrying food finishes the job first.
                        if (ended.Outcome == Outcome.Conflict && now < s.DrainUntil) Push(now + RetryShiftEnd, item);
                        break;
                    }
                case Kind.ChefIn or Kind.ChefOut:
                    {
                        var c = s.ChefShifts[item.Index];
                        var result = engine.AtKitchen(c.Outlet, now, output, (k, o) => item.Kind == Kind.ChefIn ? k.ClockIn(c.Chef, now, o) : k.ClockOut(c.Chef, now, o));
                        if (!result.IsOk) metrics.Note($"{s.TimeOfDay(now)} {c.Chef} at {c.Outlet}: {result.Message}");
                        break;
                    }
                case Kind.IncidentStart or Kind.IncidentEnd:
                    {
                        var result = Incident(engine, s.Incidents[item.Index], item.Kind == Kind.IncidentStart, now, output);
                        if (!result.IsOk) incidentNotes[item.Index].Add($"{s.TimeOfDay(now)}: {result.Message}");
                        break;
                    }
                case Kind.Sample:
                    metrics.Sample(engine, checker, now);
                    Push(now + s.SampleInterval, item);
                    progress?.Report(Math.Min(1, (double)(now - s.Start).Ticks / span));
                    break;
            }
            Drain();

            if (now >= nextForget)
            {
                // Finished orders live on in the metrics; the engine need not keep them.
                engine.ForgetTerminalOrders(now - ForgetEvery);
                nextForget = now + ForgetEvery;
            }
        }

        ct.ThrowIfCancellationRequested();
        progress?.Report(1);
        var marks = s.Incidents.Select((i, n) => new IncidentMark(KindName(i.Kind), i.Label, i.At, i.Until, incidentNotes[n])).ToList();
        return metrics.Result(engine, now, events, marks, checker.Finish());
    }

    private static EngineResult Incident(BrigadeEngine engine, PlannedIncident i, bool start, DateTimeOffset now, List<IDomainEvent> output)
    {
        const string By = "simulation";
        var outlet = i.Outlet!;
        return (i.Kind, start) switch
        {
            (IncidentKind.ChefSick, true) => engine.AtKitchen(outlet, now, output, (k, o) => k.MarkSick(i.Chef!, now, o)),
            (IncidentKind.ChefSick, false) => engine.AtKitchen(outlet, now, output, (k, o) => k.MarkRecovered(i.Chef!, now, o)),
            (IncidentKind.EquipmentBroken, true) => engine.AtKitchen(outlet, now, output, (k, o) => k.BreakEquipment(i.Equipment!, i.Unit, now, o)),
            (IncidentKind.EquipmentBroken, false) => engine.AtKitchen(outlet, now, output, (k, o) => k.FixEquipment(i.Equipment!, i.Unit, now, o)),
            (IncidentKind.PowerOut, _) => engine.SetOutletPower(outlet, !start, By, now, output),
            (IncidentKind.OutletPaused, true) => engine.PauseOutlet(outlet, By, "scenario incident", moveQueued: true, now, output),
            (IncidentKind.OutletPaused, false) => engine.ResumeOutlet(outlet, By, now, output),
            _ => EngineResult.Ok(),
        };
    }

    public static string KindName(IncidentKind kind) => kind switch
    {
        IncidentKind.ChefSick => "chefSick",
        IncidentKind.EquipmentBroken => "equipmentBroken",
        IncidentKind.PowerOut => "powerOut",
        IncidentKind.OutletPaused => "outletPaused",
        _ => "couriersNoShow",
    };

    private sealed record Generated(PlaceOrder Command, TimeSpan CollectAfter);

    /// <summary>A customer: a restaurant by weight, items by weight, delivery or pickup, a delivery point, when they would collect.</summary>
    private Generated Customer(Random rng, int n)
    {
        var s = _s;
        var mix = s.Mix[PickIndex(rng, _mixWeights)];
        var count = rng.Next(s.MinItems, s.MaxItems + 1);
        var lines = new List<OrderLine>(count);
        for (var i = 0; i < count; i++)
        {
            var item = mix.Items[PickIndex(rng, mix.ItemWeights)];
            var at = lines.FindIndex(l => l.MenuItemId == item.Id);
            if (at >= 0) lines[at] = lines[at] with { Quantity = lines[at].Quantity + 1 };
            else lines.Add(new OrderLine(item.Id, 1));
        }
        GeoPoint? to = null;
        if (rng.NextDouble() < s.DeliveryShare)
        {
            if (s.Area is { } area) to = ScenarioCompiler.PointInDisk(rng, area.Centre, area.RadiusMetres);
            else
            {
                var outlet = mix.Restaurant.Outlets[rng.Next(mix.Restaurant.Outlets.Count)];
                to = PointInZone(rng, outlet);
            }
        }
        var collect = s.CollectMin + (s.CollectMax - s.CollectMin) * rng.NextDouble();
        var id = $"sim-{n:D6}";
        return new Generated(new PlaceOrder(id, mix.Restaurant.Id, null, lines, to, $"customer-{n}", id, id), collect);
    }

    /// <summary>A point inside the outlet's zone: uniform in its disk (shrunk a little off the rim), or in its polygon by rejection.</summary>
    private static GeoPoint PointInZone(Random rng, Catalog.Outlet outlet)
    {
        var zone = outlet.Zone;
        if (zone.Polygon is { Count: > 2 } polygon)
        {
            // The bounding box in longitudes taken the short way from the outlet, as the zone reads them: for a
            // zone across the 180th meridian, the strip across the line rather than the rest of the world.
            var home = outlet.Location.Lon;
            double minLat = polygon.Min(p => p.Lat), maxLat = polygon.Max(p => p.Lat);
            double minLon = polygon.Min(p => GeoPoint.LonDelta(home, p.Lon)), maxLon = polygon.Max(p => GeoPoint.LonDelta(home, p.Lon));
            for (var i = 0; i < 64; i++)
            {
                var p = new GeoPoint(minLat + rng.NextDouble() * (maxLat - minLat), GeoPoint.NormalizeLon(home + minLon + rng.NextDouble() * (maxLon - minLon)));
                if (zone.Contains(p)) return p;
            }
            return outlet.Location;
        }
        return ScenarioCompiler.PointInDisk(rng, outlet.Location, zone.RadiusMetres * 0.95);
    }

    /// <summary>An index drawn with probability proportional to its weight (zero weights are never drawn).</summary>
    private static int PickIndex(Random rng, IReadOnlyList<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        var x = rng.NextDouble() * total;
        for (var i = 0; i < weights.Count; i++)
        {
            x -= weights[i];
            if (x < 0 && weights[i] > 0) return i;
        }
        for (var i = weights.Count - 1; i >= 0; i--) if (weights[i] > 0) return i;
        return 0;
    }
}
