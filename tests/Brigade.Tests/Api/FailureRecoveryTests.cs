using System.Net.Http.Json;
using System.Net;
using Brigade.Engine;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>When the log refuses a write, nothing is acknowledged that is not on disk, and the engine rebuilds itself from the log.</summary>
public class FailureRecoveryTests
{
    private const string Espresso = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""";

    [Fact]
    public async Task A_failed_write_is_answered_503_and_the_engine_recovers_from_the_log()
    {
        // The kitchen clock moves only when the test moves it: no step of the kitchen's falls due
        // and writes in between, so the write that fails is the order's.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(services: s => s.AddSingleton(new ScaledTimeProvider(1, clock)));
        var before = (await app.PlaceAsync(Espresso, "before")).GetProperty("id").GetString()!;
        var store = app.Service<SqliteEventStore>();

        store.FailNextBatches = 1;
        using var failed = await app.PostOrderAsync(Espresso, "during");
        await ProblemAssert.IsProblem(failed, 503);
        Assert.True(failed.Headers.RetryAfter is not null);

        // The next orders go through on a rebuilt engine; the failed one was never recorded.
        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => app.PostOrderAsync(Espresso, $"after-{i}")));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var retried = await app.PlaceAsync(Espresso, "during");
        Assert.NotEqual(before, retried.GetProperty("id").GetString());
        Assert.Equal(22, await OrderApiTests.CountPlacedAsync(app));
        foreach (var r in burst) r.Dispose();

        // And the kitchen carries on with what it had: an hour on, the next command finds every espresso made.
        clock.Advance(TimeSpan.FromHours(1));
        await app.PlaceAsync(Espresso, "an-hour-later");
        await app.WaitForStatusAsync(before, "ready", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_order_written_although_its_write_was_answered_as_failed_is_found_again_by_a_retry_not_placed_twice()
    {
        // As when the connection drops during COMMIT: the order is on disk, the client is told 503.
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        const string soup = """{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""";
        var store = app.Service<SqliteEventStore>();
        store.LoseNextAcknowledgements = 1;
        using (var lost = await app.PostOrderAsync(soup, "k-lost")) await ProblemAssert.IsProblem(lost, 503);
        Assert.Equal(1, await OrderApiTests.CountPlacedAsync(app));

        // The client retries with the same key, as it should: it gets that order, not a second one.
        using var retry = await app.PostOrderAsync(soup, "k-lost");
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        var id = (await retry.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal(1, await OrderApiTests.CountPlacedAsync(app));
        Assert.Equal(id, (await store.ReadByOrderAsync(id)).Select(e => e.OrderId).Distinct().Single());
        // The read side, which no listener told of it, has it as the rebuilt engine does.
        Assert.Equal(OrderStatus.Accepted, app.Service<OrderReadModel>().Find(id)?.Order.Status);

        // The same key with another body is still refused, and the order reads and changes as any other.
        using (var other = await app.PostOrderAsync(soup.Replace("\"quantity\":1", "\"quantity\":2", StringComparison.Ordinal), "k-lost"))
            await ProblemAssert.IsProblem(other, 422);
        Assert.Equal("accepted", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
        using var cancel = await app.Client.PostAsync($"/api/orders/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_summary_of_an_order_no_listener_heard_of_is_written_without_waiting_for_another_commit()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        app.Service<SqliteEventStore>().LoseNextAcknowledgements = 1;
        using (var lost = await app.PostOrderAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""", "k-quiet"))
            await ProblemAssert.IsProblem(lost, 503);
        var placed = (await app.Service<IEventStore>().ReadAllAsync(0).ToListAsync()).Single(e => e.Type == "OrderPlaced");

        // Nothing else is written: the kitchen's chef is human and idle.
        var readModels = app.Service<IReadModelStore>();
        for (var i = 0; i < 100 && await readModels.GetSummaryAsync(placed.OrderId!) is null; i++) await Task.Delay(100);
        Assert.NotNull(await readModels.GetSummaryAsync(placed.OrderId!));
    }

    [Fact]
    public async Task While_the_engine_cannot_answer_a_read_is_503_with_Retry_After_and_a_kitchen_stream_ends_cleanly()
    {
        await using var app = await TestApp.StartAsync();
        var (_, body) = await Sse.OpenAsync(app.Client, "/api/outlets/pizza-north/kitchen/stream");
        await using var stream = Sse.ReadAsync(body).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());

        // The engine stops (as it does on shutdown; it cannot answer while it rebuilds either); then the kitchen changes.
        await app.Service<EngineHost>().StopAsync(CancellationToken.None);
        using (var read = await app.Client.GetAsync("/api/outlets/pizza-north/kitchen"))
        {
            await ProblemAssert.IsProblem(read, 503);
            Assert.NotNull(read.Headers.RetryAfter);
        }
        await app.Service<IEventStore>().CommitAsync(new Commit([EventSerializer.ToWrite(new Brigade.Kitchen.ChefClockedOut("pizza-north", "nobody", DateTimeOffset.UtcNow))]));

        // The stream ends as a stream does, and the display's EventSource reconnects; it is not cut off by an error.
        while (await stream.MoveNextAsync()) { }
    }

    [Fact]
    public async Task Repeated_write_failures_never_leave_a_request_hanging()
    {
        await using var app = await TestApp.StartAsync(timeScale: 300);
        var store = app.Service<SqliteEventStore>();
        for (var round = 0; round < 5; round++)
        {
            store.FailNextBatches = 2;
            var requests = Enumerable.Range(0, 10).Select(i => app.PostOrderAsync(Espresso, $"r{round}-{i}")).ToList();
            var all = Task.WhenAll(requests);
            Assert.True(await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(20))) == all, "a request hung after a write failure");
            Assert.All(requests, r => Assert.True(r.Result.StatusCode is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests,
                $"unexpected {(int)r.Result.StatusCode}"));
            foreach (var r in requests) r.Result.Dispose();
        }
    }

    [Fact]
    public async Task An_answer_that_rests_on_a_write_that_then_fails_is_not_given_as_done()
    {
        const string soup = """{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""";
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(soup)).GetProperty("id").GetString()!;
        var engine = app.Service<EngineHost>();
        var store = app.Service<SqliteEventStore>();

        // Hold the log's writer inside the next durable batch, so that the commits after it queue up.
        using var hold = new WriterHold(store);
        var trigger = app.PostOrderAsync(soup, "trigger");
        Task<EngineResult> first, second;
        try
        {
            await hold.HeldAsync();
            store.FailNextBatches = 1;

            // Two cancels of the same order (a double tap): the first writes, the second is decided on
            // the first's state and writes nothing. Both are decided before the first's write fails.
            using var decided = new SemaphoreSlim(0);
            EngineResult Cancel(BrigadeEngine e, DateTimeOffset now, List<IDomainEvent> output)
            {
                var result = e.CancelOrder(id, "cancelled by customer", "test-admin", now, output);
                decided.Release();
                return result;
            }
            first = engine.SendAsync(Cancel);
            second = engine.SendAsync(Cancel);
            Assert.True(await decided.WaitAsync(TimeSpan.FromSeconds(10)) && await decided.WaitAsync(TimeSpan.FromSeconds(10)), "the engine did not decide both cancels");
        }
        finally
        {
            hold.Release();
        }

        var both = Task.WhenAll(first, second);
        Assert.True(await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(20))) == both, "a cancel was never answered");
        Assert.Equal(Outcome.Unavailable, first.Result.Outcome);
        // The second must not say the order is cancelled: that cancel never reached the log.
        Assert.True(second.Result.Outcome == Outcome.Unavailable,
            $"the second cancel was answered {second.Result.Outcome} ({second.Result.Message}) although the cancel it saw was never written");
        using (var placed = await trigger) Assert.Equal(HttpStatusCode.Created, placed.StatusCode);

        // The order was indeed not cancelled, and can be now.
        Assert.Equal("accepted", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
        using var cancel = await app.Client.PostAsync($"/api/orders/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
    }

    [Fact]
    public async Task A_decision_whose_events_cannot_be_written_fails_alone_and_the_engine_carries_on()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        var engine = app.Service<EngineHost>();

        var broken = engine.SendAsync((e, now, output) =>
        {
            output.Add(new Unregistered(now));
            return EngineResult.Ok();
        });
        Assert.True(await Task.WhenAny(broken, Task.Delay(TimeSpan.FromSeconds(10))) == broken, "the command was never answered");
        await Assert.ThrowsAsync<InvalidOperationException>(() => broken);

        // Every later command is still served.
        var placed = await app.PlaceAsync(Espresso, "after");
        Assert.False(string.IsNullOrEmpty(placed.GetProperty("id").GetString()));
    }

    /// <summary>An event the log has no type for (one that somebody forgot to register).</summary>
    private sealed record Unregistered(DateTimeOffset At) : IDomainEvent;
}
