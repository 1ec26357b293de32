using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

public class OrderStreamTests
{
    private const string PickupLatte = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1}]}""";

    [Fact]
    public async Task The_stream_opens_with_the_current_state_pushes_each_change_and_closes_when_collected()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        var id = (await app.PlaceAsync(PickupLatte)).GetProperty("id").GetString()!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (response, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body, cts.Token))
        {
            messages.Add(m);
            if (m.Event == "ready") (await app.Client.PostAsync($"/api/orders/{id}/collect", null)).Dispose();
        }

        Assert.Equal("snapshot", messages[0].Data.GetProperty("change").GetString());
        Assert.Equal(["ready", "collected"], messages.Select(m => m.Event).TakeLast(2));
        Assert.Equal("OrderCollected", messages[^1].Data.GetProperty("change").GetString());
        // Ids are the order's stream versions: strictly increasing, one per change.
        var ids = messages.Select(m => long.Parse(m.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range((int)ids[0], ids.Count).Select(i => (long)i), ids);
        Assert.Equal(ids[^1], messages[^1].Data.GetProperty("order").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Stream_times_are_on_the_kitchen_clock_each_change_at_its_event_time()
    {
        // 6000 times real time: the kitchen clock runs far ahead of the wall clock.
        await using var app = await TestApp.StartAsync(timeScale: 6000);
        var id = (await app.PlaceAsync(PickupLatte)).GetProperty("id").GetString()!;
        await app.WaitForStatusAsync(id, "ready");
        (await app.Client.PostAsync($"/api/orders/{id}/collect", null)).Dispose();

        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream", lastEventId: "0");
        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body)) messages.Add(m);

        var last = messages[^1].Data;
        Assert.Equal("collected", messages[^1].Event);
        Assert.Equal(last.GetProperty("order").GetProperty("timeline").GetProperty("collectedAt").GetDateTimeOffset(), last.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(messages[0].Data.GetProperty("order").GetProperty("timeline").GetProperty("placedAt").GetDateTimeOffset(), messages[0].Data.GetProperty("at").GetDateTimeOffset());

        var (_, live) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        await foreach (var snapshot in Sse.ReadAsync(live))
        {
            Assert.Equal("snapshot", snapshot.Data.GetProperty("change").GetString());
            Assert.True(snapshot.Data.GetProperty("at").GetDateTimeOffset() >= last.GetProperty("at").GetDateTimeOffset(), "a snapshot is timed now, on the kitchen clock");
            break;
        }
    }

    [Fact]
    public async Task Last_Event_ID_resumes_with_every_change_after_that_version()
    {
        await using var app = await TestApp.StartAsync(timeScale: 6000);
        var id = (await app.PlaceAsync(PickupLatte)).GetProperty("id").GetString()!;
        await app.WaitForStatusAsync(id, "ready");
        (await app.Client.PostAsync($"/api/orders/{id}/collect", null)).Dispose();
        var final = await app.GetJsonAsync($"/api/orders/{id}");

        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream", lastEventId: "2");
        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body)) messages.Add(m);

        Assert.Equal("3", messages[0].Id);
        Assert.DoesNotContain(messages, m => m.Data.GetProperty("change").GetString() == "snapshot");
        Assert.Equal(final.GetProperty("version").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), messages[^1].Id);
        Assert.Equal("collected", messages[^1].Event);
    }

    [Fact]
    public async Task The_stream_of_a_finished_order_sends_its_state_and_closes()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""")).GetProperty("id").GetString()!;
        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();

        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body)) messages.Add(m);

        var only = Assert.Single(messages);
        Assert.Equal("cancelled", only.Event);
    }
}
