using Brigade.Delivery;
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
    public async Task A_courier_taken_off_an_order_stops_hearing_of_it_and_never_of_the_next_courier()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var (id, at) = await PlaceForDeliveryAsync(app);
        var store = app.Service<IEventStore>();
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new CourierAssigned(id, "ann", "offer-1", at.AddMinutes(10), at.AddMinutes(30), at.AddSeconds(1)))]));

        using var ann = app.ClientAs("courier", "ann");
        var (response, body) = await Sse.OpenAsync(ann, $"/api/orders/{id}/stream");
        Assert.True(response.IsSuccessStatusCode, $"ann, the order's courier, may follow it: {(int)response.StatusCode}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var reader = Sse.ReadAsync(body, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal("ann", reader.Current.Data.GetProperty("order").GetProperty("courierId").GetString());

        // Ann's shift ends before pickup; the order goes to Bo.
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new CourierUnassigned(id, "ann", "shift ended", at.AddSeconds(2)))]));
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new CourierAssigned(id, "bo", "offer-2", at.AddMinutes(12), at.AddMinutes(32), at.AddSeconds(3)))]));
        using (var get = await ann.GetAsync($"/api/orders/{id}")) await ProblemAssert.IsProblem(get, 404);

        var after = new List<SseMessage>();
        var ended = false;
        try
        {
            while (await reader.MoveNextAsync()) after.Add(reader.Current);
            ended = true;
        }
        catch (OperationCanceledException)
        {
        }
        Assert.False(after.Any(m => m.Data.GetProperty("order").GetProperty("courierId").GetString() == "bo"),
            $"ann was told of the order after she was taken off it: {string.Join(", ", after.Select(m => m.Data.GetProperty("change").GetString()))}");
        Assert.True(ended, $"ann's stream stayed open after she was taken off the order; it sent {after.Count} more event(s)");
    }

    [Fact]
    public async Task A_courier_position_read_with_an_older_order_never_takes_the_follower_back_to_it()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var (id, at) = await PlaceForDeliveryAsync(app);
        var model = app.Service<OrderReadModel>();
        var store = app.Service<IEventStore>();
        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var reader = Sse.ReadAsync(body, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await reader.MoveNextAsync());

        // The tracking publisher reads the order, then a change becomes durable and is pushed, then
        // the publisher pushes the courier's position with the order as it had read it.
        var before = model.Find(id)!.Order;
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new CourierAssigned(id, "ann", "offer-1", at.AddMinutes(10), at.AddMinutes(30), at.AddSeconds(1)))]));
        var position = new Tracking(id, "ann", "toOutlet", 52.521, 13.401, at.AddMinutes(30), 1800);
        model.Publish(id, new OrderUpdate(before, "courierLocation", null, at.AddSeconds(2), position));
        model.Publish(id, new OrderUpdate(model.Find(id)!.Order, "courierLocation", null, at.AddSeconds(3), position));
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new OrderCancelled(id, "test", "test", at.AddSeconds(4)))]));

        var messages = new List<SseMessage>();
        while (await reader.MoveNextAsync()) messages.Add(reader.Current);
        var statuses = messages.Select(m => $"{m.Data.GetProperty("change").GetString()}:{m.Event}").ToList();
        Assert.Equal("CourierAssigned:courierAssigned", statuses[0]);
        Assert.DoesNotContain("courierLocation:accepted", statuses);
        Assert.Contains("courierLocation:courierAssigned", statuses);
        Assert.Equal("OrderCancelled:cancelled", statuses[^1]);
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

    /// <summary>A soup for delivery from the human kitchen: its id and when it was placed.</summary>
    private static async Task<(string Id, DateTimeOffset At)> PlaceForDeliveryAsync(TestApp app)
    {
        var placed = await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}],"deliverTo":{"lat":52.53,"lon":13.41}}""");
        return (placed.GetProperty("id").GetString()!, placed.GetProperty("timeline").GetProperty("placedAt").GetDateTimeOffset());
    }
}
