using Brigade.Dispatch;
using Brigade.Geo;
using FsCheck;
using FsCheck.Fluent;

namespace Brigade.Tests.Dispatch;

public class GeoIndexTests
{
    private const long Second = TimeSpan.TicksPerSecond;
    private const long T0 = 1_000 * Second;
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(60);

    private static GeoIndex NewIndex(double cellSizeMetres = 200) =>
        new(new GeoIndexOptions { CellSizeMetres = cellSizeMetres, StaleAfter = StaleAfter, InitialCapacity = 8 });

    private static Neighbour[] Nearest(GeoIndex index, double lat, double lon, int k, double radius, long now)
    {
        var buffer = new Neighbour[k];
        var n = index.Nearest(lat, lon, k, radius, now, buffer);
        return buffer[..n];
    }

    // ------------------------------------------------------------------ examples

    [Fact]
    public void Out_of_order_and_duplicate_updates_never_move_a_courier_backwards()
    {
        var index = NewIndex();
        Assert.Equal(GeoUpdateResult.Applied, index.Update(7, 52.50, 13.40, T0 + (10 * Second)));
        Assert.Equal(GeoUpdateResult.IgnoredOutOfOrder, index.Update(7, 52.60, 13.50, T0 + (10 * Second)));
        Assert.Equal(GeoUpdateResult.IgnoredOutOfOrder, index.Update(7, 52.60, 13.50, T0 + (9 * Second)));

        Assert.True(index.TryGetPosition(7, out var position, out var ticks));
        Assert.Equal(new GeoPoint(52.50, 13.40), position);
        Assert.Equal(T0 + (10 * Second), ticks);

        Assert.Equal(GeoUpdateResult.Applied, index.Update(7, 52.60, 13.50, T0 + (11 * Second)));
        Assert.True(index.TryGetPosition(7, out position, out _));
        Assert.Equal(new GeoPoint(52.60, 13.50), position);
    }

    [Fact]
    public void Ignored_update_does_not_move_the_courier_in_queries()
    {
        var index = NewIndex();
        index.SetAvailable(1, true);
        index.Update(1, 52.50, 13.40, T0);
        Assert.Equal(GeoUpdateResult.IgnoredOutOfOrder, index.Update(1, 52.55, 13.45, T0 - Second));

        Assert.Single(Nearest(index, 52.50, 13.40, 1, 10, T0));
        Assert.Empty(Nearest(index, 52.55, 13.45, 1, 1_000, T0));
    }

    [Theory]
    [InlineData(double.NaN, 13.4)]
    [InlineData(52.5, double.NaN)]
    [InlineData(double.PositiveInfinity, 13.4)]
    [InlineData(52.5, double.NegativeInfinity)]
    [InlineData(90.0001, 13.4)]
    [InlineData(-91, 13.4)]
    [InlineData(52.5, 180.0001)]
    [InlineData(52.5, -200)]
    public void Rejects_update_with_invalid_coordinates(double lat, double lon)
    {
        var index = NewIndex();
        index.SetAvailable(3, true);
        index.Update(3, 52.50, 13.40, T0);

        Assert.Equal(GeoUpdateResult.RejectedInvalid, index.Update(3, lat, lon, T0 + Second));

        Assert.True(index.TryGetPosition(3, out var position, out var ticks));
        Assert.Equal(new GeoPoint(52.50, 13.40), position);
        Assert.Equal(T0, ticks);
        Assert.Equal(3, Assert.Single(Nearest(index, 52.50, 13.40, 5, 10, T0)).Courier);
        // The rejected timestamp was not recorded either: an update just after T0 still applies.
        Assert.Equal(GeoUpdateResult.Applied, index.Update(3, 52.50, 13.40, T0 + 1));
    }

    [Fact]
    public void Rejects_an_invalid_first_update_without_creating_a_position()
    {
        var index = NewIndex();
        Assert.Equal(GeoUpdateResult.RejectedInvalid, index.Update(0, double.NaN, 0, T0));
        Assert.False(index.TryGetPosition(0, out _, out _));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void Stale_couriers_are_not_returned_and_are_swept()
    {
        var index = NewIndex();
        index.SetAvailable(1, true);
        index.SetAvailable(2, true);
        index.Update(1, 52.5000, 13.4000, T0);
        index.Update(2, 52.5001, 13.4001, T0 + (30 * Second));

        var now = T0 + (60 * Second);   // courier 1 is exactly StaleAfter old: still fresh
        Assert.Equal(2, Nearest(index, 52.5, 13.4, 5, 1_000, now).Length);

        now += 1;                       // one tick later it is stale
        var fresh = Nearest(index, 52.5, 13.4, 5, 1_000, now);
        Assert.Equal(2, Assert.Single(fresh).Courier);
        var within = new List<Neighbour>();
        Assert.Equal(1, index.WithinRadius(52.5, 13.4, 1_000, now, within));

        Assert.Equal(2, index.IndexedCount);
        Assert.Equal(1, index.SweepStale(now));
        Assert.Equal(1, index.IndexedCount);
        Assert.Equal(0, index.SweepStale(now));

        // A swept courier keeps its position and comes back with its next update.
        Assert.True(index.TryGetPosition(1, out _, out _));
        Assert.Equal(GeoUpdateResult.Applied, index.Update(1, 52.5, 13.4, now));
        Assert.Equal(2, Nearest(index, 52.5, 13.4, 5, 1_000, now).Length);
    }

    [Fact]
    public void Sweep_with_a_budget_resumes_where_it_stopped()
    {
        var index = NewIndex();
        for (var c = 0; c < 10; c++)
        {
            index.SetAvailable(c, true);
            index.Update(c, 52.5, 13.4 + (c * 0.001), T0);
        }
        var later = T0 + (120 * Second);
        var total = 0;
        for (var pass = 0; pass < index.Capacity; pass += 3)
            total += index.SweepStale(later, 3);
        Assert.Equal(10, total);
        Assert.Equal(0, index.IndexedCount);
    }

    [Fact]
    public void Unavailable_couriers_are_not_returned()
    {
        var index = NewIndex();
        index.Update(1, 52.5, 13.4, T0);          // never made available
        index.SetAvailable(2, true);
        index.Update(2, 52.5, 13.401, T0);
        index.SetAvailable(3, true);
        index.Update(3, 52.5, 13.402, T0);
        index.SetAvailable(3, false);

        var found = Nearest(index, 52.5, 13.4, 10, 5_000, T0);
        Assert.Equal([2], found.Select(n => n.Courier));

        index.SetAvailable(1, true);
        Assert.Equal([1, 2], Nearest(index, 52.5, 13.4, 10, 5_000, T0).Select(n => n.Courier));
        Assert.False(index.IsAvailable(3));
    }

    [Fact]
    public void Radius_limit_is_respected()
    {
        var index = NewIndex(cellSizeMetres: 100);
        // Couriers due north every 100 m: 0, 100, ..., 1,900 m.
        const double metresPerDegree = GeoPoint.EarthRadiusMetres * Math.PI / 180;
        for (var i = 0; i < 20; i++)
        {
            index.SetAvailable(i, true);
            index.Update(i, 52.5 + (i * 100 / metresPerDegree), 13.4, T0);
        }

        var nearest = Nearest(index, 52.5, 13.4, 20, 1_050, T0);
        Assert.Equal(11, nearest.Length);
        Assert.All(nearest, n => Assert.True(n.DistanceMetres <= 1_050));
        Assert.Equal(Enumerable.Range(0, 11), nearest.Select(n => n.Courier));

        var within = new List<Neighbour>();
        Assert.Equal(11, index.WithinRadius(52.5, 13.4, 1_050, T0, within));
        Assert.Equal(Enumerable.Range(0, 11), within.Select(n => n.Courier));

        Assert.Equal(3, Nearest(index, 52.5, 13.4, 3, 1_050, T0).Length);
        Assert.Empty(Nearest(index, 52.5 - (200 / metresPerDegree), 13.4, 5, 150, T0));
    }

    [Fact]
    public void Finds_neighbours_across_the_antimeridian_and_over_the_pole()
    {
        var index = NewIndex();
        index.SetAvailable(1, true);
        index.Update(1, 10.0, 179.9995, T0);       // ~55 m west of the antimeridian
        index.SetAvailable(2, true);
        index.Update(2, 89.9995, 0, T0);           // ~56 m from the North Pole
        index.SetAvailable(3, true);
        index.Update(3, 10.0, 179.99, T0);

        var east = Nearest(index, 10.0, -179.9995, 1, 1_000, T0);
        Assert.Equal(1, Assert.Single(east).Courier);
        Assert.InRange(east[0].DistanceMetres, 108, 112);

        var acrossPole = Nearest(index, 89.9995, 180, 1, 1_000, T0);
        Assert.Equal(2, Assert.Single(acrossPole).Courier);
        Assert.InRange(acrossPole[0].DistanceMetres, 110, 113);

        var atPole = Nearest(index, 90, 42, 1, 1_000, T0);
        Assert.Equal(2, Assert.Single(atPole).Courier);
    }

    [Fact]
    public void Nearest_looks_past_the_query_cell_when_a_closer_courier_may_be_next_door()
    {
        var index = NewIndex(cellSizeMetres: 200);
        var height = GeoIndex.RowHeightDegrees(200);
        var border = -90 + ((int)((52.5 + 90) / height) * height);  // a row boundary near 52.5°N
        index.SetAvailable(1, true);
        index.Update(1, border + (0.5 * height), 13.4, T0);         // same cell as the query, ~100 m away
        index.SetAvailable(2, true);
        index.Update(2, border - 1e-5, 13.4, T0);                   // the row below, ~1 m away

        var found = Nearest(index, border + 1e-7, 13.4, 1, 1_000, T0);

        Assert.Equal(2, Assert.Single(found).Courier);
    }

    [Fact]
    public void A_courier_moved_by_a_swap_remove_keeps_updating_its_own_entry()
    {
        var index = NewIndex(cellSizeMetres: 1_000);
        for (var c = 0; c < 3; c++)
        {
            index.SetAvailable(c, true);
            index.Update(c, 52.5001 + (c * 0.0001), 13.4001, T0);   // all in one cell
        }
        index.SetAvailable(0, false);                              // courier 2 is swapped into 0's entry
        index.Update(2, 52.5002, 13.4002, T0 + Second);            // same cell: updated in place

        var found = Nearest(index, 52.5002, 13.4002, 1, 1, T0 + Second);

        Assert.Equal(2, Assert.Single(found).Courier);
        Assert.Equal(0, found[0].DistanceMetres);
    }

    [Fact]
    public void Remove_forgets_the_courier_and_accepts_any_later_timestamp()
    {
        var index = NewIndex();
        index.SetAvailable(4, true);
        index.Update(4, 52.5, 13.4, T0);
        Assert.True(index.Remove(4));
        Assert.False(index.Remove(4));
        Assert.False(index.TryGetPosition(4, out _, out _));
        Assert.Empty(Nearest(index, 52.5, 13.4, 1, 1_000, T0));
        Assert.Equal(GeoUpdateResult.Applied, index.Update(4, 52.5, 13.4, T0 - Second));
        Assert.False(index.IsAvailable(4));
    }

    [Fact]
    public void Handles_beyond_the_initial_capacity_grow_the_index()
    {
        var index = NewIndex();
        index.SetAvailable(5_000, true);
        Assert.Equal(GeoUpdateResult.Applied, index.Update(5_000, 1, 2, T0));
        Assert.True(index.Capacity > 5_000);
        Assert.Equal(5_000, Assert.Single(Nearest(index, 1, 2, 1, 1, T0)).Courier);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Update(-1, 1, 2, T0));
    }

    [Theory]
    [InlineData(52.5, 13.4, 52.51, 13.41)]
    [InlineData(0, 179.99, 0.01, -179.99)]
    [InlineData(-33.9, 18.4, -33.95, 18.45)]
    [InlineData(89.99, 0, 89.99, 180)]
    public void Distance_metric_agrees_with_haversine(double lat1, double lon1, double lat2, double lon2)
    {
        var haversine = GeoPoint.HaversineMetres(new(lat1, lon1), new(lat2, lon2));
        Assert.Equal(haversine, GeoIndex.DistanceMetres(lat1, lon1, lat2, lon2), 1e-6);
        Assert.Equal(GeoIndex.DistanceMetres(lat1, lon1, lat2, lon2), GeoIndex.DistanceMetres(lat2, lon2, lat1, lon1));
    }

    [Fact]
    public void Fast_sine_and_cosine_match_the_runtime_to_within_a_few_ulps()
    {
        var random = new Random(3);
        var worst = 0.0;
        for (var i = 0; i < 200_000; i++)
        {
            // Latitudes and longitudes in radians, plus the exact quadrant boundaries in degrees.
            var x = i < 1_441 ? (i - 720) * 0.25 * Math.PI / 180 : (random.NextDouble() * 2.2 * Math.PI) - (1.1 * Math.PI);
            FastTrig.SinCos(x, out var sin, out var cos);
            worst = Math.Max(worst, Math.Max(Math.Abs(sin - Math.Sin(x)), Math.Abs(cos - Math.Cos(x))));
        }
        Assert.True(worst <= 3e-16, $"worst absolute error {worst:E2}");
        FastTrig.SinCos(0, out var s0, out var c0);
        Assert.Equal((0.0, 1.0), (s0, c0));
    }

    [Fact]
    public void Memory_per_courier_for_a_million_couriers_is_at_most_200_bytes()
    {
        const int couriers = 1_000_000;
        var random = new Random(12345);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var index = new GeoIndex(new GeoIndexOptions { InitialCapacity = couriers });
        for (var c = 0; c < couriers; c++)
        {
            if (random.NextDouble() < 0.7)
                index.SetAvailable(c, true);
            index.Update(c, 52.35 + (random.NextDouble() * 0.30), 13.10 + (random.NextDouble() * 0.65), T0);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(couriers, index.Count);
        Assert.InRange(index.IndexedCount, 690_000, 710_000);
        // The footprint counts every array the index holds, so it cannot exceed what was allocated.
        Assert.InRange(index.MemoryFootprintBytes, 1, allocated);
        Assert.True(index.ApproximateBytesPerCourier <= 200, $"{index.ApproximateBytesPerCourier:F1} bytes per courier");
        Assert.True(allocated / (double)couriers <= 200, $"{allocated / (double)couriers:F1} bytes allocated per courier");
    }

    [Fact]
    public void Cell_key_map_matches_a_dictionary_under_random_adds_and_removes()
    {
        var map = new CellKeyMap(4);
        var expected = new Dictionary<long, int>();
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            // Small key space so that adds, removes and long probe chains all happen.
            var key = ((long)random.Next(40) << 32) | (uint)random.Next(40);
            if (expected.Remove(key))
                map.Remove(key);
            else
            {
                expected.Add(key, i);
                map.Add(key, i);
            }
            Assert.Equal(expected.Count, map.Count);
            var probe = ((long)random.Next(40) << 32) | (uint)random.Next(40);
            Assert.Equal(expected.TryGetValue(probe, out var value) ? value : -1, map.Find(probe));
        }
    }

    [Fact]
    public void Courier_handles_are_dense_and_reused()
    {
        var handles = new CourierHandles();
        Assert.Equal(0, handles.GetOrAdd("alice"));
        Assert.Equal(1, handles.GetOrAdd("bob"));
        Assert.Equal(0, handles.GetOrAdd("alice"));
        Assert.True(handles.Release("alice", out var released));
        Assert.Equal(0, released);
        Assert.Null(handles.IdOf(0));
        Assert.Equal(0, handles.GetOrAdd("carol"));
        Assert.Equal("carol", handles.IdOf(0));
        Assert.Equal(2, handles.HandleSpan);
        Assert.False(handles.TryGet("alice", out _));
    }

    // ------------------------------------------------------------------ property: index == brute force

    public enum Region { City, CellBorders, NorthPole, SouthPole, Antimeridian, Mixed }

    public abstract record Op;
    public sealed record UpdateOp(int Courier, double Lat, double Lon, int SecondsFromNow) : Op;
    public sealed record AvailabilityOp(int Courier, bool Available) : Op;
    public sealed record RemoveOp(int Courier) : Op;
    public sealed record AdvanceOp(int Seconds) : Op;
    public sealed record SweepOp : Op;
    public sealed record NearestOp(double Lat, double Lon, int K, double Radius) : Op;
    public sealed record RadiusOp(double Lat, double Lon, double Radius) : Op;

    public sealed record Scenario(double CellSize, Region Region, int Couriers, int FullScanSlack, Op[] Ops)
    {
        public override string ToString() =>
            $"Scenario {{ CellSize = {CellSize}, Region = {Region}, Couriers = {Couriers}, FullScanSlack = {FullScanSlack}, Ops =\n  {string.Join("\n  ", Ops.Select(o => o.ToString()))} }}";
    }

    private static Gen<double> Uniform(double from, double to) =>
        Gen.Choose(0, 1_000_000).Select(i => from + ((to - from) * i / 1_000_000));

    private static Gen<(double Lat, double Lon)> Point(Region region, double cellSize)
    {
        // A dense cluster a few cells wide (where ring termination matters) inside a wider city.
        var height = GeoIndex.RowHeightDegrees(cellSize);
        var spread = 3 * height;
        var hot = 0.7 * height;
        var corner = -90 + ((int)((52.5 + 90) / height) * height);
        var city = Gen.Frequency(
            (2, from lat in Uniform(corner - hot, corner + hot) from lon in Uniform(13.4 - (1.6 * hot), 13.4 + (1.6 * hot)) select (lat, lon)),
            (2, from lat in Uniform(52.5 - spread, 52.5 + spread) from lon in Uniform(13.4 - (1.6 * spread), 13.4 + (1.6 * spread)) select (lat, lon)),
            (1, from lat in Uniform(52.45, 52.55) from lon in Uniform(13.3, 13.5) select (lat, lon)));
        var baseRow = (int)((52.5 + 90) / height);
        var nudge = Gen.Elements(0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-4, -1e-4);
        var borders =
            from row in Gen.Choose(baseRow - 3, baseRow + 3)
            from dLat in nudge
            from colStep in Gen.Choose(-3, 3)
            from dLon in nudge
            let n = GeoIndex.ColumnsInRow(cellSize, row)
            let col = (int)((13.4 + 180) * n / 360) + colStep
            select (-90 + (row * height) + dLat, -180 + (col * 360.0 / n) + dLon);
        var north = from lat in Gen.OneOf(Uniform(89.95, 90), Gen.Constant(90.0)) from lon in Uniform(-180, 180) select (lat, lon);
        var south = from lat in Gen.OneOf(Uniform(-90, -89.95), Gen.Constant(-90.0)) from lon in Uniform(-180, 180) select (lat, lon);
        var antimeridian =
            from lat in Uniform(-0.03, 0.03)
            from lon in Gen.OneOf(Uniform(179.95, 180), Uniform(-180, -179.95), Gen.Elements(180.0, -180.0))
            select (lat, lon);
        return region switch
        {
            Region.City => city,
            Region.CellBorders => borders,
            Region.NorthPole => north,
            Region.SouthPole => south,
            Region.Antimeridian => antimeridian,
            _ => Gen.OneOf(city, borders, north, south, antimeridian),
        };
    }

    private static Gen<Op> Operation(Region region, double cellSize, int couriers)
    {
        var point = Point(region, cellSize);
        var courier = Gen.Choose(0, couriers - 1);
        var invalid = Gen.Elements((double.NaN, 13.4), (91.0, 0.0), (0.0, 180.5), (double.PositiveInfinity, 0.0));
        var radius = Gen.Elements(0.0, 30, 200, 1_000, 3_000, 20_000, 500_000, double.PositiveInfinity);
        var update =
            from c in courier
            from p in Gen.Frequency((30, point), (1, invalid))
            from dt in Gen.Choose(-3, 1)
            select (Op)new UpdateOp(c, p.Item1, p.Item2, dt);
        var availability = from c in courier from a in Gen.Elements(true, true, false) select (Op)new AvailabilityOp(c, a);
        var remove = courier.Select(c => (Op)new RemoveOp(c));
        var advance = Gen.Choose(0, 90).Select(s => (Op)new AdvanceOp(s));
        var sweep = Gen.Constant((Op)new SweepOp());
        var nearest = from p in point from k in Gen.Frequency((3, Gen.Choose(1, 3)), (1, Gen.Choose(4, 12))) from r in radius select (Op)new NearestOp(p.Lat, p.Lon, k, r);
        var within = from p in point from r in radius select (Op)new RadiusOp(p.Lat, p.Lon, r);
        return Gen.Frequency((40, update), (8, availability), (2, remove), (5, advance), (3, sweep), (10, nearest), (6, within));
    }

    private static readonly Gen<Scenario> Scenarios =
        from cellSize in Gen.Elements(50.0, 100.0, 500.0, 5_000.0)
        from region in Gen.Elements(Enum.GetValues<Region>())
        from couriers in Gen.Choose(1, 60)
        from fullScanSlack in Gen.Elements(64, 20_000)
        from ops in Gen.ArrayOf(Operation(region, cellSize, couriers)).ScaleSize(s => s * 2)
        select new Scenario(cellSize, region, couriers, fullScanSlack, ops);

    [Fact]
    public void Queries_match_a_brute_force_oracle_under_random_operations() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(Arb.From(Scenarios), RunAgainstOracle));

    private sealed class OracleCourier
    {
        public bool HasPosition;
        public double Lat;
        public double Lon;
        public long Ticks;
        public bool Available;
        public bool Linked;   // in a cell: available, positioned and not swept since
    }

    private static void RunAgainstOracle(Scenario scenario)
    {
        var index = NewIndex(scenario.CellSize);
        // A generous slack keeps sparse searches on the ring path instead of the full-scan fallback.
        index.FullScanSlack = scenario.FullScanSlack;
        var oracle = new OracleCourier[scenario.Couriers];
        for (var c = 0; c < oracle.Length; c++)
            oracle[c] = new OracleCourier();
        var now = T0;
        var staleTicks = StaleAfter.Ticks;
        var within = new List<Neighbour>();

        foreach (var op in scenario.Ops)
        {
            switch (op)
            {
                case UpdateOp u:
                {
                    var o = oracle[u.Courier];
                    var ticks = now + (u.SecondsFromNow * Second);
                    var expected = !GeoPoint.IsValid(u.Lat, u.Lon) ? GeoUpdateResult.RejectedInvalid
                        : o.HasPosition && ticks <= o.Ticks ? GeoUpdateResult.IgnoredOutOfOrder
                        : GeoUpdateResult.Applied;
                    Assert.Equal(expected, index.Update(u.Courier, u.Lat, u.Lon, ticks));
                    if (expected == GeoUpdateResult.Applied)
                    {
                        (o.HasPosition, o.Lat, o.Lon, o.Ticks) = (true, u.Lat, u.Lon, ticks);
                        o.Linked = o.Available;
                    }
                    break;
                }
                case AvailabilityOp a:
                {
                    var o = oracle[a.Courier];
                    index.SetAvailable(a.Courier, a.Available);
                    o.Available = a.Available;
                    o.Linked = a.Available && (o.Linked || o.HasPosition);
                    break;
                }
                case RemoveOp r:
                {
                    var o = oracle[r.Courier];
                    Assert.Equal(o.HasPosition || o.Available, index.Remove(r.Courier));
                    oracle[r.Courier] = new OracleCourier();
                    break;
                }
                case AdvanceOp adv:
                    now += adv.Seconds * Second;
                    break;
                case SweepOp:
                {
                    var expected = 0;
                    foreach (var o in oracle)
                    {
                        if (o.Linked && o.Ticks < now - staleTicks)
                        {
                            o.Linked = false;
                            expected++;
                        }
                    }
                    Assert.Equal(expected, index.SweepStale(now));
                    break;
                }
                case NearestOp q:
                {
                    var expected = Candidates(oracle, q.Lat, q.Lon, q.Radius, now - staleTicks).Take(q.K).ToArray();
                    var actual = Nearest(index, q.Lat, q.Lon, q.K, q.Radius, now);
                    AssertSameAnswer(oracle, q.Lat, q.Lon, expected, actual);
                    break;
                }
                case RadiusOp q:
                {
                    var expected = Candidates(oracle, q.Lat, q.Lon, q.Radius, now - staleTicks).ToArray();
                    Assert.Equal(expected.Length, index.WithinRadius(q.Lat, q.Lon, q.Radius, now, within));
                    AssertSameAnswer(oracle, q.Lat, q.Lon, expected, [.. within]);
                    break;
                }
                default:
                    throw new InvalidOperationException(op.ToString());
            }

            Assert.Equal(oracle.Count(o => o.HasPosition), index.Count);
            Assert.Equal(oracle.Count(o => o.Linked), index.IndexedCount);
        }

        for (var c = 0; c < oracle.Length; c++)
        {
            Assert.Equal(oracle[c].HasPosition, index.TryGetPosition(c, out var position, out var ticks));
            if (oracle[c].HasPosition)
            {
                Assert.Equal(new GeoPoint(oracle[c].Lat, oracle[c].Lon), position);
                Assert.Equal(oracle[c].Ticks, ticks);
            }
        }
    }

    /// <summary>Brute force: every available, fresh courier within the radius, by distance.</summary>
    private static IEnumerable<Neighbour> Candidates(OracleCourier[] oracle, double lat, double lon, double radius, long cutoff) =>
        oracle
            .Select((o, c) => (o, c))
            .Where(x => x.o.HasPosition && x.o.Available && x.o.Ticks >= cutoff)
            .Select(x => new Neighbour(x.c, GeoIndex.DistanceMetres(lat, lon, x.o.Lat, x.o.Lon)))
            .Where(n => n.DistanceMetres <= radius)
            .OrderBy(n => n.DistanceMetres);

    /// <summary>
    /// Same distances in the same (ascending) order, and every returned courier really is at the
    /// distance reported and a valid candidate. Ties may be broken differently, so ids are not
    /// compared position by position.
    /// </summary>
    private static void AssertSameAnswer(OracleCourier[] oracle, double lat, double lon, Neighbour[] expected, Neighbour[] actual)
    {
        Assert.Equal(expected.Select(n => n.DistanceMetres), actual.Select(n => n.DistanceMetres));
        Assert.Equal(actual.Length, actual.Select(n => n.Courier).Distinct().Count());
        foreach (var n in actual)
        {
            var o = oracle[n.Courier];
            Assert.True(o.HasPosition && o.Available, $"courier {n.Courier} should not be a candidate");
            Assert.Equal(GeoIndex.DistanceMetres(lat, lon, o.Lat, o.Lon), n.DistanceMetres);
        }
    }
}
