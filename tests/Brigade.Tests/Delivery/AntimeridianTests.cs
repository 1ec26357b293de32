using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;
using static Brigade.Tests.Support.Describe;

namespace Brigade.Tests.Delivery;

/// <summary>Delivery in a city on the 180th meridian (Taveuni, Fiji): east and west longitudes are neighbours.</summary>
public class AntimeridianTests
{
    private static RestaurantCatalog Taveuni(string fleet, string outlets) =>
        CatalogLoader.Parse($$"""
        {
          "timeZone": "UTC",
          "fleet": {{fleet}},
          "restaurants": [{
            "id": "r",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 300 } ] } ],
            "outlets": [ {{outlets}} ]
          }]
        }
        """, "taveuni");

    private static string Outlet(string id, double lon, string zone = "null") => $$"""
        { "id": "{{id}}", "lat": -16.80, "lon": {{lon.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "zone": {{zone}},
          "stations": [ { "id": "pizza" } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] }
        """;

    /// <summary>About 11 km square around the outlet at 179.99, from 179.95 east across the line to -179.95.</summary>
    private const string ZoneAcrossTheLine = """{ "polygon": [ [-16.75, 179.95], [-16.75, -179.95], [-16.85, -179.95], [-16.85, 179.95] ] }""";

    [Fact]
    public void A_courier_just_across_the_180th_meridian_from_the_outlet_is_offered_its_order()
    {
        var e = new BrigadeEngine(Taveuni(
            """{ "simulatedCouriers": 0, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 60, "staleSeconds": 3600 }""",
            Outlet("k", 179.99)));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        // Ann is 1.6 km east of the outlet, at a western longitude; the customer is west of the outlet.
        Assert.True(e.AtDelivery(T0, log, (d, o) => d.StartShift("ann", "Ann", -16.80, -179.995, T0, o)).IsOk);
        Assert.True(e.PlaceOrder(new PlaceOrder("o1", "r", "k", [new OrderLine("pizza", 1)], new GeoPoint(-16.81, 179.98), "c", "o1", "h", "4321"), T0.AddSeconds(1), log).IsOk);

        for (var t = T0; t < T0.AddMinutes(30) && !log.OfType<OfferMade>().Any(); t = t.AddSeconds(5))
            e.Advance(t, log);

        var offer = Assert.Single(log.OfType<OfferMade>());
        Assert.Equal("ann", offer.CourierId);
        // A few minutes' ride, not a ride round the world.
        Assert.True(offer.PlannedPickupAt < T0.AddMinutes(30), $"pickup planned at {offer.PlannedPickupAt:O}");
        Assert.True(offer.PlannedDropoffAt[0] < T0.AddMinutes(40), $"drop-off planned at {offer.PlannedDropoffAt[0]:O}");
    }

    [Fact]
    public void Simulated_couriers_start_among_outlets_on_both_sides_of_the_180th_meridian()
    {
        var e = new BrigadeEngine(Taveuni(
            """{ "simulatedCouriers": 5, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 60, "radiusKm": 2 }""",
            Outlet("west", 179.99) + "," + Outlet("east", -179.99)));
        var log = new List<IDomainEvent>();

        e.Advance(T0, log);

        var starts = log.OfType<CourierShiftStarted>().ToList();
        Assert.Equal(5, starts.Count);
        var line = new GeoPoint(-16.80, 180);
        Assert.All(starts, s =>
        {
            Assert.True(GeoPoint.IsValid(s.Lat, s.Lon), $"{s.CourierId} starts at ({s.Lat}, {s.Lon})");
            Assert.InRange(GeoPoint.HaversineMetres(line, new GeoPoint(s.Lat, s.Lon)), 0, 5_000);
        });
    }

    [Fact]
    public void A_simulated_courier_riding_across_the_180th_meridian_is_shown_on_the_short_way()
    {
        var e = new BrigadeEngine(Taveuni(
            """{ "simulatedCouriers": 1, "speedKmh": 18, "roundSeconds": 10, "offerSeconds": 60, "radiusKm": 0.1 }""",
            Outlet("k", 179.995)));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);
        // The customer is east of the line: the courier rides 1 km across it.
        Assert.True(e.PlaceOrder(new PlaceOrder("o1", "r", "k", [new OrderLine("pizza", 1)], new GeoPoint(-16.80, -179.995), "c", "o1", "h", "4321"), T0.AddSeconds(1), log).IsOk);
        var t = T0;
        while (!log.OfType<OrderPickedUp>().Any() && t < T0.AddHours(1)) e.Advance(t = t.AddSeconds(5), log);
        Assert.NotEmpty(log.OfType<OrderPickedUp>());

        var courier = log.OfType<OrderPickedUp>().Single().CourierId;
        for (; !log.OfType<OrderDelivered>().Any() && t < T0.AddHours(2); t = t.AddSeconds(5))
        {
            e.Advance(t, log);
            var view = e.Delivery.CourierOf(courier, t)!;
            Assert.True(GeoPoint.IsValid(view.Lat, view.Lon), $"shown at ({view.Lat}, {view.Lon})");
            Assert.InRange(GeoPoint.HaversineMetres(new GeoPoint(-16.80, 180), new GeoPoint(view.Lat, view.Lon)), 0, 2_000);
        }
        Assert.NotEmpty(log.OfType<OrderDelivered>());
    }

    [Theory]
    [InlineData(-16.80, 179.97, true)]
    [InlineData(-16.80, -179.97, true)]
    [InlineData(-16.80, 180.0, true)]
    [InlineData(-16.80, -180.0, true)]
    [InlineData(-16.76, -179.951, true)]
    [InlineData(-16.80, 0.0, false)]
    [InlineData(-16.80, 179.90, false)]
    [InlineData(-16.80, -179.90, false)]
    [InlineData(-16.90, 179.99, false)]
    [InlineData(-16.70, -179.99, false)]
    public void A_polygon_zone_across_the_180th_meridian_holds_the_addresses_between_its_vertices_the_short_way(double lat, double lon, bool inside)
    {
        var outlet = Taveuni("{}", Outlet("k", 179.99, ZoneAcrossTheLine)).FindOutlet("k")!;

        Assert.Equal(inside, outlet.Zone.Contains(new GeoPoint(lat, lon)));
    }

    [Fact]
    public void An_order_just_across_the_180th_meridian_inside_a_polygon_zone_is_taken_and_one_on_the_far_side_of_the_world_is_refused()
    {
        var e = new BrigadeEngine(Taveuni("""{ "simulatedCouriers": 0 }""", Outlet("k", 179.99, ZoneAcrossTheLine)));
        var log = new List<IDomainEvent>();
        e.Advance(T0, log);

        var across = e.PlaceOrder(new PlaceOrder("o1", "r", null, [new OrderLine("pizza", 1)], new GeoPoint(-16.80, -179.98), "c", "o1", "h1", "4321"), T0, log);
        var farAway = e.PlaceOrder(new PlaceOrder("o2", "r", null, [new OrderLine("pizza", 1)], new GeoPoint(-16.80, 0.5), "c", "o2", "h2", "4321"), T0, log);

        Assert.True(across.IsOk, across.Message);
        Assert.Equal("outside-delivery-zone", farAway.Code);
    }

    [Theory]
    [InlineData(-179.99, true)]  // 2.1 km east, across the line
    [InlineData(179.97, true)]   // 2.1 km west
    [InlineData(-179.96, false)] // 5.3 km east, across the line
    [InlineData(0.0, false)]
    public void A_radius_zone_across_the_180th_meridian_is_measured_the_short_way(double lon, bool inside)
    {
        var outlet = Taveuni("{}", Outlet("k", 179.99, """{ "radiusKm": 3 }""")).FindOutlet("k")!;

        Assert.Equal(inside, outlet.Zone.Contains(new GeoPoint(-16.80, lon)));
    }
}
