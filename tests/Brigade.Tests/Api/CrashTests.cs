using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Brigade.Storage;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>kill -9 of a real server process in the middle of a burst of orders.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "brigade-crash-" + Guid.NewGuid().ToString("N"));

    private static readonly string[] Bodies =
    [
        """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""",
        """{"restaurantId":"corner-coffee","items":[{"menuItemId":"cappuccino","quantity":2}],"deliverTo":{"lat":52.53,"lon":13.40}}""",
        """{"restaurantId":"burger-bar","items":[{"menuItemId":"cheeseburger","quantity":1},{"menuItemId":"fries","quantity":1}]}""",
        """{"restaurantId":"pizza-parlor","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.51,"lon":13.40}}""",
    ];

    [Fact]
    public async Task Every_acknowledged_order_survives_kill_9_during_a_burst_and_keeps_progressing()
    {
        var acked = new ConcurrentDictionary<string, (string Body, string Id)>();
        var attempted = 0;
        await using (var server = await ServerProcess.StartAsync(_dir, "--time-scale", "200"))
        {
            using var client = server.Client(TimeSpan.FromSeconds(10));
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 48).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"burst-{w}-{i}";
                    var body = Bodies[(w + i) % Bodies.Length];
                    Interlocked.Increment(ref attempted);
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                        request.Headers.Add("Idempotency-Key", key);
                        using var response = await client.SendAsync(request);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
                            acked[key] = (body, id);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();

            while (acked.Count < 120) await Task.Delay(5);
            server.Kill9();   // requests are in flight right now
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }
        Assert.True(attempted > acked.Count, "the kill must hit requests in flight");

        await using (var server = await ServerProcess.StartAsync(_dir, "--time-scale", "200"))
        {
            using var client = server.Client();
            foreach (var (key, (body, id)) in acked)
            {
                using var get = await client.GetAsync($"/api/orders/{id}");
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                retry.Headers.Add("Idempotency-Key", key);
                using var again = await client.SendAsync(retry);
                Assert.Equal(HttpStatusCode.Created, again.StatusCode);
                Assert.Equal(id, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString());
            }

            // They keep progressing after the restart: every acknowledged order gets cooked.
            var deadline = DateTime.UtcNow.AddSeconds(120);
            foreach (var (_, (_, id)) in acked)
            {
                while (true)
                {
                    var order = JsonDocument.Parse(await client.GetStringAsync($"/api/orders/{id}")).RootElement;
                    if (order.GetProperty("timeline").GetProperty("readyAt").ValueKind != JsonValueKind.Null) break;
                    Assert.True(DateTime.UtcNow < deadline, $"order {id} is stuck at {order.GetProperty("status")}");
                    await Task.Delay(50);
                }
            }
            await server.StopAsync();
        }

        // Nothing duplicated: each idempotency key placed at most one order, and every acknowledged key is there.
        await using var store = new SqliteEventStore(_dir);
        await store.InitializeAsync();
        var placedKeys = new List<string>();
        await foreach (var e in store.ReadAllAsync(0))
            if (e.Type == "OrderPlaced") placedKeys.Add(JsonDocument.Parse(e.Data).RootElement.GetProperty("idempotencyKey").GetString()!);
        Assert.Equal(placedKeys.Count, placedKeys.Distinct().Count());
        Assert.Subset(placedKeys.ToHashSet(), acked.Keys.ToHashSet());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
