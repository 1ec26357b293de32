using System.Net;
using System.Net.Http.Json;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>Outlets' health and routing through the real host (demo catalog: two pizza outlets in Berlin).</summary>
public class OutletApiTests
{
    /// <summary>Within both pizza outlets' 5 km zones, nearer the north one.</summary>
    private const string MidCustomer = """{"restaurantId":"pizza-parlor","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.5160,"lon":13.4050}}""";

    private const string NorthCustomer = """{"restaurantId":"pizza-parlor","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.5400,"lon":13.4100}}""";

    [Fact]
    public async Task An_order_without_an_outlet_is_routed_and_the_decision_is_in_its_audit_trail()
    {
        await using var app = await TestApp.StartAsync();
        var order = await app.PlaceAsync(NorthCustomer);
        Assert.Equal("pizza-north", order.GetProperty("outletId").GetString());

        var events = await app.GetJsonAsync($"/api/orders/{order.GetProperty("id").GetString()}/events");
        var routed = events.EnumerateArray().Single(e => e.GetProperty("type").GetString() == "OrderRouted").GetProperty("data");
        Assert.Equal("pizza-north", routed.GetProperty("outletId").GetString());
        Assert.False(string.IsNullOrEmpty(routed.GetProperty("reason").GetString()));
        Assert.Equal(["pizza-north", "pizza-south"], routed.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("outletId").GetString()));
    }

    [Fact]
    public async Task An_address_outside_every_zone_is_a_422_problem()
    {
        await using var app = await TestApp.StartAsync();
        using var response = await app.PostOrderAsync("""{"restaurantId":"pizza-parlor","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.40,"lon":13.05}}""", "far");
        var problem = await ProblemAssert.IsProblem(response, 422);
        Assert.Equal("urn:brigade:problem:outside-delivery-zone", problem.GetProperty("type").GetString());
        Assert.Equal(0, await OrderApiTests.CountPlacedAsync(app));
    }

    [Fact]
    public async Task Staff_pause_and_resume_an_outlet_and_orders_go_elsewhere_meanwhile()
    {
        await using var app = await TestApp.StartAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync("/api/outlets/pizza-north/pause", new { reason = "oven cleaning" })).StatusCode);
        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/pizza-north/pause", new { reason = "again" }), 409);
        Assert.Equal("paused", (await app.GetJsonAsync("/api/outlets/pizza-north")).GetProperty("health").GetProperty("status").GetString());

        Assert.Equal("pizza-south", (await app.PlaceAsync(MidCustomer)).GetProperty("outletId").GetString());
        var direct = await app.PostOrderAsync("""{"restaurantId":"pizza-parlor","outletId":"pizza-north","items":[{"menuItemId":"margherita","quantity":1}]}""", "direct");
        Assert.Equal("urn:brigade:problem:outlet-unavailable", (await ProblemAssert.IsProblem(direct, 409)).GetProperty("type").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/pizza-north/resume", null)).StatusCode);
        Assert.Equal("pizza-north", (await app.PlaceAsync(MidCustomer)).GetProperty("outletId").GetString());
        await ProblemAssert.IsProblem(await app.Client.PostAsync("/api/outlets/nowhere/resume", null), 404);
    }

    [Fact]
    public async Task The_route_preview_explains_the_choice_and_the_outlet_list_shows_health()
    {
        await using var app = await TestApp.StartAsync();
        var preview = await app.GetJsonAsync("/api/restaurants/pizza-parlor/route?lat=52.49&lon=13.396&items=margherita:2,garlic-bread");
        Assert.Equal("pizza-south", preview.GetProperty("chosenOutletId").GetString());
        var candidates = preview.GetProperty("candidates").EnumerateArray().ToDictionary(c => c.GetProperty("outletId").GetString()!);
        Assert.True(candidates["pizza-south"].GetProperty("promisedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("the address is outside its delivery zone", candidates["pizza-north"].GetProperty("why").GetString()); // 5.5 km away, 5 km zone
        await ProblemAssert.IsProblem(await app.Client.GetAsync("/api/restaurants/pizza-parlor/route?items=margherita:0"), 422);
        await ProblemAssert.IsProblem(await app.Client.GetAsync("/api/restaurants/nope/route?items=x:1"), 404);

        var outlets = await app.GetJsonAsync("/api/outlets");
        Assert.Equal(4, outlets.GetArrayLength());
        Assert.All(outlets.EnumerateArray(), o => Assert.Equal("open", o.GetProperty("health").GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData(51, 1, "At most 50 lines per order, not 51.")]
    [InlineData(3, 99, "At most 200 items in one order, not 297.")]
    public async Task A_route_preview_bigger_than_any_order_may_be_is_a_422_problem_as_placing_it_would_be(int lines, int quantity, string says)
    {
        await using var app = await TestApp.StartAsync();
        var items = string.Join(',', Enumerable.Repeat($"margherita:{quantity}", lines));
        using var response = await app.Client.GetAsync($"/api/restaurants/pizza-parlor/route?items={items}");
        var problem = await ProblemAssert.IsProblem(response, 422);
        Assert.Contains(says, problem.GetProperty("errors").GetProperty("items")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_route_preview_for_an_item_not_on_the_menu_is_a_422_problem_not_a_busy_kitchen()
    {
        await using var app = await TestApp.StartAsync();
        using var response = await app.Client.GetAsync("/api/restaurants/pizza-parlor/route?items=margherita:1,sushi:2");
        var problem = await ProblemAssert.IsProblem(response, 422);
        Assert.Contains("sushi", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_simulated_power_cut_silences_an_outlet_and_its_waiting_orders_move()
    {
        // Human pizza stations, so orders wait unstarted; 600x clock, so the 90 s silence threshold passes in 0.15 s.
        await using var app = await TestApp.StartAsync(timeScale: 600, catalogJson: TestCatalogs.TwinJson);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await app.PlaceAsync("""{"restaurantId":"r","outletId":"k1","items":[{"menuItemId":"pizza","quantity":1}]}""")).GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k1/power/cut", null)).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await app.GetJsonAsync("/api/outlets/k1")).GetProperty("health").GetProperty("status").GetString() != "silent")
        {
            Assert.True(DateTime.UtcNow < deadline, "the outlet was never found silent");
            await Task.Delay(50);
        }

        foreach (var id in ids)
        {
            var order = await app.GetJsonAsync($"/api/orders/{id}");
            Assert.Equal("k2", order.GetProperty("outletId").GetString());
            var types = (await app.GetJsonAsync($"/api/orders/{id}/events")).EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
            Assert.Contains("OrderRerouted", types);
            Assert.Single(types, t => t == "OrderWithdrawn");
        }
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k1/power/restore", null)).StatusCode);
    }
}
