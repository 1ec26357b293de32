using Brigade.Delivery;
using Brigade.Kitchen;
using Brigade.Routing;
using Brigade.Simulation;

namespace Brigade.Tests.Simulation;

public class ScenarioEdgeTests
{
    private static ScenarioDocument OneHour()
    {
        var doc = ScenarioLoader.Load("pizza-rush").Document with { From = "16:00", To = "17:00", DrainHours = 1, ChefShifts = [], Incidents = [] };
        doc.Demand = doc.Demand! with { Curve = [new RatePointDocument { At = "16:00", OrdersPerHour = 20 }, new RatePointDocument { At = "17:00", OrdersPerHour = 20 }] };
        return doc;
    }

    private static Scenario Compile(ScenarioDocument doc) => ScenarioCompiler.Compile(doc, ScenarioLoader.Load("pizza-rush").Catalogs);

    [Fact]
    public void Shifts_and_incidents_that_begin_before_the_day_starts_take_effect_at_its_start_and_time_never_runs_backwards()
    {
        var doc = OneHour();
        doc.Couriers = [new ShiftDocument { Count = 3, From = "15:00", To = "18:00" }];
        doc.Incidents = [new IncidentDocument { Kind = "chefSick", Outlet = "pizza-north", Chef = "marco", At = "15:30" }];
        var scenario = Compile(doc);
        var events = new List<IDomainEvent>();

        var result = new Simulator(scenario) { OnEvent = events.Add }.Run();

        Assert.All(events.Zip(events.Skip(1)), pair => Assert.True(pair.Second.At >= pair.First.At,
            $"{pair.Second.GetType().Name} at {pair.Second.At:O} came after {pair.First.GetType().Name} at {pair.First.At:O}"));
        Assert.All(events, e => Assert.True(e.At >= scenario.Start, $"{e.GetType().Name} at {e.At:O}, before the start"));
        Assert.Equal(3, events.OfType<CourierShiftStarted>().Count(e => e.At == scenario.Start));
        Assert.Equal(scenario.Start, Assert.Single(events.OfType<ChefFellSick>()).At);
        Assert.True(result.Summary.OrdersPlaced > 5);
    }

    [Fact]
    public void An_outlet_whose_power_comes_back_recovers_at_that_time_of_day_not_in_the_year_one()
    {
        var doc = OneHour();
        doc.Incidents = [new IncidentDocument { Kind = "powerOut", Outlet = "pizza-south", At = "16:10", Until = "16:40" }];
        var scenario = Compile(doc);
        var events = new List<IDomainEvent>();

        new Simulator(scenario) { OnEvent = events.Add }.Run();

        var restored = Assert.Single(events.OfType<OutletPowerRestored>());
        var recovered = Assert.Single(events.OfType<OutletRecovered>());
        Assert.Equal(("pizza-south", restored.At), (recovered.OutletId, recovered.At));
        Assert.Equal("16:40", scenario.TimeOfDay(recovered.At));
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.True(pair.Second.At >= pair.First.At,
            $"{pair.Second.GetType().Name} at {pair.Second.At:O} came after {pair.First.GetType().Name} at {pair.First.At:O}"));
    }

    [Fact]
    public void A_demand_so_small_that_its_next_customer_is_beyond_any_date_places_no_order_and_ends_the_day()
    {
        var doc = OneHour();
        doc.Demand = doc.Demand! with { Curve = [new RatePointDocument { At = "16:00", OrdersPerHour = 1e-12 }, new RatePointDocument { At = "17:00", OrdersPerHour = 1e-12 }] };

        var result = new Simulator(Compile(doc)).Run();

        Assert.Equal(0, result.Summary.OrdersPlaced);
    }

    [Theory]
    [InlineData(95, 13.4, 3)]
    [InlineData(52.5, 200, 3)]
    [InlineData(52.5, 13.4, -2)]
    public void A_courier_shift_area_that_is_not_a_valid_disk_is_refused_with_a_message_that_names_it(double lat, double lon, double radiusKm)
    {
        var doc = OneHour();
        doc.Couriers = [new ShiftDocument { Count = 2, From = "16:00", To = "17:30", Area = new AreaDocument { Lat = lat, Lon = lon, RadiusKm = radiusKm } }];

        var e = Assert.Throws<ScenarioException>(() => Compile(doc));

        Assert.Contains(e.Problems, p => p.Contains("courier shift 16:00–17:30", StringComparison.Ordinal) && p.Contains("radiusKm", StringComparison.Ordinal));
    }
}
