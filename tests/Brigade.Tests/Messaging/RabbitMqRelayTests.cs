using System.Net;
using System.Text;
using System.Text.Json;
using Brigade.Geo;
using Brigade.Messaging;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brigade.Tests.Messaging;

/// <summary>RabbitMQ tests share one broker, which one of them restarts: they run alone, one after another.</summary>
[CollectionDefinition("RabbitMQ", DisableParallelization = true)]
public sealed class RabbitMqCollection;

/// <summary>The outbox relay and the subscriber against a real RabbitMQ broker.</summary>
[Collection("RabbitMQ")]
public sealed class RabbitMqRelayTests : IAsyncLifetime
{
    // Each test publishes to an exchange of its own, so no test sees another's events.
    private readonly string _exchange = "brigade.test." + Guid.NewGuid().ToString("N")[..12];
    private readonly List<RabbitMqRelay> _relays = [];
    private TempLog _log = null!;
    private SqliteEventStore _store = null!;
    private string _dir = "";

    public async Task InitializeAsync()
    {
        _log = await TempLog.OpenAsync("relay");
        (_store, _dir) = (_log.Store, _log.Dir);
    }

    public async Task DisposeAsync()
    {
        foreach (var relay in _relays.ToList()) await StopAsync(relay);
        await _log.DisposeAsync();
    }

    private async Task<RabbitMqRelay> StartRelayAsync(int batchSize = 512)
    {
        var relay = new RabbitMqRelay(_store, _store, new RabbitMqRelayOptions(TestServers.RabbitMq) { Exchange = _exchange, BatchSize = batchSize, MaxBackoff = TimeSpan.FromSeconds(1) },
            NullLogger<RabbitMqRelay>.Instance);
        _relays.Add(relay);
        await relay.StartAsync(CancellationToken.None);
        return relay;
    }

    private async Task StopAsync(RabbitMqRelay relay)
    {
        if (!_relays.Remove(relay)) return;
        await relay.StopAsync(CancellationToken.None);
        relay.Dispose();
    }

    private sealed class Received
    {
        private readonly List<RelayedEvent> _events = [];
        public List<RelayedEvent> Events { get { lock (_events) return [.. _events]; } }
        public Task Add(RelayedEvent e, CancellationToken _)
        {
            lock (_events) _events.Add(e);
            return Task.CompletedTask;
        }
    }

    private async Task<RabbitMqEventSubscriber> SubscribeAsync(Received into, string? queue = null, params string[] bindings)
    {
        var subscriber = new RabbitMqEventSubscriber(new RabbitMqSubscriberOptions(TestServers.RabbitMq)
        {
            Exchange = _exchange,
            Queue = queue,
            Bindings = bindings.Length == 0 ? ["#"] : bindings,
            RecoveryInterval = TimeSpan.FromMilliseconds(500),
        }, into.Add);
        await subscriber.StartAsync();
        return subscriber;
    }

    /// <summary>An order's first events, as the engine writes them: placed, then accepted and (every other order) preparing.</summary>
    private static Commit OrderCommit(int i)
    {
        var at = DateTimeOffset.UnixEpoch.AddDays(1).AddSeconds(i);
        var id = "o" + i;
        List<IDomainEvent> events =
        [
            new OrderPlaced(id, "pizza-parlor", null, [new OrderLine("margherita", 1)], new GeoPoint(52.5, 13.4), "c" + i % 7, 950, null, "k" + i, "h", at),
            new OrderAccepted(id, "pizza-north", at.AddMinutes(12), at),
        ];
        if (i % 2 == 0) events.Add(new OrderPreparing(id, at.AddSeconds(30)));
        return new Commit(events.Select(e => EventSerializer.ToWrite(e)).ToList());
    }

    private static async Task WaitUntil(Func<bool> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    private async Task<List<StoredEvent>> LogAsync()
    {
        var all = new List<StoredEvent>();
        await foreach (var e in _store.ReadAllAsync(0)) all.Add(e);
        return all;
    }

    [Fact]
    public async Task Everything_appended_arrives_once_in_log_order_with_its_routing_key_and_headers()
    {
        var everything = new Received();
        var placedOnly = new Received();
        await using var all = await SubscribeAsync(everything, _exchange + ".all");
        await using var placed = await SubscribeAsync(placedOnly, null, "order.OrderPlaced");
        var relay = await StartRelayAsync();

        await Task.WhenAll(Enumerable.Range(0, 150).Select(i => _store.CommitAsync(OrderCommit(i))));
        var last = await _store.LastPositionAsync();
        await WaitUntil(() => all.LastPosition == last, $"position {last} arrived");

        var log = await LogAsync();
        var got = everything.Events;
        Assert.Equal(log.Select(e => e.Position), got.Select(e => e.Position));
        Assert.Equal(log.Select(e => (e.StreamId, e.Version, e.Type, e.At)), got.Select(e => (e.StreamId, e.Version, e.Type, e.At)));
        Assert.All(got, e => Assert.Equal(e.Type, e.Event.GetType().Name));
        Assert.Equal(log.Select(e => EventSerializer.Deserialize(e).ToString()), got.Select(e => e.Event.ToString()));
        Assert.Equal(0, all.Duplicates);

        // A binding on one routing key (<stream kind>.<event type>) gets exactly those events.
        var placedPositions = log.Where(e => e.Type == "OrderPlaced").Select(e => e.Position).ToList();
        await WaitUntil(() => placed.LastPosition == placedPositions[^1], "the last OrderPlaced arrived");
        Assert.Equal(placedPositions, placedOnly.Events.Select(e => e.Position));
        // Consumers may see the last event before the broker's confirm moves the checkpoint.
        await WaitUntil(() => relay.Checkpoint == last, $"the checkpoint reached {last}");
        Assert.Equal(last, await _store.GetCheckpointAsync(RabbitMqRelay.CheckpointName));
    }

    [Fact]
    public async Task A_relay_stopped_mid_stream_and_started_again_resumes_from_its_checkpoint_and_loses_nothing()
    {
        var received = new Received();
        await using var subscriber = await SubscribeAsync(received, _exchange + ".q");
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !writing.IsCancellationRequested; i++)
            {
                await _store.CommitAsync(OrderCommit(i));
                if (i % 8 == 0) await Task.Delay(1);
            }
        });

        var first = await StartRelayAsync(batchSize: 16);
        await WaitUntil(() => first.Checkpoint >= 200, "the first relay moved its checkpoint past 200");
        await StopAsync(first); // while events are still being written and published
        var stoppedAt = await _store.GetCheckpointAsync(RabbitMqRelay.CheckpointName);
        await Task.Delay(200);
        await writing.CancelAsync();
        await writer;
        var last = await _store.LastPositionAsync();
        Assert.True(stoppedAt < last, "the relay must stop before the end of the log");

        var second = await StartRelayAsync(batchSize: 16);
        await WaitUntil(() => subscriber.LastPosition == last, $"position {last} arrived");

        Assert.Equal(Enumerable.Range(1, (int)last).Select(p => (long)p), received.Events.Select(e => e.Position));
        await WaitUntil(() => second.Checkpoint == last, "the second relay stored its checkpoint");
        // It started from the stored checkpoint, not from the beginning of the log.
        Assert.Equal(last - stoppedAt, second.Published);
    }

    [Fact]
    public async Task The_relay_and_the_subscriber_carry_on_after_the_broker_restarts()
    {
        var received = new Received();
        await using var subscriber = await SubscribeAsync(received, _exchange + ".durable");
        var relay = await StartRelayAsync();
        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => _store.CommitAsync(OrderCommit(i))));
        var before = await _store.LastPositionAsync();
        await WaitUntil(() => subscriber.LastPosition == before, "the first events arrived");

        await TestServers.RabbitMqCtlAsync("stop_app");
        try
        {
            // Written while the broker is down: the relay keeps them in the log until it is back.
            await Task.WhenAll(Enumerable.Range(60, 60).Select(i => _store.CommitAsync(OrderCommit(i))));
        }
        finally
        {
            await TestServers.RabbitMqCtlAsync("start_app");
        }
        await Task.WhenAll(Enumerable.Range(120, 60).Select(i => _store.CommitAsync(OrderCommit(i))));
        var last = await _store.LastPositionAsync();

        await WaitUntil(() => subscriber.LastPosition == last, $"position {last} arrived after the restart", seconds: 90);
        Assert.Equal(Enumerable.Range(1, (int)last).Select(p => (long)p), received.Events.Select(e => e.Position));
        await WaitUntil(() => relay.Checkpoint == last, "the relay stored its checkpoint");
        // Both really lost the broker and came back.
        Assert.True(relay.Sessions >= 2, $"the relay opened {relay.Sessions} session(s)");
        Assert.True(subscriber.Recoveries >= 1, "the subscriber never recovered its connection");
    }

    [Fact]
    public async Task A_handler_that_times_out_is_retried_and_no_event_is_skipped()
    {
        // A callback that calls out (an HTTP client, a database) fails with a timeout now and then,
        // which .NET reports as a TaskCanceledException although nobody is stopping the subscriber.
        var received = new Received();
        var timedOut = 0;
        var subscriber = new RabbitMqEventSubscriber(new RabbitMqSubscriberOptions(TestServers.RabbitMq) { Exchange = _exchange, Queue = _exchange + ".timeouts" },
            (e, ct) =>
            {
                if (e.Position == 3 && Interlocked.Exchange(ref timedOut, 1) == 0)
                    throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.");
                return received.Add(e, ct);
            });
        await using var _ = subscriber;
        await subscriber.StartAsync();
        await StartRelayAsync();

        for (var i = 0; i < 4; i++) await _store.CommitAsync(OrderCommit(i));
        var last = await _store.LastPositionAsync();
        await WaitUntil(() => subscriber.LastPosition == last, $"position {last} arrived");

        Assert.Equal(1, timedOut);
        Assert.Equal(Enumerable.Range(1, (int)last).Select(p => (long)p), received.Events.Select(e => e.Position));
    }

    [Fact]
    public async Task Events_of_a_server_killed_mid_burst_on_postgres_all_reach_the_subscriber_after_it_restarts()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var received = new Received();
        // The server publishes to the real exchange; this queue, new for this test, hears only this server.
        var subscriber = new RabbitMqEventSubscriber(new RabbitMqSubscriberOptions(TestServers.RabbitMq) { Queue = "brigade.test." + Guid.NewGuid().ToString("N") }, received.Add);
        await using var _ = subscriber;
        await subscriber.StartAsync();
        string[] args = ["--store", "postgres", "--postgres", db.ConnectionString, "--rabbitmq", TestServers.RabbitMq.ToString(), "--time-scale", "200"];
        var acked = new List<string>();

        await using (var server = await ServerProcess.StartAsync(_dir, args))
        {
            using var client = server.Client(TimeSpan.FromSeconds(10));
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
                        {
                            Content = new StringContent("""{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""", Encoding.UTF8, "application/json"),
                        };
                        request.Headers.Add("Idempotency-Key", $"relay-{w}-{i}");
                        using var response = await client.SendAsync(request);
                        if (response.StatusCode != HttpStatusCode.Created) continue;
                        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
                        lock (acked) acked.Add(id);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();
            await WaitUntil(() => { lock (acked) return acked.Count >= 60; }, "60 orders were placed");
            server.Kill9(); // orders in flight, events not yet relayed
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        await using (var server = await ServerProcess.StartAsync(_dir, args))
        {
            var head = (long)(await db.ScalarAsync("SELECT position FROM log_head"))!;
            await WaitUntil(() => subscriber.LastPosition >= head, $"position {head} arrived");

            var got = received.Events;
            Assert.Equal(Enumerable.Range(1, got.Count).Select(p => (long)p), got.Select(e => e.Position));
            var placed = got.Select(e => e.Event).OfType<OrderPlaced>().Select(p => p.OrderId).ToHashSet();
            Assert.All(acked, id => Assert.Contains(id, placed));
            await server.StopAsync();
        }
    }
}
