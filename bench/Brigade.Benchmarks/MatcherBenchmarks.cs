using BenchmarkDotNet.Attributes;
using Brigade.Dispatch;

namespace Brigade.Benchmarks;

/// <summary>
/// One decision round at city scale: 1,000 orders ready (or nearly) at 400 outlets spread over
/// a 20 km square, 5,000 couriers available, k = 32 candidates per outlet, bundling on.
/// Target: at most 50 ms per round on one core.
/// </summary>
[MemoryDiagnoser]
public class MatcherBenchmarks
{
    private const double Side = 20_000;
    private const double Now = 36_000;

    private DispatchOrder[] _orders = [];
    private DispatchCourier[] _couriers = [];
    private Matcher _matcher = null!;

    [Params(1_000)]
    public int Orders { get; set; }

    [Params(5_000)]
    public int Couriers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var outlets = Enumerable.Range(0, 400).Select(_ => new Position(random.NextDouble() * Side, random.NextDouble() * Side)).ToArray();
        _orders = Enumerable.Range(0, Orders).Select(i =>
        {
            var o = random.Next(outlets.Length);
            var p = outlets[o];
            var dropoff = new Position(p.X + ((random.NextDouble() - 0.5) * 6000), p.Y + ((random.NextDouble() - 0.5) * 6000));
            return new DispatchOrder(i, o, p, dropoff, Now - 900 - random.Next(600), Now - random.Next(300));
        }).ToArray();
        _couriers = Enumerable.Range(0, Couriers)
            .Select(i => new DispatchCourier(i, new Position(random.NextDouble() * Side, random.NextDouble() * Side), Now - random.Next(600), Now + (4 * 3600)))
            .ToArray();
        _matcher = new Matcher(new MatcherOptions(), new StraightLineTravel(6.0), new GridCourierCandidates());
    }

    [Benchmark]
    public int Match() => _matcher.Match(Now, _orders, _couriers).Assignments.Count;
}
