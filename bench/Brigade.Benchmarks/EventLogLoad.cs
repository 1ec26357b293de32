using System.Diagnostics;
using System.Globalization;
using System.Text;
using Brigade.Storage;
using Brigade.Storage.Postgres;

namespace Brigade.Benchmarks;

/// <summary>
/// Durable commits per second of the event log under N concurrent committers (see bench/eventlog.sh).
/// Each commit is shaped like a placed order: three events of about 300 bytes (OrderPlaced and
/// OrderAccepted on a new order stream that must not exist yet, OrderQueued on one of four kitchen
/// streams), one commit in flight per client, the next sent as soon as the last is durable.
/// <code>eventlog --store sqlite|postgres [--data-dir DIR] [--postgres CONN] [--clients N] [--seconds S] [--warmup S]</code>
/// Prints one line: <c>store=… clients=… commits_per_s=… events_per_s=… p50_ms=… p99_ms=…</c>.
/// </summary>
public static class EventLogLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var storeName = Arg("--store", "sqlite");
        var clients = int.Parse(Arg("--clients", "64"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(Arg("--seconds", "10"), CultureInfo.InvariantCulture);
        var warmup = double.Parse(Arg("--warmup", "2"), CultureInfo.InvariantCulture);

        IEventStore store = storeName switch
        {
            "sqlite" => new SqliteEventStore(Arg("--data-dir", Path.Combine(Path.GetTempPath(), "brigade-bench-" + Guid.NewGuid().ToString("N")))),
            "postgres" => new PostgresEventStore(Arg("--postgres", "") is { Length: > 0 } cs ? cs : throw new ArgumentException("--postgres CONNECTION is required")),
            _ => throw new ArgumentException($"--store must be sqlite or postgres, not {storeName}"),
        };
        await using var _ = store;
        await store.InitializeAsync();

        var measuring = false;
        var stop = false;
        var latencies = new List<double>[clients];
        var counts = new long[clients];
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(1 << 16);
            for (var i = 0; !Volatile.Read(ref stop); i++)
            {
                var commit = OrderCommit(c, i);
                var started = Stopwatch.GetTimestamp();
                await store.CommitAsync(commit);
                if (!Volatile.Read(ref measuring)) continue;
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                counts[c]++;
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(warmup));
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed.TotalSeconds;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(tasks);

        var commits = counts.Sum();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Q(double q) => all.Length == 0 ? 0 : all[Math.Clamp((int)Math.Ceiling(q * all.Length) - 1, 0, all.Length - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"store={storeName} clients={clients} commits_per_s={commits / elapsed:F0} events_per_s={3 * commits / elapsed:F0} p50_ms={Q(0.5):F2} p99_ms={Q(0.99):F2}"));
        return 0;
    }

    // Pads each event's JSON to about 300 bytes (the commit to about 900, like the peer's row).
    private static readonly string Padding = new('x', 160);

    private static Commit OrderCommit(int client, int i)
    {
        var id = $"{client:x4}{i:x8}{Guid.NewGuid():N}"[..24];
        var at = DateTimeOffset.UtcNow;
        var stream = "order-" + id;
        EventToWrite Event(string streamId, string type, string json) => new(streamId, type, Encoding.UTF8.GetBytes(json), at, id);
        return new Commit(
        [
            Event(stream, "OrderPlaced", $$"""{"orderId":"{{id}}","restaurantId":"pizza-parlor","customerId":"bench-{{client}}","idempotencyKey":"{{id}}","totalCents":1850,"lines":[{"menuItemId":"margherita","quantity":1}],"note":"{{Padding[..85]}}"}"""),
            Event(stream, "OrderAccepted", $$"""{"orderId":"{{id}}","outletId":"pizza-north","estimatedReadyAt":"{{at.AddMinutes(12):O}}","at":"{{at:O}}","note":"{{Padding[..131]}}"}"""),
            Event("kitchen-k" + (client % 4), "OrderQueued", $$"""{"outletId":"k{{client % 4}}","orderId":"{{id}}","tickets":[{"station":"pizza","tasks":2}],"at":"{{at:O}}","note":"{{Padding[..153]}}"}"""),
        ], new Dictionary<string, long> { [stream] = ExpectedVersion.NoStream });
    }
}
