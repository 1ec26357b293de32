using Brigade.Orders;
using Brigade.Storage;
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
        var (response, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body))
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

    [Fact]
    public async Task A_reader_too_slow_for_its_queue_still_gets_every_change_in_order_refilled_from_the_log()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""")).GetProperty("id").GetString()!;
        var model = app.Service<OrderReadModel>();
        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var reader = Sse.ReadAsync(body, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await reader.MoveNextAsync());
        var snapshot = reader.Current;
        var from = long.Parse(snapshot.Id!, System.Globalization.CultureInfo.InvariantCulture);

        // The reader stops reading. Far more changes than its queue holds (256) are made durable:
        // the response's buffer fills, the stream's writes stall, and the queue drops the oldest.
        var store = app.Service<IEventStore>();
        var at = snapshot.Data.GetProperty("at").GetDateTimeOffset();
        const int Revisions = 600;
        for (var i = 1; i <= Revisions; i++)
            await store.CommitAsync(new Commit([EventSerializer.ToWrite(new OrderEstimateUpdated(id, at.AddSeconds(600 + i), "test", at.AddMilliseconds(i)))]));
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new OrderCancelled(id, "test", "test", at.AddSeconds(1)))]));
        Assert.Equal(from + Revisions + 1, model.Find(id)!.Order.Version);

        var messages = new List<SseMessage>();
        try
        {
            while (await reader.MoveNextAsync()) messages.Add(reader.Current);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The stream stayed open after the order was cancelled; it sent {messages.Count} events, the last with id {messages.LastOrDefault()?.Id}.");
        }

        // Every version once, in order, none lost, ending with the cancellation.
        Assert.Equal(Enumerable.Range(1, Revisions + 1).Select(i => (from + i).ToString(System.Globalization.CultureInfo.InvariantCulture)), messages.Select(m => m.Id));
        Assert.Equal("cancelled", messages[^1].Event);
        Assert.Equal(at.AddSeconds(600 + Revisions), messages[^2].Data.GetProperty("order").GetProperty("estimatedReadyAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_change_written_although_its_write_was_answered_as_failed_still_reaches_the_stream()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""")).GetProperty("id").GetString()!;
        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        await using var reader = Sse.ReadAsync(body).GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync());

        // The cancel reaches the disk, but its answer is lost (as when the connection drops during
        // COMMIT): no listener hears it. The engine rebuilds from the log and finds it there.
        app.Service<SqliteEventStore>().LoseNextAcknowledgements = 1;
        using (var cancel = await app.Client.PostAsync($"/api/orders/{id}/cancel", null)) await ProblemAssert.IsProblem(cancel, 503);

        var rest = new List<SseMessage>();
        while (await reader.MoveNextAsync()) rest.Add(reader.Current);
        Assert.Equal("cancelled", Assert.Single(rest).Event);
        Assert.Equal("OrderCancelled", rest[0].Data.GetProperty("change").GetString());
    }
}
