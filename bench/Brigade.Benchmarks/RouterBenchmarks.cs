using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Orders;
using Brigade.Routing;

namespace Brigade.Benchmarks;

/// <summary>
/// One routing decision for a restaurant with 50 outlets across a city: zones, health, each
/// kitchen's estimate for the order (queues, crews, equipment, stock), courier availability and the
/// ride, then locality and the ranking. The kitchens carry some load, so the estimates are not trivial.
/// </summary>
[MemoryDiagnoser]
public class RouterBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 18, 0, 0, TimeSpan.Zero);
    private BrigadeEngine _engine = null!;
    private Restaurant _restaurant = null!;
    private readonly List<OrderLine> _lines = [new("margherita", 2), new("garlic-bread", 1)];
    private readonly GeoPoint _customer = new(52.515, 13.41);

    [Params(50)]
    public int Outlets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var outlets = new StringBuilder();
        var rng = new Random(7);
        for (var i = 0; i < Outlets; i++)
        {
            if (i > 0) outlets.Append(',');
            var lat = (52.42 + rng.NextDouble() * 0.18).ToString(CultureInfo.InvariantCulture);
            var lon = (13.25 + rng.NextDouble() * 0.30).ToString(CultureInfo.InvariantCulture);
            outlets.Append($$"""
                { "id": "o{{i}}", "lat": {{lat}}, "lon": {{lon}}, "zone": { "radiusKm": 40 },
                  "stations": [ { "id": "pizza" }, { "id": "bread" } ],
                  "equipment": [ { "id": "oven", "capacity": 6 } ],
                  "staff": [ { "id": "a{{i}}", "skills": ["pizza"] }, { "id": "b{{i}}", "skills": ["pizza"] }, { "id": "c{{i}}", "skills": ["bread"] } ],
                  "stock": [ { "component": "base", "par": 10, "initial": {{rng.Next(0, 10)}} } ] }
                """);
        }
        var catalog = CatalogLoader.Parse($$"""
            {
              "timeZone": "UTC",
              "fleet": { "simulatedCouriers": 200, "radiusKm": 10 },
              "restaurants": [{
                "id": "chain",
                "components": [ { "id": "base", "batch": 4, "prep": [ { "station": "pizza", "workSeconds": 480 } ] } ],
                "menu": [
                  { "id": "margherita", "steps": [
                      { "name": "stretch", "station": "pizza", "workSeconds": 150, "produces": "base" },
                      { "name": "top", "station": "pizza", "workSeconds": 60 },
                      { "name": "bake", "station": "pizza", "workSeconds": 15, "equipment": "oven", "equipmentSeconds": 420 } ] },
                  { "id": "garlic-bread", "steps": [
                      { "name": "prepare", "station": "bread", "workSeconds": 120 },
                      { "name": "bake", "station": "bread", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 360 } ] }
                ],
                "outlets": [ {{outlets}} ]
              }]
            }
            """, "routing benchmark");
        _engine = new BrigadeEngine(catalog);
        var output = new List<IDomainEvent>();
        _engine.Advance(T0, output);
        for (var i = 0; i < Outlets * 3; i++)
            _engine.PlaceOrder(new PlaceOrder($"load{i}", "chain", $"o{i % Outlets}", [new OrderLine("margherita", 1 + i % 3)], null, "c", $"k{i}", "h"), T0, output);
        _engine.Advance(T0.AddSeconds(20), output); // a dispatch round: courier availability per outlet
        _restaurant = catalog.FindRestaurant("chain")!;
        var plan = Route();
        Console.WriteLine($"// chose {plan.Ranked[0].Id}: {plan.Reason}; {plan.Candidates.Count(c => c.Eligible)} of {Outlets} eligible");
    }

    [Benchmark]
    public RoutePlan Route() => _engine.Route(_restaurant, _customer, _lines, T0.AddSeconds(20));
}
