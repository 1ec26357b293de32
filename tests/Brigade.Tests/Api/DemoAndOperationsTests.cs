using System.Text.Json;
using Brigade.Engine;
using Brigade.Hosting;
using Brigade.Operations;
using Brigade.Orders;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>Demo mode's synthetic customers, and the figures the dispatcher's map and the operations page read.</summary>
public class DemoAndOperationsTests
{
    private static readonly Dictionary<string, string?> Demo = new()
    {
        ["Brigade:Demo"] = "true",
        ["Brigade:DemoTraffic:OrdersPerHour"] = "120",
        ["Brigade:DemoTraffic:PickupShare"] = "0.3",
    };

    [Fact]
    public async Task A_demo_server_places_orders_and_its_simulated_couriers_deliver_them_within_hours_of_kitchen_time()
    {
        // 600 times real time: two hours of kitchen time take twelve seconds.
        await using var app = await TestApp.StartAsync(timeScale: 600, extra: Demo);
        var clock = app.Service<EngineHost>().Clock;
        var started = clock.GetUtcNow();
        var orders = app.Service<OrderReadModel>();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!(orders.All.Any(o => o.Status == OrderStatus.Delivered) && orders.All.Any(o => o.Status == OrderStatus.Collected)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"after {(clock.GetUtcNow() - started).TotalMinutes:0} minutes of kitchen time: " +
                string.Join(", ", orders.All.GroupBy(o => o.Status).Select(g => $"{g.Count()} {g.Key}")));
            await Task.Delay(100);
        }

        var all = orders.All.ToList();
        Assert.All(all, o => Assert.Equal("demo-customer", o.CustomerId));
        var delivered = all.Where(o => o.Status == OrderStatus.Delivered).ToList();
        var firstDelivered = delivered.Min(o => o.Timeline.DeliveredAt!.Value);
        Assert.True(firstDelivered - started < TimeSpan.FromHours(3), $"first delivery {firstDelivered - started} after start");
        Assert.All(delivered, o =>
        {
            Assert.NotNull(o.DeliverTo);
            Assert.StartsWith("sim-", o.CourierId, StringComparison.Ordinal);
        });
        var collected = all.First(o => o.Status == OrderStatus.Collected);
        Assert.Null(collected.DeliverTo);
        Assert.True(collected.Timeline.CollectedAt >= collected.Timeline.ReadyAt);

        // The operations summary counted them, and the router's decisions are listed, newest first.
        var summary = await app.GetJsonAsync("/api/ops/summary");
        var minutes = summary.GetProperty("minutes").EnumerateArray().ToList();
        Assert.Equal(60, minutes.Count);
        Assert.True(minutes.Sum(m => m.GetProperty("placed").GetInt32()) > 0);
        Assert.True(minutes.Sum(m => m.GetProperty("delivered").GetInt32()) > 0);
        Assert.Equal(600, summary.GetProperty("timeScale").GetDouble());
        var sample = summary.GetProperty("samples").EnumerateArray().Last();
        Assert.Equal(12, sample.GetProperty("couriersOnShift").GetInt32());
        Assert.Equal(summary.GetProperty("stations").GetArrayLength(), sample.GetProperty("waitSeconds").GetArrayLength());

        var decisions = (await app.GetJsonAsync("/api/dispatch/decisions?limit=5")).EnumerateArray().ToList();
        Assert.InRange(decisions.Count, 1, 5);
        Assert.All(decisions, d => Assert.Contains(d.GetProperty("kind").GetString(), new[] { "routed", "rerouted" }));
        var times = decisions.Select(d => d.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);
        Assert.NotEmpty(decisions[0].GetProperty("candidates").EnumerateArray());
    }

    [Fact]
    public void Demo_customers_with_the_same_seed_make_the_same_choices_and_order_only_what_can_be_served()
    {
        var catalog = Catalog.CatalogLoader.Load(null);
        var options = new DemoOptions { Seed = 7, OrdersPerHour = 60, PickupShare = 0.2 };
        var one = new DemoCustomers(catalog, options);
        var two = new DemoCustomers(catalog, options);
        var other = new DemoCustomers(catalog, new DemoOptions { Seed = 8, OrdersPerHour = 60, PickupShare = 0.2 });

        var orders = new List<DemoOrder>();
        var gaps = new List<TimeSpan>();
        var differs = false;
        for (var i = 0; i < 2000; i++)
        {
            var (a, b, c) = (one.Next(), two.Next(), other.Next());
            var (ga, gb) = (one.NextGap(), two.NextGap());
            other.NextGap();
            Assert.Equal(a.Order.Hash(), b.Order.Hash());
            Assert.Equal(a.HandoffCode, b.HandoffCode);
            Assert.Equal(ga, gb);
            differs |= a.Order.Hash() != c.Order.Hash();
            orders.Add(a);
            gaps.Add(ga);
        }
        Assert.True(differs, "another seed, other customers");

        foreach (var (order, code) in orders)
        {
            var restaurant = catalog.FindRestaurant(order.RestaurantId)!;
            Assert.All(order.Lines, l => Assert.NotNull(restaurant.FindItem(l.MenuItemId)));
            Assert.Equal(order.Lines.Count, order.Lines.Select(l => l.MenuItemId).Distinct().Count());
            if (order.DeliverTo is { } to)
            {
                Assert.Null(order.OutletId);
                Assert.Contains(restaurant.Outlets, o => o.Zone.Contains(to));
                Assert.Matches("^[0-9]{4}$", code);
            }
            else
            {
                Assert.Contains(restaurant.Outlets, o => o.Id == order.OutletId);
                Assert.Null(code);
            }
        }
        // About a fifth pick up; about one a minute at 60 an hour.
        Assert.InRange(orders.Count(o => o.Order.DeliverTo is null) / 2000.0, 0.16, 0.24);
        Assert.InRange(gaps.Average(g => g.TotalMinutes), 0.9, 1.1);
    }

    [Fact]
    public void Demo_mode_runs_the_clock_fast_unless_a_time_scale_is_given()
    {
        Assert.Equal(1, new BrigadeOptions().EffectiveTimeScale);
        Assert.Equal(BrigadeOptions.DemoTimeScale, new BrigadeOptions { Demo = true }.EffectiveTimeScale);
        Assert.Equal(5, new BrigadeOptions { Demo = true, TimeScale = 5 }.EffectiveTimeScale);
        Assert.NotNull(new BrigadeOptions { Demo = true, DemoTraffic = { OrdersPerHour = 0 } }.Validate());
        Assert.NotNull(new BrigadeOptions { TimeScale = -1 }.Validate());
    }

    [Theory]
    [InlineData("Limits:RequestsPerSecond", "0")]
    [InlineData("Limits:Burst", "0")]
    [InlineData("Limits:GuestTokensPerMinute", "0")]
    [InlineData("Limits:CourierLocationsPerSecond", "-1")]
    [InlineData("Limits:CourierLocationBurst", "0")]
    [InlineData("Limits:MaxBodyBytes", "0")]
    [InlineData("Limits:RequestTimeoutSeconds", "0")]
    [InlineData("Payments:TimeoutMinutes", "0")]
    [InlineData("Payments:TimeoutMinutes", "-5")]
    [InlineData("Payments:WebhookToleranceSeconds", "0")]
    [InlineData("Payments:WebhookToleranceSeconds", "-1")]
    public void Refuses_to_start_with_a_limit_that_cannot_work_and_names_it(string setting, string value)
    {
        using var dir = new TempDir("settings");
        var settings = new Dictionary<string, string?> { ["Brigade:DataDir"] = dir.Path, [$"Brigade:{setting}"] = value };
        var e = Assert.Throws<SettingsException>(() => BrigadeServer.Build(settings));
        Assert.Contains($"Brigade:{setting}", e.Message, StringComparison.Ordinal);
        Assert.Null(new BrigadeOptions().Validate());
    }

    [Theory]
    [InlineData("TimeScale", "1e300")]
    [InlineData("TimeScale", "1e9")]
    [InlineData("Limits:RequestsPerSecond", "1e-300")]
    [InlineData("Limits:CourierLocationsPerSecond", "1e-12")]
    [InlineData("Telemetry:OtlpEndpoint", "notaurl")]
    [InlineData("Auth:GuestTokenMinutes", "abc")]
    [InlineData("Limits:Burst", "many")]
    public void Refuses_to_start_with_a_setting_it_cannot_use_or_read_and_names_it_instead_of_crashing_later(string setting, string value)
    {
        using var dir = new TempDir("settings");
        var settings = new Dictionary<string, string?> { ["Brigade:DataDir"] = dir.Path, [$"Brigade:{setting}"] = value };
        var e = Assert.Throws<SettingsException>(() => BrigadeServer.Build(settings));
        Assert.Contains($"Brigade:{setting}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("EvaluateEverySeconds", "1e7", "Brigade:Alerts:EvaluateEverySeconds")]
    [InlineData("EvaluateEverySeconds", "NaN", "Brigade:Alerts:EvaluateEverySeconds")]
    [InlineData("Rules:0:WindowMinutes", "1e300", "Brigade:Alerts:Rules[0]: WindowMinutes")]
    public void Refuses_to_start_with_an_alert_time_no_timer_or_clock_can_hold_and_names_it(string setting, string value, string named)
    {
        using var dir = new TempDir("settings");
        var settings = new Dictionary<string, string?>
        {
            ["Brigade:DataDir"] = dir.Path,
            ["Brigade:Alerts:Rules:0:Kind"] = "failedOrders",
            [$"Brigade:Alerts:{setting}"] = value,
        };
        var e = Assert.Throws<SettingsException>(() => BrigadeServer.Build(settings));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_to_start_with_a_device_heartbeat_outlet_the_catalog_lacks_and_names_it()
    {
        using var dir = new TempDir("settings");
        var settings = new Dictionary<string, string?>
        {
            ["Brigade:DataDir"] = dir.Path,
            ["Brigade:DeviceHeartbeatOutlets:0"] = "pizza-north",
            ["Brigade:DeviceHeartbeatOutlets:1"] = "pizza-west",
        };
        var e = Assert.Throws<SettingsException>(() => BrigadeServer.Build(settings));
        Assert.Contains("Brigade:DeviceHeartbeatOutlets", e.Message, StringComparison.Ordinal);
        Assert.Contains("'pizza-west'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_to_start_when_payment_is_required_of_a_restaurant_the_catalog_lacks_and_names_it()
    {
        // A misspelt restaurant would otherwise leave the list non-empty and match nothing: no order paid for.
        using var dir = new TempDir("settings");
        var settings = new Dictionary<string, string?>
        {
            ["Brigade:DataDir"] = dir.Path,
            ["Brigade:Payments:Required"] = "true",
            ["Brigade:Payments:Restaurants:0"] = "pizza-parlour",
        };
        var e = Assert.Throws<SettingsException>(() => BrigadeServer.Build(settings));
        Assert.Contains("Brigade:Payments:Restaurants", e.Message, StringComparison.Ordinal);
        Assert.Contains("'pizza-parlour'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_outlet_configured_for_device_heartbeats_goes_silent_without_them_and_is_back_with_the_next()
    {
        // 600× kitchen time: the catalog's 90 s of silence pass in 0.15 s.
        await using var app = await TestApp.StartAsync(timeScale: 600, extra: new Dictionary<string, string?> { ["Brigade:DeviceHeartbeatOutlets:0"] = "pizza-north" });
        async Task<string> StatusOf(string outlet) =>
            (await app.GetJsonAsync("/api/dispatch")).GetProperty("outlets").EnumerateArray()
                .Single(o => o.GetProperty("outletId").GetString() == outlet).GetProperty("health").GetProperty("status").GetString()!;

        for (var i = 0; i < 100 && await StatusOf("pizza-north") != "silent"; i++) await Task.Delay(100);

        Assert.Equal("silent", await StatusOf("pizza-north"));
        Assert.Equal("open", await StatusOf("pizza-south"));   // its heartbeats are simulated
        using var beat = await app.Client.PostAsync("/api/outlets/pizza-north/heartbeat", null);
        Assert.True(beat.IsSuccessStatusCode, $"heartbeat answered {(int)beat.StatusCode}");
        Assert.Equal("open", await StatusOf("pizza-north"));
    }

    [Fact]
    public async Task The_dispatch_view_carries_every_outlet_with_its_health_and_the_simulated_couriers()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        await app.Client.PostAsync("/api/outlets/pizza-south/pause", TestApp.Json("""{"reason":"oven repair"}"""));

        var view = await app.GetJsonAsync("/api/dispatch");
        var outlets = view.GetProperty("outlets").EnumerateArray().ToDictionary(o => o.GetProperty("outletId").GetString()!);
        Assert.Equal(["burger-east", "coffee-central", "pizza-north", "pizza-south"], outlets.Keys.Order());
        Assert.Equal("paused", outlets["pizza-south"].GetProperty("health").GetProperty("status").GetString());
        Assert.Equal("open", outlets["pizza-north"].GetProperty("health").GetProperty("status").GetString());
        Assert.Equal(12, view.GetProperty("couriers").GetArrayLength());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("201")]
    [InlineData("ten")]
    [InlineData("-1")]
    public async Task A_decisions_limit_out_of_range_is_a_problem_not_an_error(string limit)
    {
        await using var app = await TestApp.StartAsync();
        var problem = await ProblemAssert.IsProblem(await app.Client.GetAsync($"/api/dispatch/decisions?limit={limit}"), 422);
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task The_decision_stream_sends_the_latest_decisions_and_again_when_the_router_decides()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (_, body) = await Sse.OpenAsync(app.Client, "/api/dispatch/decisions/stream?limit=10");
        var messages = Sse.ReadAsync(body, cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await messages.MoveNextAsync());
        Assert.Equal("decisions", messages.Current.Event);
        Assert.Equal(0, messages.Current.Data.GetArrayLength());

        var placed = await app.PlaceAsync("""{"restaurantId":"pizza-parlor","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.52,"lon":13.40}}""");
        Assert.True(await messages.MoveNextAsync());
        var decision = messages.Current.Data[0];
        Assert.Equal(placed.GetProperty("id").GetString(), decision.GetProperty("orderId").GetString());
        Assert.Equal(placed.GetProperty("outletId").GetString(), decision.GetProperty("outletId").GetString());
        Assert.False(string.IsNullOrEmpty(decision.GetProperty("reason").GetString()));
        Assert.Equal(2, decision.GetProperty("candidates").GetArrayLength());
        await messages.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/dispatch/decisions/stream")]
    [InlineData("/api/ops/summary/stream")]
    public async Task An_operations_stream_stays_open_past_the_time_limit_of_an_ordinary_request(string url)
    {
        await using var app = await TestApp.StartAsync(timeScale: 60, extra: new Dictionary<string, string?> { ["Brigade:Limits:RequestTimeoutSeconds"] = "0.5" });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (_, body) = await Sse.OpenAsync(app.Client, url);
        await using var messages = Sse.ReadAsync(body, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await messages.MoveNextAsync());

        // Well past the limit, the router decides (and the sampler samples): the stream must still be there to say so.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await app.PlaceAsync("""{"restaurantId":"pizza-parlor","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.52,"lon":13.40}}""");
        Assert.True(await messages.MoveNextAsync(), $"{url} ended at the request time limit instead of streaming on");
    }

    [Fact]
    public async Task The_operations_stream_sends_a_summary_and_a_new_sample_every_few_seconds()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (response, body) = await Sse.OpenAsync(app.Client, "/api/ops/summary/stream");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var seen = new List<JsonElement>();
        await foreach (var m in Sse.ReadAsync(body, cts.Token))
        {
            Assert.Equal("summary", m.Event);
            seen.Add(m.Data);
            if (seen.Count == 2) break;
        }
        Assert.True(seen[1].GetProperty("samples").GetArrayLength() > seen[0].GetProperty("samples").GetArrayLength());
        var station = seen[0].GetProperty("stations")[0];
        Assert.False(string.IsNullOrEmpty(station.GetProperty("outletName").GetString()));
        Assert.True(station.GetProperty("targetWaitSeconds").GetDouble() > 0);
    }
}
