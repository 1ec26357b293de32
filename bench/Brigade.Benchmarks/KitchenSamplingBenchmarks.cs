using BenchmarkDotNet.Attributes;
using Brigade.Catalog;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Benchmarks;

/// <summary>
/// What reading a kitchen with a large backlog costs on the engine thread: the station loads that
/// gauges and alert rules sample, and the kitchen display (capped at its oldest tickets). The peer
/// is the naive p90: sorting every open ticket's queue time.
/// </summary>
[MemoryDiagnoser]
public class KitchenSamplingBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Params(100_000)]
    public int Orders { get; set; }

    private KitchenEngine _kitchen = null!;
    private long[] _queuedAt = [];

    [GlobalSetup]
    public void QueueBacklog()
    {
        var catalog = CatalogLoader.Parse("""
            {
              "timeZone": "UTC",
              "restaurants": [{
                "id": "bench",
                "menu": [
                  { "id": "pizza", "steps": [ { "name": "top", "station": "line", "workSeconds": 60 }, { "name": "box", "station": "line", "workSeconds": 20 } ] },
                  { "id": "salad", "steps": [ { "name": "toss", "station": "cold", "workSeconds": 45 } ] }
                ],
                "outlets": [{
                  "id": "k", "lat": 52.5, "lon": 13.4, "maxPromiseMinutes": 100000000,
                  "stations": [ { "id": "line", "maxQueuedTasks": 10000000 }, { "id": "cold", "maxQueuedTasks": 10000000 } ],
                  "staff": [ { "id": "l1", "skills": ["line"] }, { "id": "c1", "skills": ["cold"] } ]
                }]
              }]
            }
            """, "benchmark catalog");
        _kitchen = new KitchenEngine(catalog.FindOutlet("k")!);
        var output = new List<IDomainEvent>();
        for (var i = 0; i < Orders; i++)
            _kitchen.TryQueueOrder($"o{i}", i % 3 == 0 ? [new OrderLine("salad", 1)] : [new OrderLine("pizza", 1), new OrderLine("salad", 1)], T0.AddMilliseconds(i), output);
        _queuedAt = output.OfType<OrderQueued>().Select(q => q.At.UtcTicks).ToArray();
    }

    [Benchmark(Baseline = true, Description = "peer: sort every ticket's queue time")]
    public long SortAll()
    {
        var copy = (long[])_queuedAt.Clone();
        Array.Sort(copy);
        return copy[copy.Length / 10];
    }

    [Benchmark(Description = "station loads (gauges, alerts)")]
    public int StationLoads() => _kitchen.StationLoads(T0.AddHours(1)).Count;

    [Benchmark(Description = "kitchen display (oldest 200 tickets a station)")]
    public int Display() => _kitchen.Snapshot(T0.AddHours(1)).Stations.Count;
}
