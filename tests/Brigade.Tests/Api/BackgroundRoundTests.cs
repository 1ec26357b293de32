using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Engine;
using Brigade.Hosting;
using Brigade.Operations;
using Brigade.Orders;
using Brigade.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brigade.Tests.Api;

/// <summary>
/// The background services that work in rounds (courier tracking, operations samples, demo
/// customers): a round that throws is logged, and the next round does its work as usual.
/// </summary>
public class BackgroundRoundTests
{
    /// <summary>One simulated kitchen and no simulated couriers: the courier is the test's.</summary>
    private const string Catalog = """
        {
          "timeZone": "UTC",
          "fleet": { "simulatedCouriers": 0, "staleSeconds": 36000, "offerSeconds": 3600, "roundSeconds": 5 },
          "restaurants": [{
            "id": "r", "name": "Quick Pizza",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "top", "station": "pizza", "workSeconds": 60 } ] } ],
            "outlets": [{ "id": "k", "lat": 52.520, "lon": 13.400, "stations": [ { "id": "pizza" } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] }]
          }]
        }
        """;

    [Fact]
    public async Task The_tracking_publisher_logs_a_failing_round_and_publishes_the_courier_in_the_next()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60, catalogJson: Catalog, services: WithoutHosted<TrackingPublisher>);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.521, lon = 13.401, name = "Ann" })).StatusCode);
        var id = (await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"pizza","quantity":1}],"deliverTo":{"lat":52.530,"lon":13.410}}""")).GetProperty("id").GetString()!;
        await AcceptNextOfferAsync(app, "ann");
        using var following = app.Service<OrderReadModel>().Subscribe(id);

        var faults = new Faults();
        var log = new RecordingLogger<TrackingPublisher>();
        var clock = new TickingClock();
        using var publisher = new TrackingPublisher(app.Service<EngineHost>(), app.Service<OrderReadModel>(), log) { Timers = clock, RoundStarting = faults.Round };
        await publisher.StartAsync(CancellationToken.None);

        var seen = false;
        await RoundsUntilAsync(publisher, clock, () =>
        {
            while (following.Reader.TryRead(out var update)) seen |= update.Change == "courierLocation" && update.Detail is Tracking { CourierId: "ann" };
            return seen;
        }, "published the courier");

        faults.AssertLogged(log.Entries);
        await StopAsync(publisher);
    }

    [Fact]
    public async Task The_operations_sampler_logs_a_failing_round_and_samples_in_the_next()
    {
        await using var app = await TestApp.StartAsync(services: WithoutHosted<OpsSampler>);
        var metrics = app.Service<OpsMetrics>();
        using var watching = metrics.Watch();
        Assert.False(metrics.HasSamples);

        var faults = new Faults();
        var log = new RecordingLogger<OpsSampler>();
        var clock = new TickingClock();
        using var sampler = new OpsSampler(metrics, app.Service<EngineHost>(), log) { Timers = clock, RoundStarting = faults.Round };
        await sampler.StartAsync(CancellationToken.None);

        await RoundsUntilAsync(sampler, clock, () => metrics.HasSamples, "took a sample");

        faults.AssertLogged(log.Entries);
        await StopAsync(sampler);
    }

    [Fact]
    public async Task Demo_traffic_logs_a_failing_tick_and_places_orders_in_the_next()
    {
        await using var app = await TestApp.StartAsync(timeScale: 600, extra: new Dictionary<string, string?> { ["Brigade:DemoTraffic:OrdersPerHour"] = "36000" });

        var faults = new Faults();
        var log = new RecordingLogger<DemoTraffic>();
        var clock = new TickingClock();
        using var demo = new DemoTraffic(app.Service<EngineHost>(), app.Service<RestaurantCatalog>(), app.Service<BrigadeOptions>(), log) { Timers = clock, RoundStarting = faults.Round };
        await demo.StartAsync(CancellationToken.None);

        await RoundsUntilAsync(demo, clock, () => demo.Placed + demo.Refused > 0, "placed an order");

        faults.AssertLogged(log.Entries);
        await StopAsync(demo);
    }

    /// <summary>
    /// The first round throws an ordinary exception, the second a cancellation that is not the
    /// service's (a query or a write that gave up), the rest run as usual.
    /// </summary>
    private sealed class Faults
    {
        private int _rounds;

        public void Round()
        {
            switch (Interlocked.Increment(ref _rounds))
            {
                case 1: throw new InvalidDataException("a round that fails");
                case 2: throw new OperationCanceledException("a round whose query gave up");
            }
        }

        public void AssertLogged(IEnumerable<(LogLevel Level, string Message, Exception? Error)> entries)
        {
            var errors = entries.Where(e => e.Level == LogLevel.Error).ToList();
            Assert.Contains(errors, e => e.Error is InvalidDataException);
            Assert.Contains(errors, e => e.Error is OperationCanceledException);
        }
    }

    /// <summary>Tick the service's timer, a round at a time, until <paramref name="done"/>; it must keep running meanwhile.</summary>
    private static async Task RoundsUntilAsync(BackgroundService service, TickingClock clock, Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            Assert.False(service.ExecuteTask!.IsCompleted, $"the service ended ({service.ExecuteTask.Status}) before it {what}");
            Assert.True(DateTime.UtcNow < deadline, $"the service never {what}");
            clock.Tick();
            await Task.Delay(20);
        }
        Assert.False(service.ExecuteTask!.IsCompleted, $"the service ended ({service.ExecuteTask.Status})");
    }

    /// <summary>Stopped, the service ends quietly.</summary>
    private static async Task StopAsync(BackgroundService service)
    {
        await service.StopAsync(CancellationToken.None);
        Assert.True(service.ExecuteTask!.IsCompleted);
        Assert.Null(service.ExecuteTask.Exception);
    }

    /// <summary>The server without its own instance of the service: only the test's runs.</summary>
    private static void WithoutHosted<T>(IServiceCollection services) where T : IHostedService =>
        services.Remove(services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(T)));

    private static async Task AcceptNextOfferAsync(TestApp app, string courierId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var offer = (await app.GetJsonAsync($"/api/couriers/{courierId}")).GetProperty("offer");
            if (offer.ValueKind == JsonValueKind.Object)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync($"/api/couriers/{courierId}/offers/{offer.GetProperty("id").GetString()}/accept", null)).StatusCode);
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{courierId} was offered nothing within 30 s");
            await Task.Delay(50);
        }
    }
}
