using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Brigade.Engine;
using Brigade.Kitchen;
using Brigade.Storage;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>The kitchen display API through the real host.</summary>
public class KitchenApiTests
{
    /// <summary>A human-run pizza station (staff start and bump), a simulated bread station, an oven with two units.</summary>
    private const string MixedKitchen = """
        {
          "timeZone": "UTC",
          "restaurants": [{
            "id": "r", "name": "Mixed",
            "menu": [
              { "id": "pizza", "priceCents": 900, "steps": [
                  { "name": "top", "station": "pizza", "workSeconds": 60 },
                  { "name": "bake", "station": "pizza", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 300 } ] },
              { "id": "bread", "priceCents": 300, "steps": [ { "name": "knead", "station": "bread", "workSeconds": 30 } ] }
            ],
            "outlets": [{
              "id": "k", "name": "Kitchen", "lat": 52.52, "lon": 13.40, "leaseSeconds": 120, "maxPromiseMinutes": 30,
              "stations": [ { "id": "pizza", "mode": "human" }, { "id": "bread" } ],
              "equipment": [ { "id": "oven", "count": 2, "capacity": 1 } ],
              "staff": [ { "id": "ana", "skills": ["pizza"] }, { "id": "bo", "skills": ["pizza"] }, { "id": "cy", "skills": ["bread"] } ]
            }]
          }]
        }
        """;

    private const string Pizza = """{"restaurantId":"r","items":[{"menuItemId":"pizza","quantity":1}]}""";

    [Fact]
    public async Task The_kitchen_view_shows_stations_tickets_chefs_equipment_and_stock()
    {
        await using var app = await TestApp.StartAsync(timeScale: 1);
        await app.PlaceAsync("""{"restaurantId":"pizza-parlor","outletId":"pizza-north","items":[{"menuItemId":"margherita","quantity":2},{"menuItemId":"garlic-bread","quantity":1}]}""");

        var view = await app.GetJsonAsync("/api/outlets/pizza-north/kitchen");

        Assert.Equal(["pizza", "bread"], view.GetProperty("stations").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var pizza = view.GetProperty("stations")[0];
        // The idle pizza chefs also started a batch of pizza bases (stock is below par): a ticket of its own.
        var ticket = Assert.Single(pizza.GetProperty("tickets").EnumerateArray(), t => t.GetProperty("orderId").ValueKind == JsonValueKind.String);
        Assert.True(ticket.GetProperty("ageSeconds").GetDouble() >= 0);
        Assert.Contains(ticket.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("phase").GetString() == "working");
        Assert.Equal(["marco", "giulia", "luca", "sofia"], view.GetProperty("chefs").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal("standby", view.GetProperty("chefs")[3].GetProperty("state").GetString());
        var oven = Assert.Single(view.GetProperty("equipment").EnumerateArray());
        Assert.Equal(6, oven.GetProperty("capacity").GetInt32());
        var stock = Assert.Single(view.GetProperty("stock").EnumerateArray());
        Assert.Equal("pizza-base", stock.GetProperty("component").GetString());
        Assert.Equal(6, stock.GetProperty("level").GetInt32()); // 8 in stock, two used by this order

        using var missing = await app.Client.GetAsync("/api/outlets/nope/kitchen");
        await ProblemAssert.IsProblem(missing, 404);
    }

    [Fact]
    public async Task Staff_start_heartbeat_and_bump_tasks_and_a_stale_token_is_refused()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);
        var id = (await app.PlaceAsync(Pizza)).GetProperty("id").GetString()!;

        using var started = await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/ana/next", null);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var lease = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement;
        var taskId = lease.GetProperty("taskId").GetInt64();
        var token = lease.GetProperty("token").GetInt64();
        Assert.True(lease.GetProperty("leaseUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal("preparing", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());

        using var heartbeat = await app.Client.PostAsJsonAsync($"/api/outlets/k/kitchen/tasks/{taskId}/heartbeat", new { token });
        Assert.Equal(HttpStatusCode.NoContent, heartbeat.StatusCode);
        using var wrongToken = await app.Client.PostAsJsonAsync($"/api/outlets/k/kitchen/tasks/{taskId}/bump", new { token = token + 1000 });
        var problem = await ProblemAssert.IsProblem(wrongToken, 409);
        Assert.Equal("urn:brigade:problem:stale-token", problem.GetProperty("type").GetString());
        using var bump = await app.Client.PostAsJsonAsync($"/api/outlets/k/kitchen/tasks/{taskId}/bump", new { token });
        Assert.Equal(HttpStatusCode.NoContent, bump.StatusCode);
        // The same bump again (a double tap, or a retry after a lost answer) is answered as done.
        using var again = await app.Client.PostAsJsonAsync($"/api/outlets/k/kitchen/tasks/{taskId}/bump", new { token });
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);

        // The bake goes into the oven: the bump frees the chef and the oven finishes it by itself.
        var view = await app.GetJsonAsync("/api/outlets/k/kitchen");
        var bake = view.GetProperty("stations")[0].GetProperty("tickets")[0].GetProperty("tasks")[0];
        Assert.Equal("bake", bake.GetProperty("name").GetString());
        Assert.Equal("queued", bake.GetProperty("phase").GetString());
        using var noToken = await app.Client.PostAsJsonAsync($"/api/outlets/k/kitchen/tasks/{bake.GetProperty("id").GetInt64()}/bump", new { });
        await ProblemAssert.IsProblem(noToken, 422);
    }

    [Fact]
    public async Task Staff_record_chefs_and_equipment_coming_and_going()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/ana/sick", null)).StatusCode);
        await ProblemAssert.IsProblem(await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/ana/sick", null), 409);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/bo/clock-out", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k/kitchen/equipment/oven/units/1/broken", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync("/api/outlets/k/kitchen/chefs",
            new { id = "dee", name = "Dee", skills = new[] { "pizza" }, speed = 1.5, standby = true })).StatusCode);
        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/k/kitchen/chefs", new { id = "dee", skills = new[] { "pizza" } }), 409);
        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/k/kitchen/chefs", new { id = "eve", skills = new[] { "sushi" } }), 422);
        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/k/kitchen/chefs", new { id = "eve" }), 422);
        await ProblemAssert.IsProblem(await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/nobody/sick", null), 404);
        await ProblemAssert.IsProblem(await app.Client.PostAsync("/api/outlets/k/kitchen/equipment/oven/units/9/broken", null), 404);

        var view = await app.GetJsonAsync("/api/outlets/k/kitchen");
        var chefs = view.GetProperty("chefs").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("state").GetString());
        Assert.Equal("sick", chefs["ana"]);
        Assert.Equal("off", chefs["bo"]);
        // Both pizza regulars are away, so the new standby chef is called in at once.
        Assert.Equal("idle", chefs["dee"]);
        Assert.True(view.GetProperty("equipment")[0].GetProperty("units")[1].GetProperty("broken").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k/kitchen/chefs/ana/back", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k/kitchen/equipment/oven/units/1/fixed", null)).StatusCode);
        var events = new List<string>();
        await foreach (var e in app.Service<Brigade.Storage.IEventStore>().ReadAllAsync(0)) events.Add(e.Type);
        Assert.Contains("ChefFellSick", events);
        Assert.Contains("ChefClockedOut", events);
        Assert.Contains("EquipmentBroke", events);
        Assert.Contains("ChefAdded", events);
        Assert.Contains("ChefActivated", events);
        Assert.Contains("EquipmentFixed", events);
    }

    [Fact]
    public async Task A_chef_too_slow_for_the_kitchen_clock_is_refused_and_the_kitchen_keeps_cooking()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);

        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/k/kitchen/chefs",
            new { id = "slow", skills = new[] { "bread" }, speed = 1e-12 }), 422);

        // Two breads: cy takes the first, and the second would have gone to the slow chef.
        const string Bread = """{"restaurantId":"r","items":[{"menuItemId":"bread","quantity":1}]}""";
        using var first = await app.PostOrderAsync(Bread, "bread-1");
        using var second = await app.PostOrderAsync(Bread, "bread-2");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var chefs = (await app.GetJsonAsync("/api/outlets/k/kitchen")).GetProperty("chefs").EnumerateArray().Select(c => c.GetProperty("id").GetString());
        Assert.Equal(["ana", "bo", "cy"], chefs);
    }

    [Fact]
    public async Task A_chef_with_a_null_skill_is_refused_as_invalid()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);

        using var response = await app.Client.PostAsync("/api/outlets/k/kitchen/chefs",
            new StringContent("""{"id":"dee","skills":["pizza",null]}""", System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblem(response, 422);
        Assert.DoesNotContain((await app.GetJsonAsync("/api/outlets/k/kitchen")).GetProperty("chefs").EnumerateArray(), c => c.GetProperty("id").GetString() == "dee");
    }

    [Fact]
    public async Task The_kitchen_stream_sends_the_view_and_again_after_a_change()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (_, body) = await Sse.OpenAsync(app.Client, "/api/outlets/k/kitchen/stream");
        var views = new List<JsonElement>();
        await foreach (var m in Sse.ReadAsync(body, cts.Token))
        {
            Assert.Equal("kitchen", m.Event);
            views.Add(m.Data);
            if (views.Count == 1) await app.PlaceAsync(Pizza);
            if (views.Count == 2) break;
        }

        Assert.Empty(views[0].GetProperty("stations")[0].GetProperty("tickets").EnumerateArray());
        Assert.Single(views[1].GetProperty("stations")[0].GetProperty("tickets").EnumerateArray());
    }

    [Fact]
    public async Task While_nothing_changes_the_kitchen_stream_sends_a_keep_alive_and_never_the_old_view_again()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);
        var (_, body) = await Sse.OpenAsync(app.Client, "/api/outlets/k/kitchen/stream");
        using var reader = new StreamReader(body);
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        // The keep-alive comes after 15 quiet seconds; read until it has.
        while (!lines.Contains(": keep-alive"))
            lines.Add(await reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the stream ended"));
        // And nothing right after it: the view, unchanged, is not sent again.
        using var after = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (await reader.ReadLineAsync(after.Token) is { } line) lines.Add(line);
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Single(lines, l => l == "event: kitchen");
    }

    [Fact]
    public async Task A_kitchen_change_that_becomes_durable_while_the_stream_opens_still_reaches_it()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var engine = app.Service<EngineHost>();
        // Holds the log's writer inside one batch, so that the changes after it queue up and become durable together.
        using var hold = new WriterHold(app.Service<IEventStore>(), batch => batch.Any(ce => ce.Event.Source is ChefAdded { ChefId: "hold" }));
        try
        {
            _ = AddChef(engine, "hold");
            await hold.HeldAsync("the log never wrote the first change");
            // Decided, not yet durable: the stream's first view waits for it (an answer includes earlier decisions).
            _ = AddChef(engine, "early");
            await EngineTurn(engine);

            var opening = Sse.OpenAsync(app.Client, "/api/outlets/k/kitchen/stream");
            var feed = app.Service<KitchenFeed>();
            for (var i = 0; i < 100 && feed.SubscriberCount("k") == 0; i++) await Task.Delay(50);
            // Decided after the stream opened; durable in the same batch as "early", before the first view is sent.
            _ = AddChef(engine, "late");
            await EngineTurn(engine);
            hold.Release();

            var (_, body) = await opening;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var seen = 0;
            try
            {
                await foreach (var m in Sse.ReadAsync(body, cts.Token))
                {
                    seen++;
                    if (m.Data.GetProperty("chefs").EnumerateArray().Any(c => c.GetProperty("id").GetString() == "late")) return;
                }
                Assert.Fail("the kitchen stream ended");
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the kitchen stream sent {seen} view(s), none with the chef added while it opened, and then nothing more");
            }
        }
        finally
        {
            hold.Release();
        }
    }

    private static Task<EngineResult> AddChef(EngineHost engine, string id) =>
        engine.SendAsync((e, now, output) => e.AtKitchen("k", now, output, (k, o) => k.AddChef(id, id, ["stove"], 1, false, now, o)));

    /// <summary>Completes once the engine has finished everything sent to it before (not once that is durable).</summary>
    private static Task EngineTurn(EngineHost engine)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = engine.QueryAsync((_, _) => reached.TrySetResult());
        return reached.Task;
    }

    [Fact]
    public async Task A_full_outlet_answers_429_with_Retry_After_and_stores_nothing_for_the_refused_order()
    {
        await using var app = await TestApp.StartAsync(catalogJson: MixedKitchen);
        HttpResponseMessage? refused = null;
        var accepted = 0;
        for (var i = 0; i < 50 && refused is null; i++)
        {
            var r = await app.PostOrderAsync(Pizza, $"flood-{i}");
            if (r.StatusCode == HttpStatusCode.Created) accepted++;
            else refused = r;
        }

        Assert.NotNull(refused);
        var problem = await ProblemAssert.IsProblem(refused, 429);
        Assert.Equal("urn:brigade:problem:outlet-full", problem.GetProperty("type").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(accepted, await OrderApiTests.CountPlacedAsync(app));
        refused.Dispose();
    }
}
