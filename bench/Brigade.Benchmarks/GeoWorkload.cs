using Brigade.Geo;

namespace Brigade.Benchmarks;

/// <summary>
/// Deterministic courier workload in Berlin (52.35..52.65 N, 13.10..13.75 E, ~1,460 km²):
/// start positions, availability, an update sequence in random courier order with both a small
/// move (10–50 m) and a random jump per courier, and query points. Everything is precomputed
/// and laid out in sequence order so that measuring reads inputs sequentially and never runs
/// the random number generator.
/// </summary>
internal sealed class GeoWorkload
{
    public const double LatMin = 52.35;
    public const double LatMax = 52.65;
    public const double LonMin = 13.10;
    public const double LonMax = 13.75;
    private const double MetresPerDegree = GeoPoint.EarthRadiusMetres * Math.PI / 180;

    private GeoWorkload(int couriers, int queries)
    {
        StartLat = new double[couriers];
        StartLon = new double[couriers];
        Available = new bool[couriers];
        Order = new int[couriers];
        OrderStartLat = new double[couriers];
        OrderStartLon = new double[couriers];
        MoveLat = new double[couriers];
        MoveLon = new double[couriers];
        JumpLat = new double[couriers];
        JumpLon = new double[couriers];
        QueryLat = new double[queries];
        QueryLon = new double[queries];
    }

    public int Couriers => StartLat.Length;
    public int Queries => QueryLat.Length;

    /// <summary>Start position and availability, indexed by courier handle.</summary>
    public double[] StartLat { get; }
    public double[] StartLon { get; }
    public bool[] Available { get; }

    /// <summary>Update sequence: Order[i] is the courier of the i-th update.</summary>
    public int[] Order { get; }

    /// <summary>Start position of courier Order[i] (to move back after a move).</summary>
    public double[] OrderStartLat { get; }
    public double[] OrderStartLon { get; }

    /// <summary>Start position of courier Order[i] moved 10–50 m in a random direction.</summary>
    public double[] MoveLat { get; }
    public double[] MoveLon { get; }

    /// <summary>A fresh random position anywhere in the city for courier Order[i].</summary>
    public double[] JumpLat { get; }
    public double[] JumpLon { get; }

    public double[] QueryLat { get; }
    public double[] QueryLon { get; }

    public static GeoWorkload Create(int couriers, int queries, double availableFraction, int seed = 20_251_121)
    {
        var w = new GeoWorkload(couriers, queries);
        var random = new Random(seed);
        for (var c = 0; c < couriers; c++)
        {
            w.StartLat[c] = LatMin + (random.NextDouble() * (LatMax - LatMin));
            w.StartLon[c] = LonMin + (random.NextDouble() * (LonMax - LonMin));
            w.Available[c] = random.NextDouble() < availableFraction;
            w.Order[c] = c;
        }
        random.Shuffle(w.Order);
        for (var i = 0; i < couriers; i++)
        {
            var c = w.Order[i];
            var lat = w.StartLat[c];
            var lon = w.StartLon[c];
            w.OrderStartLat[i] = lat;
            w.OrderStartLon[i] = lon;
            var bearing = random.NextDouble() * 2 * Math.PI;
            var metres = 10 + (random.NextDouble() * 40);
            w.MoveLat[i] = lat + (metres * Math.Cos(bearing) / MetresPerDegree);
            w.MoveLon[i] = lon + (metres * Math.Sin(bearing) / (MetresPerDegree * Math.Cos(lat * Math.PI / 180)));
            w.JumpLat[i] = LatMin + (random.NextDouble() * (LatMax - LatMin));
            w.JumpLon[i] = LonMin + (random.NextDouble() * (LonMax - LonMin));
        }
        for (var q = 0; q < queries; q++)
        {
            w.QueryLat[q] = LatMin + (random.NextDouble() * (LatMax - LatMin));
            w.QueryLon[q] = LonMin + (random.NextDouble() * (LonMax - LonMin));
        }
        return w;
    }
}
