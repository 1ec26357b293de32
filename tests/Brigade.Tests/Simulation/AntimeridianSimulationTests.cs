using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Geo;
using Brigade.Hosting;
using Brigade.Operations;
using Brigade.Orders;
using Brigade.Simulation;

namespace Brigade.Tests.Simulation;

/// <summary>A simulated hour on Taveuni (Fiji), where the 180th meridian runs through town.</summary>
public class AntimeridianSimulationTests
{
    private static (SimulationResult Result, List<IDomainEvent> Events) Run(string zone, int couriers = 0)
    {
        var catalog = CatalogLoader.ParseDocument($$"""
            {
              "timeZone": "UTC",
              "fleet": { "simulatedCouriers": 0, "speedKmh": 18 },
              "restaurants": [{
                "id": "r",
                "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 120 } ] } ],
                "outlets": [ { "id": "k", "lat": -16.80, "lon": 179.99, "zone": {{zone}}, "maxPromiseMinutes": 600,
                  "stations": [ { "id": "pizza" } ], "staff": [ { "id": "a", "skills": ["pizza"] }, { "id": "b", "skills": ["pizza"] } ] } ]
              }]
            }
            """, "taveuni");
        var scenario = ScenarioLoader.Parse($$"""
            {
              "name": "taveuni", "date": "2026-11-20", "from": "12:00", "to": "13:00", "drainHours": 1, "seed": 5,
              "demand": { "curve": [ { "at": "12:00", "ordersPerHour": 120 }, { "at": "13:00", "ordersPerHour": 120 } ], "deliveryShare": 1 },
              "couriers": [ { "count": {{couriers}}, "from": "12:00", "to": "14:00", "area": { "lat": -16.80, "lon": 179.99, "radiusKm": 3 } } ]
            }
            """, "taveuni");
        var events = new List<IDomainEvent>();
        var result = new Simulator(ScenarioCompiler.Compile(scenario, _ => catalog)) { OnEvent = events.Add }.Run();
        return (result, events);
    }

    [Fact]
    public void Customers_of_a_polygon_zone_across_the_180th_meridian_live_inside_it_on_both_sides_of_the_line()
    {
        var (result, events) = Run("""{ "polygon": [ [-16.75, 179.95], [-16.75, -179.95], [-16.85, -179.95], [-16.85, 179.95] ] }""");

        var to = events.OfType<OrderPlaced>().Select(p => p.DeliverTo!.Value).ToList();
        Assert.True(to.Count > 60, $"{to.Count} orders");
        Assert.Equal(0, result.Summary.OrdersRefused);
        Assert.All(to, p =>
        {
            Assert.True(GeoPoint.IsValid(p.Lat, p.Lon), $"({p.Lat}, {p.Lon})");
            Assert.InRange(p.Lat, -16.85, -16.75);
            Assert.True(p.Lon >= 179.95 || p.Lon <= -179.95, $"({p.Lat}, {p.Lon}) is outside the zone");
        });
        // Neither side is left out, and no customer is put at the outlet's door for want of a point.
        Assert.Contains(to, p => p.Lon > 0);
        Assert.Contains(to, p => p.Lon < 0);
        Assert.DoesNotContain(to, p => p == new GeoPoint(-16.80, 179.99));
    }

    [Fact]
    public void Customers_of_a_radius_zone_across_the_180th_meridian_get_longitudes_within_180_degrees()
    {
        var (result, events) = Run("""{ "radiusKm": 3 }""");

        var to = events.OfType<OrderPlaced>().Select(p => p.DeliverTo!.Value).ToList();
        Assert.True(to.Count > 60, $"{to.Count} orders");
        Assert.Equal(0, result.Summary.OrdersRefused);
        Assert.All(to, p =>
        {
            Assert.True(GeoPoint.IsValid(p.Lat, p.Lon), $"({p.Lat}, {p.Lon})");
            Assert.InRange(GeoPoint.HaversineMetres(new GeoPoint(-16.80, 179.99), p), 0, 3_000);
        });
        Assert.Contains(to, p => p.Lon < 0);
    }

    [Fact]
    public void Couriers_whose_shift_area_straddles_the_180th_meridian_all_start_their_shift()
    {
        var (result, events) = Run("""{ "radiusKm": 3 }""", couriers: 12);

        var starts = events.OfType<CourierShiftStarted>().ToList();
        Assert.Equal(12, starts.Count);
        Assert.Contains(starts, s => s.Lon < 0);
        Assert.True(result.Summary.Delivered > 30, $"{result.Summary.Delivered} delivered");
    }

    [Theory]
    [InlineData("""{ "polygon": [ [-16.75, 179.95], [-16.75, -179.95], [-16.85, -179.95], [-16.85, 179.95] ] }""")]
    [InlineData("""{ "radiusKm": 3 }""")]
    public void Demo_customers_of_an_outlet_on_the_180th_meridian_live_inside_its_zone_on_both_sides_of_the_line(string zone)
    {
        var catalog = CatalogLoader.Parse($$"""
            {
              "restaurants": [{
                "id": "r",
                "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 120 } ] } ],
                "outlets": [ { "id": "k", "lat": -16.80, "lon": 179.99, "zone": {{zone}},
                  "stations": [ { "id": "pizza" } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] } ]
              }]
            }
            """, "taveuni");
        var outlet = catalog.FindOutlet("k")!;
        var customers = new DemoCustomers(catalog, new DemoOptions { PickupShare = 0, Seed = 3 });

        var to = Enumerable.Range(0, 200).Select(_ => customers.Next().Order.DeliverTo!.Value).ToList();

        Assert.All(to, p =>
        {
            Assert.True(GeoPoint.IsValid(p.Lat, p.Lon), $"({p.Lat}, {p.Lon})");
            Assert.InRange(GeoPoint.HaversineMetres(outlet.Location, p), 0, 9_000);
            Assert.True(outlet.Zone.Contains(p), $"({p.Lat}, {p.Lon}) is outside the zone");
        });
        Assert.Contains(to, p => p.Lon > 0 && p != outlet.Location);
        Assert.Contains(to, p => p.Lon < 0);
    }
}
