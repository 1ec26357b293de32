using BenchmarkDotNet.Attributes;
using Brigade.Dispatch;

namespace Brigade.Benchmarks;

/// <summary>
/// One million couriers in Berlin, ~70 % available. Each update benchmark applies one update to
/// every courier in random order per invocation (OperationsPerInvoke = 1,000,000, so the
/// reported time is per update), either through one <see cref="GeoIndex.Update"/> call each or
/// through <see cref="GeoIndex.UpdateMany"/>; inputs alternate between two precomputed position
/// sets so that every invocation is a real move. The query benchmark runs 100,000 "10 nearest
/// available within 1 km" queries at random points. Targets: ≥ 5 M updates/s, ≥ 200 k
/// queries/s, ≤ 200 B/courier (the Allocated column of <see cref="Build"/> is bytes per courier;
/// 0 B elsewhere shows that updates and queries do not allocate).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
[InvocationCount(1)]
public class GeoIndexBenchmarks
{
    private const int Couriers = 1_000_000;
    private const int Queries = 100_000;
    private const long Tick = TimeSpan.TicksPerSecond;

    private GeoWorkload _workload = null!;
    private GeoIndex _index = null!;
    private readonly Neighbour[] _results = new Neighbour[10];
    private CourierPosition[] _batch = [];
    private long _clock;
    private bool _back;

    /// <summary>Grid cell edge in metres, for ~480 available couriers/km².</summary>
    [Params(100, 200, 400)]
    public double CellSizeMetres { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _workload = GeoWorkload.Create(Couriers, Queries, availableFraction: 0.7);
        _clock = 1_000 * Tick;
        _index = Fill(_workload, CellSizeMetres, _clock);
        _batch = new CourierPosition[Couriers];
        Console.WriteLine($"// cell {CellSizeMetres} m: {_index.MemoryFootprintBytes / 1e6:F1} MB held, " +
            $"{_index.ApproximateBytesPerCourier:F1} B/courier, {_index.CellCount} cells, {_index.IndexedCount} indexed");
    }

    internal static GeoIndex Fill(GeoWorkload workload, double cellSizeMetres, long ticks)
    {
        var index = new GeoIndex(new GeoIndexOptions
        {
            CellSizeMetres = cellSizeMetres,
            InitialCapacity = workload.Couriers,
            StaleAfter = TimeSpan.FromDays(1),
        });
        for (var c = 0; c < workload.Couriers; c++)
        {
            index.SetAvailable(c, workload.Available[c]);
            index.Update(c, workload.StartLat[c], workload.StartLon[c], ticks);
        }
        return index;
    }

    /// <summary>Every courier moves 10–50 m (and back on the next invocation).</summary>
    [Benchmark(OperationsPerInvoke = Couriers)]
    public int UpdateSmallMoves()
    {
        _back = !_back;
        return _back
            ? Apply(_workload.MoveLat, _workload.MoveLon)
            : Apply(_workload.OrderStartLat, _workload.OrderStartLon);
    }

    /// <summary>Every courier jumps to a random point of the city (and back): nearly always a cell change.</summary>
    [Benchmark(OperationsPerInvoke = Couriers)]
    public int UpdateRandomJumps()
    {
        _back = !_back;
        return _back
            ? Apply(_workload.JumpLat, _workload.JumpLon)
            : Apply(_workload.OrderStartLat, _workload.OrderStartLon);
    }

    private int Apply(double[] lat, double[] lon)
    {
        var ticks = _clock += Tick;
        var order = _workload.Order;
        var index = _index;
        var applied = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if (index.Update(order[i], lat[i], lon[i], ticks) == GeoUpdateResult.Applied)
                applied++;
        }
        return applied;
    }

    [IterationSetup(Target = nameof(UpdateSmallMovesBatched))]
    public void PrepareSmallMoves()
    {
        _back = !_back;
        Prepare(_back ? _workload.MoveLat : _workload.OrderStartLat, _back ? _workload.MoveLon : _workload.OrderStartLon);
    }

    [IterationSetup(Target = nameof(UpdateRandomJumpsBatched))]
    public void PrepareRandomJumps()
    {
        _back = !_back;
        Prepare(_back ? _workload.JumpLat : _workload.OrderStartLat, _back ? _workload.JumpLon : _workload.OrderStartLon);
    }

    /// <summary>Stamps the next batch outside the measured region (one invocation per iteration).</summary>
    private void Prepare(double[] lat, double[] lon)
    {
        var ticks = _clock += Tick;
        var order = _workload.Order;
        for (var i = 0; i < order.Length; i++)
            _batch[i] = new CourierPosition(order[i], lat[i], lon[i], ticks);
    }

    /// <summary>Same moves as <see cref="UpdateSmallMoves"/>, through the prefetching batch API.</summary>
    [Benchmark(OperationsPerInvoke = Couriers)]
    public int UpdateSmallMovesBatched() => _index.UpdateMany(_batch);

    /// <summary>Same jumps as <see cref="UpdateRandomJumps"/>, through the prefetching batch API.</summary>
    [Benchmark(OperationsPerInvoke = Couriers)]
    public int UpdateRandomJumpsBatched() => _index.UpdateMany(_batch);

    [Benchmark(OperationsPerInvoke = Queries)]
    public int Nearest10Within1Km()
    {
        var lat = _workload.QueryLat;
        var lon = _workload.QueryLon;
        var index = _index;
        var found = 0;
        for (var q = 0; q < lat.Length; q++)
            found += index.Nearest(lat[q], lon[q], 10, 1_000, _clock, _results);
        return found;
    }

    /// <summary>Building the index for 1 M couriers; Allocated is bytes per courier.</summary>
    [Benchmark(OperationsPerInvoke = Couriers)]
    public long Build() => Fill(_workload, CellSizeMetres, _clock).MemoryFootprintBytes;
}
