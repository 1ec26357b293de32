using Brigade.Catalog;

namespace Brigade.Tests.Kitchen;

public class CatalogValidationTests
{
    private static string Catalog(string routing = "", string outletExtra = "", string menuExtra = "", string components = "") => $$"""
        {
          "timeZone": "UTC",
          {{routing}}
          "restaurants": [{
            "id": "r",
            {{components}}
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 300 } ] } {{menuExtra}} ],
            "outlets": [
              { "id": "k1", "lat": 52.52, "lon": 13.40, {{outletExtra}} "stations": [ { "id": "pizza" } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] }
            ]
          }]
        }
        """;

    private static string Refused(string json) => Assert.Throws<CatalogException>(() => CatalogLoader.Parse(json, "test.json")).Message;

    [Theory]
    [InlineData("\"routing\": { \"localityMarginMinutes\": 1e300 },", "", "routing.localityMarginMinutes")]
    [InlineData("\"routing\": { \"noCourierPenaltyMinutes\": 1e300 },", "", "routing.noCourierPenaltyMinutes")]
    [InlineData("", "\"maxPromiseMinutes\": 1e300,", "outlets[k1].maxPromiseMinutes")]
    public void A_catalog_with_a_time_in_minutes_too_large_for_a_clock_stops_start_up_and_names_it(string routing, string outletExtra, string named)
    {
        var message = Refused(Catalog(routing, outletExtra));

        Assert.Contains(named + ": 1E+300 minutes is longer than 1000 years", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_very_long_promise_still_means_no_practical_limit()
    {
        var catalog = CatalogLoader.Parse(Catalog(outletExtra: "\"maxPromiseMinutes\": 100000000,"), "test.json");

        Assert.Equal(TimeSpan.FromMinutes(100_000_000), catalog.Restaurants[0].Outlets[0].MaxPromise);
    }

    [Theory]
    [InlineData("""{ "restaurants": [null] }""", "restaurants[0]: must be an object, not null")]
    [InlineData("MENU", "restaurants[r].menu[1]: must be an object, not null")]
    [InlineData("STEP", "restaurants[r].menu[soup].steps[0]: must be an object, not null")]
    [InlineData("OUTLET:\"stock\": [null],", "outlets[k1].stock[0]: must be an object, not null")]
    [InlineData("OUTLET:\"equipment\": [null],", "outlets[k1].equipment[0]: must be an object, not null")]
    [InlineData("OUTLET:\"hours\": [null],", "outlets[k1].hours[0]: must be an object, not null")]
    [InlineData("OUTLET:\"offPeak\": [null],", "outlets[k1].offPeak[0]: must be an object, not null")]
    [InlineData("OUTLET:\"hours\": [ { \"days\": [null], \"open\": \"10:00\", \"close\": \"20:00\" } ],", "outlets[k1].hours[0].days: unknown day ''")]
    [InlineData("OUTLET:\"zone\": { \"polygon\": [null, [52.5, 13.4], [52.6, 13.4], [52.6, 13.5]] },", "outlets[k1].zone.polygon: needs at least 3 valid [lat, lon] vertices")]
    public void A_catalog_with_null_where_an_object_belongs_stops_start_up_and_names_it(string where, string named)
    {
        var json = where switch
        {
            "MENU" => Catalog(menuExtra: ", null"),
            "STEP" => Catalog(menuExtra: ", { \"id\": \"soup\", \"priceCents\": 500, \"steps\": [null] }"),
            _ when where.StartsWith("OUTLET:", StringComparison.Ordinal) => Catalog(outletExtra: where["OUTLET:".Length..]),
            _ => where,
        };

        Assert.Contains(named, Refused(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_catalog_with_a_null_station_or_chef_stops_start_up_and_names_both()
    {
        var json = Catalog().Replace("\"stations\": [ { \"id\": \"pizza\" } ], \"staff\": [ { \"id\": \"a\", \"skills\": [\"pizza\"] } ]",
            "\"stations\": [ { \"id\": \"pizza\" }, null ], \"staff\": [ { \"id\": \"a\", \"skills\": [\"pizza\"] }, null ]", StringComparison.Ordinal);

        var message = Refused(json);

        Assert.Contains("outlets[k1].stations[1]: must be an object, not null", message, StringComparison.Ordinal);
        Assert.Contains("outlets[k1].staff[1]: must be an object, not null", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_catalog_that_stocks_the_same_component_twice_at_one_outlet_stops_start_up_and_names_it()
    {
        var json = Catalog(
            components: "\"components\": [ { \"id\": \"dough\", \"batch\": 4, \"prep\": [ { \"name\": \"mix\", \"station\": \"pizza\", \"workSeconds\": 60 } ] } ],",
            outletExtra: "\"stock\": [ { \"component\": \"dough\", \"par\": 4, \"initial\": 4 }, { \"component\": \"dough\", \"par\": 40, \"initial\": 0 } ],");
        var once = Catalog(
            components: "\"components\": [ { \"id\": \"dough\", \"batch\": 4, \"prep\": [ { \"name\": \"mix\", \"station\": \"pizza\", \"workSeconds\": 60 } ] } ],",
            outletExtra: "\"stock\": [ { \"component\": \"dough\", \"par\": 4, \"initial\": 4 } ],");
        Assert.Single(CatalogLoader.Parse(once, "test.json").Restaurants[0].Outlets[0].Stock);

        Assert.Contains("outlets[k1].stock[dough]: the component is stocked twice", Refused(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_hours_that_start_and_end_at_the_same_time_stop_start_up_instead_of_meaning_never_open()
    {
        var message = Refused(Catalog(outletExtra: "\"hours\": [ { \"days\": [\"daily\"], \"open\": \"00:00\", \"close\": \"00:00\" } ],"));

        Assert.Contains("starts and ends at the same time (00:00)", message, StringComparison.Ordinal);
        Assert.NotNull(CatalogLoader.Parse(Catalog(outletExtra: "\"hours\": [ { \"days\": [\"daily\"], \"open\": \"00:00\", \"close\": \"24:00\" } ],"), "test.json"));
    }

    [Fact]
    public void A_catalog_with_two_menu_items_of_the_same_id_stops_start_up_and_names_it()
    {
        var message = Refused(Catalog(menuExtra: ", { \"id\": \"pizza\", \"priceCents\": 1100, \"steps\": [ { \"name\": \"make\", \"station\": \"pizza\", \"workSeconds\": 400 } ] }"));

        Assert.Contains("restaurants[r].menu[pizza]: duplicate menu item id", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_menu_price_so_dear_that_an_order_total_would_wrap_round_stops_start_up_and_names_it()
    {
        // 200 units of it (the most one order may hold) come to 4 000 000 000 cents: more than an int counts.
        var message = Refused(Catalog().Replace("\"priceCents\": 900", "\"priceCents\": 20000000", StringComparison.Ordinal));

        Assert.Contains($"restaurants[r].menu[pizza].priceCents: at most {CatalogCompiler.MaxPriceCents}, not 20000000", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_order_of_the_dearest_item_a_catalog_may_list_totals_exactly()
    {
        var json = Catalog(outletExtra: "\"maxPromiseMinutes\": 100000000,")
            .Replace("\"priceCents\": 900", $"\"priceCents\": {CatalogCompiler.MaxPriceCents}", StringComparison.Ordinal);
        var engine = new Brigade.Engine.BrigadeEngine(CatalogLoader.Parse(json, "test.json"));
        var log = new List<IDomainEvent>();
        var units = Brigade.Orders.OrderRequestValidator.MaxUnits;
        var lines = new List<Brigade.Orders.OrderLine>();
        for (var left = units; left > 0; left -= Brigade.Orders.OrderRequestValidator.MaxQuantity)
            lines.Add(new("pizza", Math.Min(left, Brigade.Orders.OrderRequestValidator.MaxQuantity)));

        var result = engine.PlaceOrder(new Brigade.Engine.PlaceOrder("big", "r", null, lines, null, "c", "big", "h"), Support.Describe.T0, log);

        Assert.True(result.IsOk, result.Message);
        Assert.Equal((long)CatalogCompiler.MaxPriceCents * units, result.Order!.TotalCents);
    }

    [Fact]
    public void A_station_whose_autoscale_allows_no_chef_stops_start_up_instead_of_accepting_orders_it_never_cooks()
    {
        var json = Catalog().Replace("\"stations\": [ { \"id\": \"pizza\" } ]",
            "\"stations\": [ { \"id\": \"pizza\", \"autoscale\": { \"min\": 0, \"max\": 0 } } ]", StringComparison.Ordinal);

        Assert.Contains("restaurants[r].outlets[k1].stations[pizza].autoscale.max: must be at least 1, not 0", Refused(json), StringComparison.Ordinal);
        // Scaling to zero when idle is allowed: the station still calls a chef in when work comes.
        Assert.NotNull(CatalogLoader.Parse(json.Replace("\"max\": 0", "\"max\": 1", StringComparison.Ordinal), "test.json"));
    }

    [Fact]
    public void A_catalog_file_that_is_not_utf8_stops_start_up_and_says_so_instead_of_garbling_its_names()
    {
        var path = Path.Combine(Path.GetTempPath(), "brigade-catalog-" + Guid.NewGuid().ToString("N") + ".json");
        // Saved as Latin-1: "Café" ends in the single byte E9, which is not UTF-8.
        File.WriteAllBytes(path, System.Text.Encoding.Latin1.GetBytes(Catalog().Replace("\"id\": \"r\",", "\"id\": \"r\", \"name\": \"Café\",", StringComparison.Ordinal)));
        try
        {
            var message = Assert.Throws<CatalogException>(() => CatalogLoader.LoadFile(path)).Message;

            Assert.Contains($"{path}: the file is not UTF-8 text (byte E9 on line 5)", message, StringComparison.Ordinal);
            File.WriteAllText(path, Catalog().Replace("\"id\": \"r\",", "\"id\": \"r\", \"name\": \"Café\",", StringComparison.Ordinal));
            Assert.Equal("Café", CatalogLoader.LoadFile(path).Restaurants[0].Name);
            // With a byte order mark, as some editors save it; or in UTF-16, which its mark announces.
            File.WriteAllText(path, Catalog().Replace("\"id\": \"r\",", "\"id\": \"r\", \"name\": \"Café\",", StringComparison.Ordinal), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            Assert.Equal("Café", CatalogLoader.LoadFile(path).Restaurants[0].Name);
            File.WriteAllText(path, Catalog().Replace("\"id\": \"r\",", "\"id\": \"r\", \"name\": \"Café\",", StringComparison.Ordinal), System.Text.Encoding.Unicode);
            Assert.Equal("Café", CatalogLoader.LoadFile(path).Restaurants[0].Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_catalog_path_that_is_a_directory_is_named_as_one()
    {
        var dir = Directory.CreateTempSubdirectory("brigade-catalog-").FullName;
        try
        {
            Assert.Contains($"catalog file '{dir}' is a directory", Assert.Throws<CatalogException>(() => CatalogLoader.LoadFile(dir)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Theory]
    [InlineData("\"centreLat\": 52.5")]
    [InlineData("\"centreLon\": 13.4")]
    public void A_fleet_centre_with_only_one_coordinate_stops_start_up_instead_of_being_ignored(string half)
    {
        var message = Refused(Catalog(routing: $"\"fleet\": {{ \"simulatedCouriers\": 3, {half} }},"));

        Assert.Contains("fleet: give both centreLat and centreLon, or neither", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e-9")]
    [InlineData("0.5")]
    public void A_dispatch_round_shorter_than_a_second_stops_start_up_instead_of_locking_the_engine_in_rounds(string seconds)
    {
        // Below a clock tick the round interval was zero: delivery ran round after round at the same instant, for ever.
        var message = Refused(Catalog(routing: $"\"fleet\": {{ \"roundSeconds\": {seconds} }},"));

        Assert.Contains($"fleet.roundSeconds: must be at least 1, not {double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)}", message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), CatalogLoader.Parse(Catalog(routing: "\"fleet\": { \"roundSeconds\": 1 },"), "test.json").Fleet.RoundInterval);
    }

    [Fact]
    public void A_property_written_twice_in_one_object_stops_start_up_instead_of_the_last_one_silently_winning()
    {
        // Pasted twice, with a change in one copy: which price would customers pay?
        var json = Catalog().Replace("\"priceCents\": 900,", "\"priceCents\": 900, \"priceCents\": 9,", StringComparison.Ordinal);

        var message = Refused(json);

        Assert.Contains("test.json: ", message, StringComparison.Ordinal);
        Assert.Contains("priceCents", message, StringComparison.Ordinal);
        Assert.Contains("$.restaurants[0].menu[0]", message, StringComparison.Ordinal);
    }

    private static string Refused(Action<CatalogDocument> change, string json = "")
    {
        var doc = CatalogLoader.ParseDocument(json.Length > 0 ? json : Catalog(), "test.json");
        change(doc);
        return Assert.Throws<CatalogException>(() => CatalogCompiler.Compile(doc)).Message;
    }

    private const string Dough = "\"components\": [ { \"id\": \"dough\", \"batch\": 4, \"prep\": [ { \"name\": \"mix\", \"station\": \"pizza\", \"workSeconds\": 60 } ] } ],";

    // Below a clock tick (100 ns) a time was zero once read: an offer expired as it was made, a lease as it was
    // given, an outlet went silent the instant after each heartbeat, a station's crew target was always exceeded.
    [Theory]
    [InlineData("\"fleet\": { \"offerSeconds\": 1e-9 },", "", "fleet.offerSeconds: must be at least 1, not 1E-09")]
    [InlineData("\"fleet\": { \"offerSeconds\": 0.5 },", "", "fleet.offerSeconds: must be at least 1, not 0.5")]
    [InlineData("\"fleet\": { \"staleSeconds\": 1e-9 },", "", "fleet.staleSeconds: must be at least 1, not 1E-09")]
    [InlineData("\"routing\": { \"silentAfterSeconds\": 1e-9 },", "", "routing.silentAfterSeconds: must be at least 1, not 1E-09")]
    [InlineData("", "\"leaseSeconds\": 1e-9,", "outlets[k1].leaseSeconds: must be at least 1, not 1E-09")]
    [InlineData("", "\"maxPromiseMinutes\": 1e-12,", "outlets[k1].maxPromiseMinutes: must be at least 1, not 1E-12")]
    public void A_time_too_short_to_work_stops_start_up_instead_of_silently_becoming_zero(string routing, string outletExtra, string named)
    {
        Assert.Contains(named, Refused(Catalog(routing, outletExtra)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"id\": \"pizza\", \"targetWaitSeconds\": 1e-9 }", "stations[pizza].targetWaitSeconds: must be at least 1, not 1E-09")]
    [InlineData("{ \"id\": \"pizza\", \"autoscale\": { \"targetWaitSeconds\": 1e-9 } }", "stations[pizza].autoscale.targetWaitSeconds: must be at least 1, not 1E-09")]
    [InlineData("{ \"id\": \"pizza\", \"autoscale\": { \"cooldownSeconds\": 1e-9 } }", "stations[pizza].autoscale.cooldownSeconds: 1E-09 seconds is shorter than the clock counts (100 ns): write 0, or longer")]
    public void A_station_time_too_short_to_count_stops_start_up_and_names_it(string station, string named)
    {
        var json = Catalog().Replace("\"stations\": [ { \"id\": \"pizza\" } ]", $"\"stations\": [ {station} ]", StringComparison.Ordinal);

        Assert.Contains(named, Refused(json), StringComparison.Ordinal);
    }

    // Where zero is a meaning of its own (no chef time, no margin, an instant handover), a positive time under a
    // clock tick is still a slip: it would be read as zero, so it is refused rather than quietly changed.
    [Theory]
    [InlineData("\"fleet\": { \"pickupServiceSeconds\": 1e-9 },", "", "fleet.pickupServiceSeconds: 1E-09 seconds is shorter than the clock counts")]
    [InlineData("\"routing\": { \"localityMarginMinutes\": 1e-12 },", "", "routing.localityMarginMinutes: 1E-12 minutes is shorter than the clock counts")]
    [InlineData("\"routing\": { \"noCourierPenaltyMinutes\": 1e-12 },", "", "routing.noCourierPenaltyMinutes: 1E-12 minutes is shorter than the clock counts")]
    [InlineData("", "\"workSeconds\": 1e-9", "menu[pizza].steps[0].workSeconds: 1E-09 seconds is shorter than the clock counts")]
    public void A_positive_time_under_a_clock_tick_stops_start_up_instead_of_counting_as_zero(string routing, string step, string named)
    {
        var json = Catalog(routing);
        if (step.Length > 0) json = json.Replace("\"workSeconds\": 300", step, StringComparison.Ordinal);

        Assert.Contains(named, Refused(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_of_only_machine_time_is_still_a_step()
    {
        // No chef time at all is fine when a machine does the work: the chef loads it and walks away.
        var json = Catalog().Replace("\"workSeconds\": 300", "\"workSeconds\": 0, \"equipment\": \"oven\", \"equipmentSeconds\": 300", StringComparison.Ordinal)
            .Replace("\"stations\": [ { \"id\": \"pizza\" } ]", "\"stations\": [ { \"id\": \"pizza\" } ], \"equipment\": [ { \"id\": \"oven\" } ]", StringComparison.Ordinal);

        var step = CatalogLoader.Parse(json, "test.json").Restaurants[0].Menu[0].Steps[0];

        Assert.Equal(TimeSpan.Zero, step.Work);
        Assert.Equal(TimeSpan.FromSeconds(300), step.EquipmentTime);
        Assert.Contains("menu[pizza].steps[0]: a step must take some time", Refused(Catalog().Replace("\"workSeconds\": 300", "\"workSeconds\": 0", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_time_that_is_not_a_number_stops_start_up_and_names_it(double bad)
    {
        // A catalog built in code (a scenario's variant) can carry what JSON cannot.
        var message = Refused(doc =>
        {
            doc.Fleet = new FleetDocument { OfferSeconds = bad, StaleSeconds = bad, PickupServiceSeconds = bad };
            doc.Routing = new RoutingDocument { SilentAfterSeconds = bad, LocalityMarginMinutes = bad };
            var outlet = doc.Restaurants![0].Outlets![0];
            outlet.LeaseSeconds = bad;
            outlet.MaxPromiseMinutes = bad;
            outlet.Stations![0].Autoscale = new AutoscaleDocument { TargetWaitSeconds = bad, CooldownSeconds = bad };
        });

        foreach (var path in new[] { "fleet.offerSeconds", "fleet.staleSeconds", "fleet.pickupServiceSeconds", "routing.silentAfterSeconds",
            "routing.localityMarginMinutes", "outlets[k1].leaseSeconds", "outlets[k1].maxPromiseMinutes",
            "stations[pizza].autoscale.targetWaitSeconds", "stations[pizza].autoscale.cooldownSeconds" })
            Assert.Contains($"{path}: ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_offer_time_is_kept_as_written_and_one_too_long_for_a_clock_stops_start_up()
    {
        // Times over twelve hours used to be cut to twelve hours without a word.
        var day = CatalogLoader.Parse(Catalog("\"fleet\": { \"offerSeconds\": 86400, \"staleSeconds\": 86400 }, \"routing\": { \"silentAfterSeconds\": 86400 },",
            "\"leaseSeconds\": 86400,"), "test.json");
        Assert.Equal(TimeSpan.FromDays(1), day.Fleet.OfferTimeout);
        Assert.Equal(TimeSpan.FromDays(1), day.Fleet.StaleAfter);
        Assert.Equal(TimeSpan.FromDays(1), day.Routing.SilentAfter);
        Assert.Equal(TimeSpan.FromDays(1), day.Restaurants[0].Outlets[0].Lease);

        var message = Refused(Catalog("\"fleet\": { \"offerSeconds\": 1e300 },", "\"leaseSeconds\": 1e300,"));

        Assert.Contains("fleet.offerSeconds: 1E+300 seconds is longer than 1000 years", message, StringComparison.Ordinal);
        Assert.Contains("outlets[k1].leaseSeconds: 1E+300 seconds is longer than 1000 years", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_time_too_long_for_a_kitchen_stops_start_up_and_names_it()
    {
        var message = Refused(Catalog().Replace("\"workSeconds\": 300", "\"workSeconds\": 1e300", StringComparison.Ordinal));

        Assert.Contains("menu[pizza].steps[0].workSeconds: 1E+300 seconds is longer than 12 hours", message, StringComparison.Ordinal);
    }

    // Stock, what is being prepped and a batch are added up in ints: near int.MaxValue the sum wraps round to a
    // negative level, below par, and the kitchen preps batch after batch.
    [Theory]
    [InlineData("\"stock\": [ { \"component\": \"dough\", \"par\": 2147483647, \"initial\": 0 } ],", "", "outlets[k1].stock[dough].par: must be between 0 and 100000, not 2147483647")]
    [InlineData("\"stock\": [ { \"component\": \"dough\", \"par\": 4, \"initial\": 2147483647 } ],", "", "outlets[k1].stock[dough].initial: must be between 0 and 100000, not 2147483647")]
    [InlineData("\"stock\": [ { \"component\": \"dough\", \"par\": -1, \"initial\": 0 } ],", "", "outlets[k1].stock[dough].par: must be between 0 and 100000, not -1")]
    [InlineData("", "2147483647", "restaurants[r].components[dough].batch: must be between 1 and 100000, not 2147483647")]
    [InlineData("", "0", "restaurants[r].components[dough].batch: must be between 1 and 100000, not 0")]
    public void Stock_counts_too_large_to_add_up_stop_start_up_and_are_named(string stock, string batch, string named)
    {
        var components = batch.Length > 0 ? Dough.Replace("\"batch\": 4", $"\"batch\": {batch}", StringComparison.Ordinal) : Dough;

        Assert.Contains(named, Refused(Catalog(outletExtra: stock, components: components)), StringComparison.Ordinal);
        Assert.NotNull(CatalogLoader.Parse(Catalog(components: Dough.Replace("\"batch\": 4", $"\"batch\": {CatalogCompiler.MaxStock}", StringComparison.Ordinal),
            outletExtra: $"\"stock\": [ {{ \"component\": \"dough\", \"par\": {CatalogCompiler.MaxStock}, \"initial\": {CatalogCompiler.MaxStock} }} ],"), "test.json"));
    }

    [Theory]
    [InlineData("\"radiusKm\": 3,")]
    [InlineData("\"radiusKm\": -1,")]
    public void A_zone_with_both_a_radius_and_a_polygon_stops_start_up_instead_of_ignoring_the_radius(string radius)
    {
        var message = Refused(Catalog(outletExtra: $"\"zone\": {{ {radius} \"polygon\": [[52.5, 13.3], [52.6, 13.4], [52.5, 13.5]] }},"));

        Assert.Contains("outlets[k1].zone: give radiusKm or polygon, not both", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"polygon\": [[52.5, 13.3], [52.6, 13.4]]", "zone.polygon: needs at least 3 valid [lat, lon] vertices")]
    [InlineData("\"polygon\": [[52.5, 13.3], [91, 13.4], [52.5, 13.5]]", "zone.polygon: needs at least 3 valid [lat, lon] vertices")]
    [InlineData("\"polygon\": [[52.5, 13.3], [52.6, 181], [52.5, 13.5]]", "zone.polygon: needs at least 3 valid [lat, lon] vertices")]
    [InlineData("\"polygon\": [[52.5, 13.3, 1], [52.6, 13.4], [52.5, 13.5]]", "zone.polygon: needs at least 3 valid [lat, lon] vertices")]
    [InlineData("\"radiusKm\": 0", "zone.radiusKm: must be more than 0 and at most 20000, not 0")]
    [InlineData("\"radiusKm\": 1e300", "zone.radiusKm: must be more than 0 and at most 20000, not 1E+300")]
    public void A_zone_that_is_not_a_shape_on_the_map_stops_start_up_and_names_it(string zone, string named)
    {
        Assert.Contains("outlets[k1]." + named, Refused(Catalog(outletExtra: $"\"zone\": {{ {zone} }},")), StringComparison.Ordinal);
    }

    /// <summary>The test catalog with its outlet moved to <paramref name="lat"/>, <paramref name="lon"/> and delivering to <paramref name="polygon"/>.</summary>
    private static string PolygonCatalog(string polygon, double lat = 52.52, double lon = 13.40) =>
        Catalog(outletExtra: $"\"zone\": {{ \"polygon\": {polygon} }},").Replace("\"lat\": 52.52, \"lon\": 13.40",
            FormattableString.Invariant($"\"lat\": {lat}, \"lon\": {lon}"), StringComparison.Ordinal);

    [Theory]
    // A bow-tie: the diagonals are edges.
    [InlineData("[[52.5, 13.3], [52.6, 13.5], [52.6, 13.3], [52.5, 13.5]]", 52.52, 13.40, "crosses itself between edges 0 and 2")]
    // A figure of eight pinched at one point: the third vertex comes round again as the sixth.
    [InlineData("[[52.5, 13.3], [52.6, 13.3], [52.55, 13.4], [52.6, 13.5], [52.5, 13.5], [52.55, 13.4]]", 52.52, 13.40, "crosses itself between edges 1 and 4")]
    // An edge that turns back along the one before it.
    [InlineData("[[52.5, 13.3], [52.5, 13.5], [52.5, 13.4], [52.6, 13.4]]", 52.52, 13.40, "crosses itself between edges 0 and 1")]
    // A bow-tie across the 180th meridian, read the short way as point-in-polygon reads it.
    [InlineData("[[-16.75, 179.95], [-16.85, -179.95], [-16.85, 179.95], [-16.75, -179.95]]", -16.80, 179.99, "crosses itself between edges 0 and 2")]
    public void A_zone_polygon_that_crosses_itself_stops_start_up_and_names_the_edges(string polygon, double lat, double lon, string named)
    {
        Assert.Contains("restaurants[r].outlets[k1].zone.polygon: " + named, Refused(PolygonCatalog(polygon, lat, lon)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[[52.5, 13.3], [52.5, 13.3], [52.6, 13.4], [52.5, 13.5]]", "vertex 1 repeats vertex 0")]
    // Closed as a GeoJSON ring is: the closing edge is implied, so the repeat is an edge of no length.
    [InlineData("[[52.5, 13.3], [52.6, 13.4], [52.5, 13.5], [52.5, 13.3]]", "vertex 3 repeats vertex 0")]
    [InlineData("[[52.5, 13.3], [52.6, 13.4], [52.7, 13.5]]", "encloses no area: its vertices lie on one line")]
    [InlineData("[[52.5, 13.3], [52.6, 13.4], [52.7, 13.5], [52.55, 13.35]]", "encloses no area: its vertices lie on one line")]
    // The same meridian written both ways round is the same point.
    [InlineData("[[-16.75, 180], [-16.75, -180], [-16.85, 179.95]]", "vertex 1 repeats vertex 0")]
    public void A_zone_polygon_with_a_repeated_vertex_or_no_area_stops_start_up_and_names_it(string polygon, string named)
    {
        var (lat, lon) = polygon.Contains("-16.", StringComparison.Ordinal) ? (-16.80, 179.99) : (52.52, 13.40);

        Assert.Contains("restaurants[r].outlets[k1].zone.polygon: " + named, Refused(PolygonCatalog(polygon, lat, lon)), StringComparison.Ordinal);
    }

    [Theory]
    // Concave, with a vertex in the middle of a straight edge: simple all the same.
    [InlineData("[[52.5, 13.3], [52.5, 13.4], [52.5, 13.5], [52.6, 13.5], [52.55, 13.4], [52.6, 13.3]]", 52.52, 13.40, 52.52, 13.45)]
    // Across the 180th meridian: simple the short way, though its longitudes read as numbers cross (edges 0 and 2).
    [InlineData("[[0, 179.9], [1, -179.9], [0.9, -179.95], [0.95, 179.95]]", 0.5, 179.99, 0.7, -179.99)]
    public void A_zone_polygon_that_does_not_cross_itself_is_taken_and_holds_the_points_inside_it(string polygon, double lat, double lon, double insideLat, double insideLon)
    {
        var outlet = CatalogLoader.Parse(PolygonCatalog(polygon, lat, lon), "test.json").Restaurants[0].Outlets[0];

        Assert.True(outlet.Zone.Contains(new Brigade.Geo.GeoPoint(insideLat, insideLon)));
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("0")]
    public void A_fleet_start_area_wider_than_the_globe_or_of_no_size_stops_start_up_and_names_it(string km)
    {
        var message = Refused(Catalog(routing: $"\"fleet\": {{ \"simulatedCouriers\": 3, \"radiusKm\": {km} }},"));

        Assert.Contains($"fleet.radiusKm: must be more than 0 and at most 20000, not {double.Parse(km, System.Globalization.CultureInfo.InvariantCulture)}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_catalog_time_zone_that_does_not_exist_stops_start_up_even_when_every_outlet_names_its_own()
    {
        var json = Catalog(outletExtra: "\"timeZone\": \"Europe/Berlin\",").Replace("\"timeZone\": \"UTC\"", "\"timeZone\": \"Europe/Berlinn\"", StringComparison.Ordinal);

        Assert.Contains("timeZone: unknown time zone 'Europe/Berlinn'", Refused(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../../etc/passwd")]
    [InlineData("UTC\u0000")]
    public void A_time_zone_that_is_not_a_name_stops_start_up_with_a_message_not_a_stack_trace(string zone)
    {
        var json = Catalog(outletExtra: $"\"timeZone\": {System.Text.Json.JsonSerializer.Serialize(zone)},");

        Assert.Contains("restaurants[r].outlets[k1].timeZone: ", Refused(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_id_is_refused_with_what_an_id_may_hold()
    {
        var message = Refused(Catalog().Replace("\"id\": \"pizza\", \"priceCents\"", "\"id\": \"Pizza!\", \"priceCents\"", StringComparison.Ordinal));

        Assert.Contains("restaurants[r].menu[Pizza!].id: 'Pizza!' is not a valid id (1 to 64 lowercase letters a-z, digits, '-' and '_')", message, StringComparison.Ordinal);
        // The underscore the message promises is taken.
        Assert.NotNull(CatalogLoader.Parse(Catalog().Replace("\"id\": \"pizza\", \"priceCents\"", "\"id\": \"pizza_large\", \"priceCents\"", StringComparison.Ordinal), "test.json"));
    }
}
