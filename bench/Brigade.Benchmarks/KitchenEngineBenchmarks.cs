using BenchmarkDotNet.Attributes;
using Brigade.Catalog;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Benchmarks;

/// <summary>
/// The kitchen engine alone, no HTTP, no log: a backlog of orders is cooked to the end by simulated
/// chefs with equipment, on a virtual clock. The measure is task state changes (started, hands
/// free, completed) per second of one core. Orders are queued in the iteration setup, so only the
/// scheduler, timers, equipment and the fold are measured.
/// </summary>
[MemoryDiagnoser]
public class KitchenEngineBenchmarks
{
    private const int Orders = 20_000;
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private readonly RestaurantCatalog _catalog = CatalogLoader.Parse("""
        {
          "timeZone": "UTC",
          "restaurants": [{
            "id": "bench",
            "menu": [
              { "id": "pizza", "steps": [
                  { "name": "top", "station": "line", "workSeconds": 60 },
                  { "name": "bake", "station": "line", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 300 },
                  { "name": "box", "station": "line", "workSeconds": 20 } ] },
              { "id": "salad", "steps": [ { "name": "toss", "station": "cold", "workSeconds": 45 } ] }
            ],
            "outlets": [{
              "id": "k", "lat": 52.5, "lon": 13.4, "maxPromiseMinutes": 100000000,
              "stations": [ { "id": "line", "maxQueuedTasks": 1000000 }, { "id": "cold", "maxQueuedTasks": 1000000 } ],
              "equipment": [ { "id": "oven", "count": 4, "capacity": 8 } ],
              "staff": [
                { "id": "l1", "skills": ["line"] }, { "id": "l2", "skills": ["line"] }, { "id": "l3", "skills": ["line"] }, { "id": "l4", "skills": ["line"] },
                { "id": "l5", "skills": ["line"] }, { "id": "l6", "skills": ["line"] }, { "id": "l7", "skills": ["line"] }, { "id": "l8", "skills": ["line"] },
                { "id": "c1", "skills": ["cold"] }, { "id": "c2", "skills": ["cold"] }
              ]
            }]
          }]
        }
        """, "benchmark catalog");

    private KitchenEngine _kitchen = null!;
    private List<IDomainEvent> _output = null!;
    private int _changes;

    [GlobalSetup]
    public void CountChanges()
    {
        Prepare();
        _kitchen.Advance(T0.AddDays(30), _output);
        _changes = _output.Count(e => e is TaskStarted or TaskHandsFree or TaskCompleted);
        Console.WriteLine($"// {_changes} task state changes for {Orders} orders ({_output.Count} events in all)");
    }

    [IterationSetup]
    public void Prepare()
    {
        _kitchen = new KitchenEngine(_catalog.FindOutlet("k")!);
        var queued = new List<IDomainEvent>();
        for (var i = 0; i < Orders; i++)
            _kitchen.TryQueueOrder($"o{i}", i % 3 == 0 ? [new OrderLine("salad", 1)] : [new OrderLine("pizza", 1), new OrderLine("salad", 1)], T0, queued);
        _output = new List<IDomainEvent>(Orders * 12);
    }

    /// <summary>Cook the whole backlog; reported per task state change.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public int CookBacklog()
    {
        _kitchen.Advance(T0.AddDays(30), _output);
        return _output.Count;
    }

    [IterationCleanup]
    public void Check()
    {
        if (_output.Count(e => e is TaskStarted or TaskHandsFree or TaskCompleted) != _changes)
            throw new InvalidOperationException("the engine did not cook the same backlog");
    }
}
