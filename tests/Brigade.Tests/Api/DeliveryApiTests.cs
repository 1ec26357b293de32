using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Brigade.Engine;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>Couriers and the order-to-door flow through the real host.</summary>
public class DeliveryApiTests
{
    /// <summary>One simulated kitchen and no simulated couriers: the couriers are the test's.</summary>
    private const string Catalog = """
        {
          "timeZone": "UTC",
          "fleet": { "simulatedCouriers": 0, "staleSeconds": 36000, "offerSeconds": 3600, "roundSeconds": 5 },
          "restaurants": [{
            "id": "r", "name": "Quick Pizza",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [
                { "name": "top", "station": "pizza", "workSeconds": 60 },
                { "name": "bake", "station": "pizza", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 240 } ] } ],
            "outlets": [{
              "id": "k", "lat": 52.520, "lon": 13.400,
              "stations": [ { "id": "pizza" } ],
              "equipment": [ { "id": "oven", "count": 1, "capacity": 4 } ],
              "staff": [ { "id": "a", "skills": ["pizza"] } ]
            }]
          }]
        }
        """;

    private const string Order = """{"restaurantId":"r","items":[{"menuItemId":"pizza","quantity":1}],"deliverTo":{"lat":52.530,"lon":13.410}}""";

    [Fact]
    public async Task A_human_courier_takes_an_order_from_offer_to_door_through_the_api()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60, catalogJson: Catalog);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.521, lon = 13.401, name = "Ann" })).StatusCode);
        var placed = await app.PlaceAsync(Order);
        var id = placed.GetProperty("id").GetString()!;
        var code = placed.GetProperty("handoffCode").GetString()!;

        // The offer is pushed to the courier.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (_, body) = await Sse.OpenAsync(app.Client, "/api/couriers/ann/offers/stream");
        string? offerId = null;
        await foreach (var m in Sse.ReadAsync(body, cts.Token))
        {
            if (m.Event != "offer") continue;
            Assert.Equal([id], m.Data.GetProperty("offer").GetProperty("orderIds").EnumerateArray().Select(o => o.GetString()));
            offerId = m.Data.GetProperty("offer").GetProperty("id").GetString();
            break;
        }
        Assert.NotNull(offerId);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/offers/{offerId}/accept", null)).StatusCode);
        // The same accept again (a double tap, a retry after a lost answer) is done already.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/offers/{offerId}/accept", null)).StatusCode);
        Assert.Equal("courierAssigned", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/couriers/ann/arrived", null)).StatusCode);

        // Collected only once ready; delivered only with the customer's code.
        var early = await app.Client.PostAsync($"/api/couriers/ann/orders/{id}/pickup", null);
        if (early.StatusCode != HttpStatusCode.NoContent)
        {
            await ProblemAssert.IsProblem(early, 409);
            await app.WaitForStatusAsync(id, "courierAssigned"); // still with its courier
            await WaitForReadyAsync(app, id);
            Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/orders/{id}/pickup", null)).StatusCode);
        }
        Assert.Equal("pickedUp", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/orders/{id}/pickup", null)).StatusCode);
        var wrong = await app.Client.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = code == "0000" ? "1111" : "0000" });
        await ProblemAssert.IsProblem(wrong, 422);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = code })).StatusCode);

        var done = await app.GetJsonAsync($"/api/orders/{id}");
        Assert.Equal("delivered", done.GetProperty("status").GetString());
        Assert.Equal("ann", done.GetProperty("courierId").GetString());
        var events = (await app.GetJsonAsync($"/api/orders/{id}/events")).EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["CourierAssigned", "OrderPickedUp", "OrderDelivered"], events.Where(t => t is "CourierAssigned" or "OrderPickedUp" or "OrderDelivered"));
    }

    [Fact]
    public async Task Simulated_couriers_deliver_on_their_own_and_the_customer_sees_them_coming()
    {
        await using var app = await TestApp.StartAsync(timeScale: 120);
        var id = (await app.PlaceAsync("""{"restaurantId":"burger-bar","items":[{"menuItemId":"cheeseburger","quantity":1}],"deliverTo":{"lat":52.515,"lon":13.465}}""")).GetProperty("id").GetString()!;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        var statuses = new List<string>();
        var sightings = new List<JsonElement>();
        await foreach (var m in Sse.ReadAsync(body, cts.Token))
        {
            statuses.Add(m.Event);
            if (m.Data.GetProperty("change").GetString() == "courierLocation") sightings.Add(m.Data.GetProperty("courier"));
        }

        Assert.Equal("delivered", statuses[^1]);
        Assert.Contains("pickedUp", statuses);
        Assert.NotEmpty(sightings);
        Assert.All(sightings, s =>
        {
            Assert.InRange(s.GetProperty("lat").GetDouble(), 52.4, 52.6);
            Assert.True(s.GetProperty("etaSeconds").GetDouble() >= 0);
        });
        var order = await app.GetJsonAsync($"/api/orders/{id}");
        Assert.StartsWith("sim-", order.GetProperty("courierId").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locations_are_taken_one_or_many_at_a_time_and_bad_ones_are_refused()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(catalogJson: Catalog, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        var notOnShift = await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new { lat = 52.5, lon = 13.4 });
        await ProblemAssert.IsProblem(notOnShift, 409);
        await app.Client.PostAsJsonAsync("/api/couriers/bob/shift/start", new { lat = 52.5, lon = 13.4 });

        var t = clock.GetUtcNow().AddMinutes(1);
        clock.Advance(TimeSpan.FromMinutes(5));
        using var batch = await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new
        {
            points = new[]
            {
                new { lat = 52.501, lon = 13.401, at = t },
                new { lat = 52.502, lon = 13.402, at = t.AddSeconds(2) },
                new { lat = 52.400, lon = 13.300, at = t.AddSeconds(1) },   // arrives late: must not move the courier back
                new { lat = 52.502, lon = 13.402, at = t.AddSeconds(2) },   // a duplicate
            },
        });
        var counts = JsonDocument.Parse(await batch.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, counts.GetProperty("applied").GetInt32());
        Assert.Equal(2, counts.GetProperty("ignoredOutOfOrder").GetInt32());
        var courier = await app.GetJsonAsync("/api/couriers/bob");
        Assert.Equal(52.502, courier.GetProperty("lat").GetDouble(), 6);

        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new { lat = 95.0, lon = 13.4 }), 422);
        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new { points = new[] { new { lat = 52.0, lon = 200.0 } } }), 422);
        using var malformed = new StringContent("{\"lat\":", Encoding.UTF8, "application/json");
        await ProblemAssert.IsProblem(await app.Client.PostAsync("/api/couriers/bob/locations", malformed), 400);
        using var asText = new StringContent("{\"lat\":52.5,\"lon\":13.4}", Encoding.UTF8, "text/plain");
        await ProblemAssert.IsProblem(await app.Client.PostAsync("/api/couriers/bob/locations", asText), 415);
        await ProblemAssert.IsProblem(await app.Client.GetAsync("/api/couriers/nobody"), 404);
    }

    [Fact]
    public async Task A_batch_of_positions_without_their_times_is_refused_rather_than_leaving_the_courier_at_the_first()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(catalogJson: Catalog, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        await app.Client.PostAsJsonAsync("/api/couriers/bob/shift/start", new { lat = 52.5, lon = 13.4 });
        clock.Advance(TimeSpan.FromMinutes(1));

        // Which of these is where the courier is now? Without times, nothing says.
        using var untimed = await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new
        {
            points = new[] { new { lat = 52.501, lon = 13.401 }, new { lat = 52.502, lon = 13.402 }, new { lat = 52.503, lon = 13.403 } },
        });

        await ProblemAssert.IsProblem(untimed, 422);
        var courier = await app.GetJsonAsync("/api/couriers/bob");
        Assert.Equal((52.5, 13.4), (courier.GetProperty("lat").GetDouble(), courier.GetProperty("lon").GetDouble()));
        // A single point without a time is now, as before.
        using var one = await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new { points = new[] { new { lat = 52.503, lon = 13.403 } } });
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        courier = await app.GetJsonAsync("/api/couriers/bob");
        Assert.Equal((52.503, 13.403), (courier.GetProperty("lat").GetDouble(), courier.GetProperty("lon").GetDouble()));
    }

    [Fact]
    public async Task A_position_stamped_ahead_of_the_server_clock_is_ignored_and_does_not_pin_the_courier_there()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(catalogJson: Catalog, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        await app.Client.PostAsJsonAsync("/api/couriers/bob/shift/start", new { lat = 52.5, lon = 13.4 });
        clock.Advance(TimeSpan.FromMinutes(1));
        var now = clock.GetUtcNow();

        // A phone whose clock is a year ahead sends one position; then the courier's true ones follow.
        using var future = await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new { lat = 52.6, lon = 13.6, at = now.AddYears(1) });
        using var honest = await app.Client.PostAsJsonAsync("/api/couriers/bob/locations", new { lat = 52.51, lon = 13.41, at = now });

        var courier = await app.GetJsonAsync("/api/couriers/bob");
        Assert.Equal((52.51, 13.41), (courier.GetProperty("lat").GetDouble(), courier.GetProperty("lon").GetDouble()));
        Assert.Equal(now, courier.GetProperty("positionAt").GetDateTimeOffset());
        // The client is told which of its positions counted.
        Assert.Equal(HttpStatusCode.OK, future.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await future.Content.ReadAsStringAsync()).RootElement.GetProperty("applied").GetInt32());
        Assert.Equal(1, JsonDocument.Parse(await honest.Content.ReadAsStringAsync()).RootElement.GetProperty("applied").GetInt32());
    }

    [Fact]
    public async Task A_courier_streams_positions_over_a_websocket_and_receives_its_state_back()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(catalogJson: Catalog, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        await app.Client.PostAsJsonAsync("/api/couriers/cy/shift/start", new { lat = 52.5, lon = 13.4 });
        var client = app.App.GetTestServer().CreateWebSocketClient();
        using var socket = await client.ConnectAsync(new Uri(app.App.GetTestServer().BaseAddress, "api/couriers/cy/ws?access_token=" + app.Token("courier", "cy")), CancellationToken.None);
        var buffer = new byte[16 * 1024];

        var first = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("cy", JsonDocument.Parse(buffer.AsMemory(0, first.Count)).RootElement.GetProperty("id").GetString());
        var at = clock.GetUtcNow().AddMinutes(1).ToString("O");
        clock.Advance(TimeSpan.FromMinutes(10));
        await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"lat":52.5123,"lon":13.4321,"at":"{{at}}"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"lat":123}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        var error = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Contains("error", Encoding.UTF8.GetString(buffer, 0, error.Count), StringComparison.Ordinal);

        var courier = await app.GetJsonAsync("/api/couriers/cy");
        Assert.Equal(52.5123, courier.GetProperty("lat").GetDouble(), 4);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task A_courier_socket_that_can_no_longer_be_told_the_courier_state_is_closed_rather_than_left_silent()
    {
        await using var app = await TestApp.StartAsync(catalogJson: Catalog);
        await app.Client.PostAsJsonAsync("/api/couriers/cy/shift/start", new { lat = 52.5, lon = 13.4 });
        var client = app.App.GetTestServer().CreateWebSocketClient();
        using var socket = await client.ConnectAsync(new Uri(app.App.GetTestServer().BaseAddress, "api/couriers/cy/ws?access_token=" + app.Token("courier", "cy")), CancellationToken.None);
        var buffer = new byte[16 * 1024];
        Assert.Equal(WebSocketMessageType.Text, (await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType);

        // The engine cannot answer (as while it stops, or recovers from a failed write), and then the courier's state changes.
        await app.Service<Brigade.Engine.EngineHost>().StopAsync(CancellationToken.None);
        await app.Service<Brigade.Storage.IEventStore>().CommitAsync(new Brigade.Storage.Commit(
            [Brigade.Storage.EventSerializer.ToWrite(new Brigade.Delivery.CourierShiftEnded("cy", "test", DateTimeOffset.UtcNow))]));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var received = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the socket stayed open but silent: the courier would never hear of an offer again, nor know to reconnect");
        }
    }

    [Fact]
    public async Task A_position_sent_over_the_websocket_while_the_engine_rebuilds_is_answered_as_not_taken_and_the_socket_stays_open()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var moved = new CourierMovedTo("cy", 52.5123);
        await using var app = await TestApp.StartAsync(catalogJson: Catalog, services: s =>
        {
            s.AddSingleton(new ScaledTimeProvider(1, clock));
            s.AddSingleton<IEngineObserver>(moved);
        });
        await app.Client.PostAsJsonAsync("/api/couriers/cy/shift/start", new { lat = 52.5, lon = 13.4 });
        clock.Advance(TimeSpan.FromMinutes(1)); // a position is taken only if newer than the shift's start
        var client = app.App.GetTestServer().CreateWebSocketClient();
        using var socket = await client.ConnectAsync(new Uri(app.App.GetTestServer().BaseAddress, "api/couriers/cy/ws?access_token=" + app.Token("courier", "cy")), CancellationToken.None);
        var buffer = new byte[16 * 1024];
        Assert.Equal(WebSocketMessageType.Text, (await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType);
        var engine = app.Service<EngineHost>();
        var store = app.Service<Brigade.Storage.SqliteEventStore>();
        var position = Encoding.UTF8.GetBytes("""{"lat":52.5123,"lon":13.4321}""");

        // Hold the log's writer inside a batch, so that the next commit, which will fail, is still
        // pending when the position is decided: the position's answer waits for it, as reads do.
        using var hold = new WriterHold(store);
        Task<HttpResponseMessage> trigger;
        Task<EngineResult> failing;
        try
        {
            trigger = app.Client.PostAsJsonAsync("/api/couriers/dee/shift/start", new { lat = 52.5, lon = 13.4 });
            await hold.HeldAsync();
            store.FailNextBatches = 1;
            failing = engine.SendAsync((e, now, output) => e.AtDelivery(now, output, (d, o) => d.StartShift("eve", "Eve", 52.5, 13.4, now, o)));
            await socket.SendAsync(position, WebSocketMessageType.Text, true, CancellationToken.None);
            Assert.True(await moved.Seen.WaitAsync(TimeSpan.FromSeconds(10)), "the position never reached the engine");
        }
        finally
        {
            hold.Release();
        }
        Assert.Equal(Outcome.Unavailable, (await failing).Outcome);
        (await trigger).Dispose();

        // The courier's app is told the position was not taken, and when to send it again.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        WebSocketReceiveResult told;
        try
        {
            told = await socket.ReceiveAsync(buffer, cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the position was dropped without a word to the courier's app");
            return;
        }
        var answer = JsonDocument.Parse(buffer.AsMemory(0, told.Count)).RootElement;
        Assert.Contains("not taken", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(answer.GetProperty("retryAfterSeconds").GetInt32() >= 1);

        // The socket is still open, and the position sent again is taken by the rebuilt engine.
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(52.5, (await app.GetJsonAsync("/api/couriers/cy")).GetProperty("lat").GetDouble(), 6); // the rebuilt engine has not got it
        await socket.SendAsync(position, WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.True(await moved.Seen.WaitAsync(TimeSpan.FromSeconds(10)), "the position sent again was not taken");
        Assert.Equal(52.5123, (await app.GetJsonAsync("/api/couriers/cy")).GetProperty("lat").GetDouble(), 6);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task The_courier_of_an_order_never_sees_its_handoff_code_which_only_the_customer_can_give_them()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60, catalogJson: Catalog);
        await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.521, lon = 13.401 });
        using var customer = app.ClientAs("customer", "cus");
        using var placed = await TestApp.PostOrderAsync(customer, Order, "k-1");
        var order = JsonDocument.Parse(await placed.Content.ReadAsStringAsync()).RootElement;
        var id = order.GetProperty("id").GetString()!;
        var code = order.GetProperty("handoffCode").GetString();
        Assert.False(string.IsNullOrEmpty(code));
        await AcceptNextOfferAsync(app, "ann");

        // The courier sees the order they carry (where it goes), but not the code: else they could mark it delivered without meeting the customer.
        using var courier = app.ClientAs("courier", "ann");
        var seen = JsonDocument.Parse(await courier.GetStringAsync($"/api/orders/{id}")).RootElement;
        Assert.Equal("ann", seen.GetProperty("courierId").GetString());
        Assert.Equal(JsonValueKind.Null, seen.GetProperty("handoffCode").ValueKind);
        var trail = JsonDocument.Parse(await courier.GetStringAsync($"/api/orders/{id}/events")).RootElement;
        var placedEvent = trail.EnumerateArray().Single(e => e.GetProperty("type").GetString() == "OrderPlaced").GetProperty("data");
        Assert.True(!placedEvent.TryGetProperty("handoffCode", out var inTrail) || inTrail.ValueKind == JsonValueKind.Null, $"the audit trail shows the code: {placedEvent}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (_, body) = await Sse.OpenAsync(courier, $"/api/orders/{id}/stream");
        JsonElement? snapshot = null;
        await foreach (var m in Sse.ReadAsync(body, cts.Token))
        {
            snapshot = m.Data.GetProperty("order");
            break;
        }
        Assert.Equal(JsonValueKind.Null, Assert.NotNull(snapshot).GetProperty("handoffCode").ValueKind);

        // The customer still has it, to give at the door.
        Assert.Equal(code, JsonDocument.Parse(await customer.GetStringAsync($"/api/orders/{id}")).RootElement.GetProperty("handoffCode").GetString());
    }

    [Fact]
    public async Task A_courier_on_a_websocket_is_told_at_once_when_the_kitchen_fails_the_order_they_are_riding_to_collect()
    {
        // Pizza made by hand, one attempt: a task whose lease runs out fails its order. The clock moves only when the test moves it.
        const string handMade = """
            {
              "timeZone": "UTC",
              "fleet": { "simulatedCouriers": 0, "staleSeconds": 36000, "offerSeconds": 3600, "roundSeconds": 5 },
              "restaurants": [{
                "id": "r", "name": "Slow Pizza",
                "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 300 } ] } ],
                "outlets": [{
                  "id": "k", "lat": 52.520, "lon": 13.400, "maxAttempts": 1, "leaseSeconds": 30,
                  "stations": [ { "id": "pizza", "mode": "human" } ],
                  "staff": [ { "id": "a", "skills": ["pizza"] } ]
                }]
              }]
            }
            """;
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(catalogJson: handMade, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.521, lon = 13.401 });
        var id = (await app.PlaceAsync(Order)).GetProperty("id").GetString()!;
        for (var i = 0; i < 200 && (await app.GetJsonAsync("/api/couriers/ann")).GetProperty("offer").ValueKind != JsonValueKind.Object; i++)
            clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal([id], await AcceptNextOfferAsync(app, "ann"));

        var client = app.App.GetTestServer().CreateWebSocketClient();
        using var socket = await client.ConnectAsync(new Uri(app.App.GetTestServer().BaseAddress, "api/couriers/ann/ws?access_token=" + app.Token("courier", "ann")), CancellationToken.None);
        var buffer = new byte[16 * 1024];
        var first = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal([id], JsonDocument.Parse(buffer.AsMemory(0, first.Count)).RootElement.GetProperty("orders").EnumerateArray().Select(o => o.GetString()));

        // The chef starts the pizza and walks away: the lease runs out and the order fails.
        using var started = await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/a/next", null);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        clock.Advance(TimeSpan.FromMinutes(2));
        await app.WaitForStatusAsync(id, "failed"); // a command moves the engine to the clock's time

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var next = await socket.ReceiveAsync(buffer, cts.Token);
            var ann = JsonDocument.Parse(buffer.AsMemory(0, next.Count)).RootElement;
            Assert.Empty(ann.GetProperty("orders").EnumerateArray());
            Assert.Equal("idle", ann.GetProperty("phase").GetString());
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the courier was not told: they would ride on to collect an order that no longer exists");
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task Guessing_the_handoff_code_is_stopped_after_five_wrong_codes_and_a_repeated_delivery_is_no_error()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60, catalogJson: Catalog);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.521, lon = 13.401, name = "Ann" })).StatusCode);
        var placed = await app.PlaceAsync(Order);
        var id = placed.GetProperty("id").GetString()!;
        var code = placed.GetProperty("handoffCode").GetString()!;
        Assert.Equal([id], await AcceptNextOfferAsync(app, "ann"));
        await WaitForReadyAsync(app, id);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/orders/{id}/pickup", null)).StatusCode);

        var courier = app.ClientAs("courier", "ann");
        var wrongCodes = Enumerable.Range(0, 10).Select(i => i.ToString("0000", System.Globalization.CultureInfo.InvariantCulture)).Where(c => c != code).Take(6).ToList();
        foreach (var wrong in wrongCodes.Take(5))
            await ProblemAssert.IsProblem(await courier.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = wrong }), 422);

        // The sixth attempt is not even tried, and neither is the right code for now.
        using (var blocked = await courier.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = wrongCodes[5] }))
        {
            await ProblemAssert.IsProblem(blocked, 429);
            Assert.InRange(blocked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        }
        await ProblemAssert.IsProblem(await courier.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = code }), 429);
        Assert.Equal("pickedUp", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());

        // Once the wait is over (the guard forgets, as after it), the customer's code delivers; sent again, it is done already.
        app.Service<Brigade.Delivery.HandoffGuard>().Delivered(id);
        Assert.Equal(HttpStatusCode.NoContent, (await courier.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = code })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await courier.PostAsJsonAsync($"/api/couriers/ann/orders/{id}/deliver", new { handoffCode = code })).StatusCode);
        Assert.Single(await app.Service<Brigade.Storage.IEventStore>().ReadByOrderAsync(id), e => e.Type == "OrderDelivered");
        // Another courier cannot claim it was theirs.
        await ProblemAssert.IsProblem(await app.ClientAs("courier", "bo").PostAsJsonAsync($"/api/couriers/bo/orders/{id}/deliver", new { handoffCode = code }), 404);
    }

    [Fact]
    public async Task A_decline_sent_again_by_the_courier_who_declined_is_answered_204_and_recorded_once()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(catalogJson: Catalog, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.521, lon = 13.401 });
        await app.PlaceAsync(Order);
        var offer = (await app.GetJsonAsync("/api/couriers/ann")).GetProperty("offer");
        for (var i = 0; i < 200 && offer.ValueKind != JsonValueKind.Object; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            offer = (await app.GetJsonAsync("/api/couriers/ann")).GetProperty("offer");
        }
        var offerId = offer.GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/offers/{offerId}/decline", null)).StatusCode);
        // The same decline again (a double tap, a retry after a lost answer) is done already.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/ann/offers/{offerId}/decline", null)).StatusCode);

        Assert.Single(await app.Service<Brigade.Storage.IEventStore>().ReadStreamAsync("courier-ann"), e => e.Type == "OfferDeclined");
        // Another courier cannot decline it.
        await app.Client.PostAsJsonAsync("/api/couriers/bob/shift/start", new { lat = 52.521, lon = 13.401 });
        await ProblemAssert.IsProblem(await app.Client.PostAsync($"/api/couriers/bob/offers/{offerId}/decline", null), 409);
    }

    /// <summary>Wait for the courier's next offer and accept it; returns its order ids.</summary>
    private static async Task<List<string>> AcceptNextOfferAsync(TestApp app, string courierId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var offer = (await app.GetJsonAsync($"/api/couriers/{courierId}")).GetProperty("offer");
            if (offer.ValueKind == JsonValueKind.Object)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/{courierId}/offers/{offer.GetProperty("id").GetString()}/accept", null)).StatusCode);
                return offer.GetProperty("orderIds").EnumerateArray().Select(o => o.GetString()!).ToList();
            }
            Assert.True(DateTime.UtcNow < deadline, $"{courierId} was offered nothing within 30 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Signals when a decision leaves the courier at the given latitude: on the engine's thread, so before its answer is given.</summary>
    private sealed class CourierMovedTo(string courierId, double lat) : IEngineObserver
    {
        private bool _there;
        public SemaphoreSlim Seen { get; } = new(0);

        public void Decided(BrigadeEngine engine, IReadOnlyList<IDomainEvent> events, DateTimeOffset now)
        {
            var there = engine.Delivery.CourierOf(courierId, now) is { } c && Math.Abs(c.Lat - lat) < 1e-9;
            if (there && !_there) Seen.Release();
            _there = there;
        }

        public void Rebuilt(BrigadeEngine engine, long lastPosition) => _there = false; // positions are not in the log
    }

    private static async Task WaitForReadyAsync(TestApp app, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("timeline").GetProperty("readyAt").ValueKind == JsonValueKind.Null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the kitchen never finished the order");
            await Task.Delay(50);
        }
    }
}
