using System.Net;
using Brigade.Engine;
using Brigade.Storage;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>When the log refuses a write, nothing is acknowledged that is not on disk, and the engine rebuilds itself from the log.</summary>
public class FailureRecoveryTests
{
    private const string Espresso = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""";

    [Fact]
    public async Task A_failed_write_is_answered_503_and_the_engine_recovers_from_the_log()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
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

        // And the kitchen carries on with what it had.
        await app.WaitForStatusAsync(before, "ready", TimeSpan.FromSeconds(60));
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
