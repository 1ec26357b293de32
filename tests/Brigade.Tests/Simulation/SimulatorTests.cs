using System.Globalization;
using System.Text;
using System.Text.Json;
using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Routing;
using Brigade.Simulation;

namespace Brigade.Tests.Simulation;

public class SimulatorTests
{
    private static Scenario BuiltIn(string name, string? variant = null, int? seed = null)
    {
        var loaded = ScenarioLoader.Load(name);
        if (seed is { } s) loaded.Document.Seed = s;
        return ScenarioCompiler.Compile(loaded.Document, loaded.Catalogs, variant);
    }

    private static (SimulationResult Result, List<IDomainEvent> Events) RunWithEvents(Scenario scenario)
    {
        var events = new List<IDomainEvent>();
        var result = new Simulator(scenario) { OnEvent = events.Add }.Run();
        return (result, events);
    }

    private static string Json(SimulationResult r) =>
        JsonSerializer.Serialize(new SimulationReportFile(r.Scenario, r.Seed, [r]), SimulationResultJsonContext.Default.SimulationReportFile);

    [Fact]
    public void The_same_seed_gives_the_same_events_and_the_same_result_bit_for_bit()
    {
        var (a, eventsA) = RunWithEvents(BuiltIn("pizza-rush"));
        var (b, eventsB) = RunWithEvents(BuiltIn("pizza-rush"));

        Assert.True(eventsA.Count > 1000);
        Assert.Equal(eventsA.Select(e => e.ToString()), eventsB.Select(e => e.ToString()));
        Assert.Equal(Json(a), Json(b));
    }

    [Fact]
    public void Another_seed_gives_another_day()
    {
        var a = new Simulator(BuiltIn("pizza-rush", seed: 1)).Run();
        var b = new Simulator(BuiltIn("pizza-rush", seed: 2)).Run();
        Assert.NotEqual(Json(a), Json(b));
    }

    [Fact]
    public void Pizza_rush_keeps_every_invariant_and_its_incidents_happen_when_the_scenario_says()
    {
        var scenario = BuiltIn("pizza-rush");
        var (result, events) = RunWithEvents(scenario);

        Assert.All(result.Invariants, i => Assert.True(i.Holds, $"{i.Name}: {string.Join("; ", i.Examples)}"));
        Assert.Equal(result.Summary.OrdersPlaced, result.Summary.Delivered + result.Summary.Collected + result.Summary.Failed + result.Summary.Cancelled);
        Assert.True(result.Summary.Delivered > 50 && result.Summary.Collected > 10, $"{result.Summary.Delivered} delivered, {result.Summary.Collected} collected");

        var local = (DateTimeOffset t) => t.ToOffset(scenario.Start.Offset).ToString("HH:mm", CultureInfo.InvariantCulture);
        var sick = Assert.Single(events.OfType<ChefFellSick>());
        Assert.Equal(("pizza-north", "marco", "19:05"), (sick.OutletId, sick.ChefId, local(sick.At)));
        var cut = Assert.Single(events.OfType<OutletPowerCut>());
        Assert.Equal(("pizza-south", "18:30"), (cut.OutletId, local(cut.At)));
        var silent = Assert.Single(events.OfType<OutletWentSilent>());
        Assert.Equal("pizza-south", silent.OutletId);
        Assert.Single(events.OfType<OutletPowerRestored>(), r => local(r.At) == "20:00");
        // While pizza-south is dark, every new order goes to pizza-north.
        var dark = events.OfType<OrderRouted>().Where(r => r.At > silent.At && local(r.At).CompareTo("20:00") < 0).ToList();
        Assert.NotEmpty(dark);
        Assert.All(dark, r => Assert.Equal("pizza-north", r.OutletId));
        Assert.Equal(2, result.Incidents.Count);
        Assert.Empty(result.Notes);

        // Standby chefs work shifts: off duty until 17:30, then clocked in.
        var sofia = events.OfType<ChefClockedIn>().Single(c => c.ChefId == "sofia");
        Assert.Equal(("pizza-north", "17:30"), (sofia.OutletId, local(sofia.At)));
        Assert.DoesNotContain(events.OfType<TaskStarted>(), t => t.ChefId == "sofia" && t.At < sofia.At);
        Assert.Single(events.OfType<ChefClockedIn>(), c => c.ChefId == "lena" && local(c.At) == "17:30");
    }

    [Fact]
    public void Notes_of_refused_commands_give_the_scenarios_local_time_of_day()
    {
        // Berlin, November: local time is UTC+1. The second pause comes while the first holds.
        var doc = ScenarioLoader.Load("pizza-rush").Document with { From = "16:00", To = "17:00", DrainHours = 1 };
        doc.Incidents =
        [
            new IncidentDocument { Kind = "outletPaused", Outlet = "pizza-north", At = "16:10", Until = "16:40" },
            new IncidentDocument { Kind = "outletPaused", Outlet = "pizza-north", At = "16:20" },
        ];
        var twice = new ChefShiftDocument { Outlet = "pizza-north", Chef = "sofia", From = "16:30", To = "16:50" };
        doc.ChefShifts = [twice, twice with { }];
        var scenario = ScenarioCompiler.Compile(doc, ScenarioLoader.Load("pizza-rush").Catalogs);

        var result = new Simulator(scenario).Run();

        var refused = Assert.Single(result.Incidents, i => i.At == scenario.Start.AddMinutes(20));
        Assert.StartsWith("16:20: ", Assert.Single(refused.Notes), StringComparison.Ordinal);
        Assert.Contains(result.Notes, n => n.StartsWith("16:30 sofia at pizza-north", StringComparison.Ordinal));
    }

    [Fact]
    public void A_city_day_with_250_outlets_and_400_couriers_finishes_every_order_and_keeps_every_invariant()
    {
        var scenario = BuiltIn("city-day");
        Assert.Equal(250, scenario.Catalog.Outlets.Count);
        Assert.Equal(400, scenario.Couriers.Count);

        var result = new Simulator(scenario).Run();

        Assert.All(result.Invariants, i => Assert.True(i.Holds, $"{i.Name}: {string.Join("; ", i.Examples)}"));
        Assert.InRange(result.Summary.OrdersPlaced, 2700, 3300);
        Assert.Equal(0, result.Summary.Unfinished);
        Assert.True(result.Summary.Delivered > result.Summary.OrdersPlaced / 2);
    }

    [Fact]
    public void Couriers_who_do_not_show_never_start_their_shift()
    {
        var doc = ScenarioLoader.Load("pizza-rush").Document;
        var baseline = ScenarioCompiler.Compile(doc, ScenarioLoader.Load("pizza-rush").Catalogs);
        doc.Incidents!.Add(new IncidentDocument { Kind = "couriersNoShow", At = "18:00", Count = 4 });
        var scenario = ScenarioCompiler.Compile(doc, ScenarioLoader.Load("pizza-rush").Catalogs);

        Assert.Equal(baseline.Couriers.Count - 4, scenario.Couriers.Count);
        var evening = baseline.Couriers.Max(c => c.From); // the 18:00 shift of six
        Assert.Equal(6, baseline.Couriers.Count(c => c.From == evening));
        Assert.Equal(2, scenario.Couriers.Count(c => c.From == evening));
        var (_, events) = RunWithEvents(scenario);
        Assert.Equal(scenario.Couriers.Count, events.OfType<CourierShiftStarted>().Count());
    }

    [Fact]
    public void In_the_coffee_morning_the_espresso_machine_is_the_bottleneck()
    {
        var baseline = new Simulator(BuiltIn("coffee-morning")).Run();
        var machine = new Simulator(BuiltIn("coffee-morning", "second-machine")).Run();
        var barista = new Simulator(BuiltIn("coffee-morning", "extra-barista")).Run();
        double Wait(SimulationResult r) => r.Summary.Stations.Single().WaitMinutes.Mean;

        Assert.All(new[] { baseline, machine, barista }, r => Assert.True(r.InvariantsHold));
        // A second machine cuts the wait far more than a fourth barista does.
        Assert.True(Wait(machine) < Wait(baseline) / 2, $"machine {Wait(machine):0.00} vs baseline {Wait(baseline):0.00}");
        Assert.True(Wait(barista) > Wait(baseline) * 0.7, $"barista {Wait(barista):0.00} vs baseline {Wait(baseline):0.00}");
    }

    [Fact]
    public void Variants_change_the_catalog_as_named()
    {
        var more = BuiltIn("pizza-rush", "one-more-chef");
        Assert.All(more.Catalog.Outlets.Where(o => o.Restaurant.Id == "pizza-parlor"), o => Assert.Contains(o.Staff, c => c.Id == "extra-chef"));
        var oven = BuiltIn("pizza-rush", "second-oven");
        Assert.All(oven.Catalog.Outlets.Where(o => o.Restaurant.Id == "pizza-parlor"), o => Assert.Equal(2, o.Equipment.Single(e => e.Id == "oven").Count));
        var noStandby = BuiltIn("pizza-rush", "no-standby");
        Assert.DoesNotContain(noStandby.Catalog.Outlets.SelectMany(o => o.Staff), c => c.Standby);
        var noPrep = BuiltIn("pizza-rush", "no-prep");
        Assert.All(noPrep.Catalog.Outlets.SelectMany(o => o.Stock), s => Assert.Equal(0, s.Par));
        var couriers = BuiltIn("pizza-rush", "more-couriers");
        Assert.Equal(BuiltIn("pizza-rush").Couriers.Count + 8, couriers.Couriers.Count);
    }

    [Theory]
    [InlineData("""{ "kind": "chefSick", "outlet": "pizza-north", "chef": "nobody", "at": "19:00" }""", "has no chef 'nobody'")]
    [InlineData("""{ "kind": "powerOut", "outlet": "pizza-east", "at": "19:00" }""", "no outlet 'pizza-east'")]
    [InlineData("""{ "kind": "equipmentBroken", "outlet": "pizza-north", "equipment": "oven", "unit": 3, "at": "19:00" }""", "has no unit 3 of 'oven'")]
    [InlineData("""{ "kind": "flood", "outlet": "pizza-north", "at": "19:00" }""", "kind 'flood' is unknown")]
    [InlineData("""{ "kind": "powerOut", "outlet": "pizza-north", "at": "7pm" }""", "'7pm' is not a time of day")]
    [InlineData("""{ "kind": "powerOut", "outlet": "pizza-north", "at": "19:00", "until": "18:00" }""", "ends before it starts")]
    public void An_invalid_incident_is_refused_with_a_message_that_names_it(string incident, string expected)
    {
        var json = Encoding.UTF8.GetString(ReadBuiltIn("pizza-rush.json")).Replace("\"incidents\": [", "\"incidents\": [" + incident + ",", StringComparison.Ordinal);
        var doc = ScenarioLoader.Parse(json, "test");
        var e = Assert.Throws<ScenarioException>(() => ScenarioCompiler.Compile(doc, ScenarioLoader.Load("pizza-rush").Catalogs));
        Assert.Contains(e.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bogus", "00:00", "01:00", "date 'bogus' is not yyyy-MM-dd")]
    [InlineData("0001-01-01", "00:00", "01:00", "date '0001-01-01' must be between 1900-01-01 and 9998-12-31")]
    [InlineData("9999-12-31", "20:00", "47:00", "date '9999-12-31' must be between 1900-01-01 and 9998-12-31")]
    public void A_date_out_of_range_is_refused_with_a_message_not_a_crash(string date, string from, string to, string expected)
    {
        var doc = ScenarioLoader.Load("pizza-rush").Document with { Date = date, From = from, To = to, Couriers = [], ChefShifts = [], Incidents = [] };
        doc.Demand = doc.Demand! with { Curve = [new RatePointDocument { At = from, OrdersPerHour = 10 }] };
        var e = Assert.Throws<ScenarioException>(() => ScenarioCompiler.Compile(doc, ScenarioLoader.Load("pizza-rush").Catalogs));
        Assert.Contains(expected, e.Problems);
    }

    [Fact]
    public void An_unknown_variant_or_property_is_refused_by_name()
    {
        var loaded = ScenarioLoader.Load("pizza-rush");
        var e = Assert.Throws<ScenarioException>(() => ScenarioCompiler.Compile(loaded.Document, loaded.Catalogs, "two-ovens"));
        Assert.Contains("no variant 'two-ovens'", e.Message, StringComparison.Ordinal);
        var typo = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "name": "x", "demnd": {} }""", "typo.json"));
        Assert.Contains("demnd", typo.Message, StringComparison.Ordinal);
    }

    private static byte[] ReadBuiltIn(string name)
    {
        using var s = typeof(ScenarioLoader).Assembly.GetManifestResourceStream("Brigade.Simulation.Scenarios." + name)!;
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
