using System.Net;
using System.Text.Json;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>The ordering API through the real host on a temporary SQLite file.</summary>
public class OrderApiTests
{
    private const string PizzaAndBread = """
        {"restaurantId":"pizza-parlor","outletId":"pizza-north",
         "items":[{"menuItemId":"margherita","quantity":1},{"menuItemId":"garlic-bread","quantity":1}],
         "deliverTo":{"lat":52.53,"lon":13.41}}
        """;

    private const string PickupLatte = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1}]}""";

    [Fact]
    public async Task Lists_restaurants_with_their_outlets_and_positions()
    {
        await using var app = await TestApp.StartAsync();

        var restaurants = await app.GetJsonAsync("/api/restaurants");

        var ids = restaurants.EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(["pizza-parlor", "corner-coffee", "burger-bar"], ids);
        var pizza = restaurants[0].GetProperty("outlets");
        Assert.Equal(["pizza-north", "pizza-south"], pizza.EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.InRange(pizza[0].GetProperty("lat").GetDouble(), 52.3, 52.7);
        Assert.InRange(pizza[0].GetProperty("lon").GetDouble(), 13.0, 13.8);
    }

    [Fact]
    public async Task Serves_a_menu_and_a_404_problem_for_an_unknown_restaurant()
    {
        await using var app = await TestApp.StartAsync();

        var menu = await app.GetJsonAsync("/api/restaurants/corner-coffee/menu");
        Assert.Equal(["espresso", "latte", "cappuccino"], menu.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        var times = menu.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("prepMinutes").GetDouble()).ToList();
        Assert.Equal(3, times.Distinct().Count());

        using var missing = await app.Client.GetAsync("/api/restaurants/nope/menu");
        await ProblemAssert.IsProblem(missing, 404);
    }

    [Fact]
    public async Task Places_an_order_and_answers_201_with_location_status_and_estimate()
    {
        await using var app = await TestApp.StartAsync();

        using var response = await app.PostOrderAsync(PizzaAndBread, "key-1");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        var order = JsonDocument.Parse(body).RootElement;
        var id = order.GetProperty("id").GetString()!;
        Assert.Equal($"/api/orders/{id}", response.Headers.Location?.OriginalString);
        Assert.Contains(order.GetProperty("status").GetString(), new[] { "accepted", "preparing" });
        Assert.Equal("pizza-north", order.GetProperty("outletId").GetString());
        Assert.True(order.GetProperty("estimatedReadyAt").GetDateTimeOffset() > order.GetProperty("timeline").GetProperty("placedAt").GetDateTimeOffset());
        // A delivery order is told when to expect it at the door from the start, not only once a courier has it.
        Assert.True(order.GetProperty("estimatedDeliveryAt").GetDateTimeOffset() > order.GetProperty("estimatedReadyAt").GetDateTimeOffset());
        // The 201 is rendered for its caller alone: an open order that nobody reads keeps no rendering in memory.
        var view = app.Service<OrderReadModel>().Find(id);
        Assert.NotNull(view);
        Assert.Null(view.RenderedJson);

        var fetched = await app.GetJsonAsync($"/api/orders/{id}");
        Assert.Equal(id, fetched.GetProperty("id").GetString());
        Assert.Equal(2, fetched.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_same_key_and_body_return_the_same_order_and_a_different_body_is_422()
    {
        await using var app = await TestApp.StartAsync();

        var first = await app.PlaceAsync(PizzaAndBread, "same-key");
        var again = await app.PlaceAsync(PizzaAndBread.Replace("\n", " ", StringComparison.Ordinal), "same-key");
        using var different = await app.PostOrderAsync(PickupLatte, "same-key");

        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        await ProblemAssert.IsProblem(different, 422);
        var placed = await CountPlacedAsync(app);
        Assert.Equal(1, placed);
    }

    [Fact]
    public async Task Racing_requests_with_one_key_place_exactly_one_order()
    {
        await using var app = await TestApp.StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            using var r = await app.PostOrderAsync(PickupLatte, "race-key");
            return (r.StatusCode, Body: JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(responses.Select(r => r.Body.GetProperty("id").GetString()).Distinct());
        Assert.Equal(1, await CountPlacedAsync(app));
    }

    public static TheoryData<string, string?, string?, int> BadInput => new()
    {
        // body, content type (null = json), idempotency key, status
        { PickupLatte, null, null, 400 },
        { PickupLatte, null, new string('k', 256), 400 },
        { PickupLatte, "text/plain", "k", 415 },
        { "{\"restaurantId\": ", null, "k", 400 },
        { "[1,2,3]", null, "k", 400 },
        { "null", null, "k", 400 },
        { """{"restaurantId":"nope","items":[{"menuItemId":"latte","quantity":1}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"nope","quantity":1}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":0}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":-3}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1e12}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1.5}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee"}""", null, "k", 422 },
        { """{"items":[{"menuItemId":"latte","quantity":1}]}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[null]}""", null, "k", 422 },
        { "{\"restaurantId\":\"corner-coffee\",\"items\":[" + string.Join(",", Enumerable.Repeat("""{"menuItemId":"latte","quantity":1}""", 51)) + "]}", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1}],"deliverTo":{"lat":91,"lon":13}}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1}],"deliverTo":{"lat":52,"lon":-181}}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1}],"deliverTo":{"lat":52}}""", null, "k", 422 },
        { """{"restaurantId":"corner-coffee","outletId":"pizza-north","items":[{"menuItemId":"latte","quantity":1}]}""", null, "k", 422 },
        { "{\"restaurantId\":\"corner-coffee\",\"note\":\"" + new string('x', 70_000) + "\"}", null, "k", 413 },
        { new string('[', 100) + new string(']', 100), null, "k", 400 },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_gets_a_problem_with_the_right_status_and_stores_nothing(string body, string? contentType, string? key, int status)
    {
        await using var app = await TestApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(body, System.Text.Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType ?? "application/json");
        if (key is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        using var response = await app.Client.SendAsync(request);

        await ProblemAssert.IsProblem(response, status);
        Assert.Equal(0, await CountPlacedAsync(app));
    }

    [Fact]
    public async Task Unknown_order_is_a_404_problem_everywhere()
    {
        await using var app = await TestApp.StartAsync();
        foreach (var url in new[] { "/api/orders/NOPE", "/api/orders/NOPE/events", "/api/orders/NOPE/stream" })
        {
            using var r = await app.Client.GetAsync(url);
            await ProblemAssert.IsProblem(r, 404);
        }
        using var cancel = await app.Client.PostAsync("/api/orders/NOPE/cancel", null);
        await ProblemAssert.IsProblem(cancel, 404);
    }

    [Fact]
    public async Task The_audit_trail_holds_every_step_from_placement_to_ready()
    {
        await using var app = await TestApp.StartAsync(timeScale: 6000);
        var id = (await app.PlaceAsync(PickupLatte)).GetProperty("id").GetString()!;
        await app.WaitForStatusAsync(id, "ready");

        var events = await app.GetJsonAsync($"/api/orders/{id}/events");

        var types = events.EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["OrderPlaced", "OrderRouted", "OrderAccepted"], types.Take(3));
        Assert.Contains("OrderQueued", types);
        Assert.Equal(4, types.Count(t => t == "TaskCompleted"));
        Assert.Contains("OrderPreparing", types);
        Assert.Equal("OrderReady", types[^1]);
        var ready = events.EnumerateArray().Last().GetProperty("data");
        Assert.True(ready.TryGetProperty("estimatedAtAcceptance", out _));
        var positions = events.EnumerateArray().Select(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public async Task A_pickup_order_can_be_collected_once_ready()
    {
        await using var app = await TestApp.StartAsync(timeScale: 6000);
        var id = (await app.PlaceAsync(PickupLatte)).GetProperty("id").GetString()!;

        await app.WaitForStatusAsync(id, "ready");
        using var collect = await app.Client.PostAsync($"/api/orders/{id}/collect", null);
        Assert.Equal(HttpStatusCode.OK, collect.StatusCode);
        using var twice = await app.Client.PostAsync($"/api/orders/{id}/collect", null);
        await ProblemAssert.IsProblem(twice, 409);
        Assert.Equal("collected", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_order_can_be_cancelled_until_cooking_starts()
    {
        // A human-run kitchen: nothing starts until a chef starts it.
        await using var app = await TestApp.StartAsync(catalogJson: HumanKitchen);
        var id = (await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""")).GetProperty("id").GetString()!;

        using var cancel = await app.Client.PostAsync($"/api/orders/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
        using var again = await app.Client.PostAsync($"/api/orders/{id}/cancel", null);
        await ProblemAssert.IsProblem(again, 409);

        var started = await app.Service<Brigade.Engine.EngineHost>().SendAsync((e, now, output) =>
        {
            var placed = e.PlaceOrder(new Brigade.Engine.PlaceOrder("HOT", "r", null, [new("soup", 1)], null, "anonymous", "x", "h"), now, output);
            return e.AtKitchen("k", now, output, (k, o) => k.StartTask("cook", null, now, o));
        });
        Assert.True(started.IsOk, started.Message);
        using var late = await app.Client.PostAsync("/api/orders/HOT/cancel", null);
        var problem = await ProblemAssert.IsProblem(late, 409);
        Assert.Contains("preparing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejects_an_order_when_the_kitchen_is_closed()
    {
        // Open for an hour, starting six hours from now: closed now.
        var opens = DateTime.UtcNow.AddHours(6);
        string Time(DateTime t) => t.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        await using var app = await TestApp.StartAsync(catalogJson: HumanKitchen.Replace("\"00:00\"", $"\"{Time(opens)}\"", StringComparison.Ordinal)
            .Replace("\"24:00\"", $"\"{Time(opens.AddHours(1))}\"", StringComparison.Ordinal));

        using var response = await app.PostOrderAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""", "closed");

        var problem = await ProblemAssert.IsProblem(response, 409);
        Assert.Contains("closed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountPlacedAsync(app));
    }

    [Fact]
    public async Task Serves_an_OpenAPI_document_describing_the_order_endpoints()
    {
        await using var app = await TestApp.StartAsync();
        var doc = await app.GetJsonAsync("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/orders", out var orders));
        Assert.True(orders.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/orders/{id}/stream", out _));
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        await using var app = await TestApp.StartAsync();
        using var live = await app.Client.GetAsync("/health/live");
        using var ready = await app.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    internal const string HumanKitchen = """
        {
          "timeZone": "UTC",
          "restaurants": [{
            "id": "r", "name": "Soup Kitchen",
            "menu": [ { "id": "soup", "priceCents": 500, "steps": [ { "station": "stove", "workSeconds": 300 } ] } ],
            "outlets": [{
              "id": "k", "lat": 52.52, "lon": 13.40,
              "hours": [ { "days": ["daily"], "open": "00:00", "close": "24:00" } ],
              "stations": [ { "id": "stove", "mode": "human" } ],
              "staff": [ { "id": "cook", "skills": ["stove"] } ]
            }]
          }]
        }
        """;

    internal static async Task<int> CountPlacedAsync(TestApp app)
    {
        var count = 0;
        await foreach (var e in app.Service<IEventStore>().ReadAllAsync(0))
            if (e.Type == "OrderPlaced") count++;
        return count;
    }
}
