using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Brigade.Geo;

namespace Brigade.Dispatch;

// Queries. Both walk "search boxes": for a central angle θ around the query point q, the
// smallest lat/lon box holding every point within θ of q is
//   latitude  φq ± θ                                   (a meridian is the shortest way to change latitude)
//   longitude λq ± asin(sin θ / cos φq)                 while |φq| + θ < 90°, else all longitudes
// (the second is where the great circle through the box corner is tangent to a meridian).
// Every cell intersecting the box is visited, so every courier within θ of q is seen.
// Row and column indices of the box edges use the exact expressions used to file couriers
// (monotonic in the coordinate), and the box is widened by a few millimetres so that rounding
// in sin/asin can never leave a qualifying courier outside.
public sealed partial class GeoIndex
{
    /// <summary>Box widening, radians of central angle (~6 mm on the ground).</summary>
    private const double AngularSlack = 1e-9;

    /// <summary>Extra longitude widening, degrees (covers rounding of column boundaries).</summary>
    private const double DegreeSlack = 1e-9;

    /// <summary>
    /// Cell look-ups a search may spend beyond twice the number of non-empty cells before it
    /// falls back to one pass over all non-empty cells. Tests raise it to exercise the ring path.
    /// </summary>
    internal int FullScanSlack { get; set; } = 64;

    // Scratch state of the running query (the index is single-threaded by contract).
    private double _qx;
    private double _qy;
    private double _qz;
    private long _qCutoff;
    private double _qLimit;      // squared-chord pre-filter for the radius, slightly generous
    private double _qRadius;
    private double[] _topDistance = new double[16];   // squared chords while searching
    private int[] _topCourier = new int[16];
    private int _topCount;
    private int _topK;
    private double _topThreshold;                      // accept a candidate iff c² ≤ this
    private List<Neighbour>? _radiusResults;

    private static double ChordSquaredToAngle(double chordSquared) =>
        2 * Math.Asin(Math.Min(1.0, Math.Sqrt(chordSquared) * 0.5));

    /// <summary>
    /// The <paramref name="k"/> nearest available, fresh couriers within
    /// <paramref name="maxRadiusMetres"/> of (lat, lon), nearest first, written to
    /// <paramref name="results"/>; returns how many were found. No allocation.
    /// </summary>
    /// <remarks>
    /// Ring search: step s visits the cells of the search box for θₛ (θ₀ = 0, then one cell size / R more per step) that
    /// the box for θₛ₋₁ did not cover (for each row, the columns added on either side, or the
    /// whole row if it is new to the band), so each cell is read once. After step s every
    /// courier within θₛ has been seen, so any courier not yet seen is farther than θₛ. Hence
    /// once k candidates are held and the k-th best squared chord is ≤ (2 sin(θₛ/2))², no
    /// unvisited cell can improve the answer and the search stops. It also stops when θₛ
    /// reaches the radius limit. Once k candidates are held, the next ring is shrunk to the
    /// current k-th distance if that is nearer than a full step, which ends the search after that
    /// ring: typically the home cell, then the box of the k-th distance found there (2–9 cells).
    /// If a search would touch more cells than exist (sparse index, huge radius), it switches
    /// to one pass over the non-empty cells, bounding the worst case by the index size.
    /// Candidates are ranked by squared chord (monotonic in distance); only answers are
    /// converted to metres. Equal distances are returned in unspecified order.
    /// </remarks>
    public int Nearest(double lat, double lon, int k, double maxRadiusMetres, long nowTicks, Span<Neighbour> results)
    {
        ValidateQuery(lat, lon, maxRadiusMetres);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k > results.Length)
            throw new ArgumentException("The results span is shorter than k.", nameof(results));
        if (k == 0)
            return 0;

        BeginQuery(lat, lon, maxRadiusMetres, nowTicks);
        if (_topDistance.Length < k)
        {
            _topDistance = new double[k];
            _topCourier = new int[k];
        }
        _topCount = 0;
        _topK = k;
        _topThreshold = _qLimit;

        var maxAngle = Math.Min(maxRadiusMetres / EarthRadius, Math.PI);
        var step = _cellSizeMetres / EarthRadius;
        var budget = (2L * _cellMap.Count) + FullScanSlack;
        var prevRowLo = 0;
        var prevRowHi = -1;
        var prevDLon = 0.0;
        var visited = 0L;
        var angle = 0.0;
        while (true)
        {
            SearchBox(lat, angle, out var rowLo, out var rowHi, out var dLon);
            dLon = Math.Max(dLon, prevDLon);
            visited += ScanNewCells(lon, rowLo, rowHi, dLon, prevRowLo, prevRowHi, prevDLon, nearest: true);
            if (_topCount == k && _topDistance[k - 1] <= AngleToChordSquared(angle))
                break;
            if (angle >= maxAngle)
                break;
            if (visited > budget)
            {
                _topCount = 0;
                _topThreshold = _qLimit;
                ScanAllCells(nearest: true);
                break;
            }
            prevRowLo = rowLo;
            prevRowHi = rowHi;
            prevDLon = dLon;
            var next = angle + step;
            if (_topCount == k)
            {
                // Shrink the next ring to the current k-th distance when that is closer: any
                // courier that could still make the answer is nearer than the current k-th, so
                // once the box of that radius is scanned the stop test above must succeed (the
                // k-th can only improve). The 1e-12 rad upward nudge keeps the angle → chord →
                // angle round trip from landing a hair short of the k-th chord.
                var kth = ChordSquaredToAngle(_topDistance[k - 1]) + 1e-12;
                if (kth > angle && kth < next)
                    next = kth;
            }
            angle = Math.Min(next, maxAngle);
        }

        var found = 0;
        for (; found < _topCount; found++)
        {
            // Same conversion as DistanceMetres, so the radius test agrees with it to the bit.
            var metres = ChordSquaredToMetres(_topDistance[found]);
            if (metres > maxRadiusMetres)
                break;
            results[found] = new Neighbour(_topCourier[found], metres);
        }
        return found;
    }

    /// <summary>
    /// Every available, fresh courier within <paramref name="radiusMetres"/> of (lat, lon),
    /// nearest first, replacing the contents of <paramref name="results"/>; returns the count.
    /// Allocates only if the list has to grow.
    /// </summary>
    public int WithinRadius(double lat, double lon, double radiusMetres, long nowTicks, List<Neighbour> results)
    {
        ValidateQuery(lat, lon, radiusMetres);
        results.Clear();
        BeginQuery(lat, lon, radiusMetres, nowTicks);
        _radiusResults = results;
        _qRadius = radiusMetres;

        var angle = Math.Min(radiusMetres / EarthRadius, Math.PI);
        SearchBox(lat, angle, out var rowLo, out var rowHi, out var dLon);
        var live = (long)_cellMap.Count;
        var boxCells = 0L;
        for (var row = rowLo; row <= rowHi && boxCells <= live + FullScanSlack; row++)
        {
            RowInterval(row, lon, dLon, out var lo, out var hi);
            boxCells += hi - lo + 1;
        }
        if (boxCells > live + FullScanSlack)
            ScanAllCells(nearest: false);
        else
            ScanNewCells(lon, rowLo, rowHi, dLon, 0, -1, 0, nearest: false);
        _radiusResults = null;

        CollectionsMarshal.AsSpan(results).Sort(static (a, b) => a.DistanceMetres.CompareTo(b.DistanceMetres));
        return results.Count;
    }

    private static void ValidateQuery(double lat, double lon, double radiusMetres)
    {
        if (!GeoPoint.IsValid(lat, lon))
            throw new ArgumentOutOfRangeException(nameof(lat), $"Invalid query point ({lat}, {lon}).");
        if (double.IsNaN(radiusMetres) || radiusMetres < 0)
            throw new ArgumentOutOfRangeException(nameof(radiusMetres), radiusMetres, "Radius must be a non-negative number.");
    }

    private void BeginQuery(double lat, double lon, double radiusMetres, long nowTicks)
    {
        ToUnitVector(lat, lon, out _qx, out _qy, out _qz);
        _qCutoff = StaleCutoff(nowTicks);
        // Generous by a relative 1e-9: the exact test is done in metres on the survivors.
        _qLimit = AngleToChordSquared(Math.Min(radiusMetres / EarthRadius, Math.PI)) * (1 + 1e-9);
    }

    /// <summary>Rows and longitude half-width (degrees) of the search box for central angle θ.</summary>
    private void SearchBox(double lat, double angle, out int rowLo, out int rowHi, out double dLonDegrees)
    {
        var d = angle + AngularSlack;
        var dDegrees = d / DegreesToRadians;
        rowLo = RowOfBound(lat - dDegrees);
        rowHi = RowOfBound(lat + dDegrees);
        var latAbs = Math.Abs(lat) * DegreesToRadians;
        if (latAbs + d >= Math.PI / 2)
        {
            dLonDegrees = 180; // a pole is inside the cap: every longitude qualifies
        }
        else
        {
            // sin d < sin(90° − |φ|) = cos φ here, so the ratio is < 1.
            dLonDegrees = (Math.Asin(Math.Sin(d) / Math.Cos(latAbs)) / DegreesToRadians) + DegreeSlack;
        }
    }

    /// <summary>Row of a latitude that may lie beyond a pole (box edge); same expression as <see cref="RowOf"/>.</summary>
    private int RowOfBound(double lat) =>
        lat <= -90 ? 0 : lat >= 90 ? _rowCount - 1 : RowOf(lat);

    /// <summary>
    /// Unwrapped column range [lo, hi] of a row covering λ ± dLon (hi − lo + 1 ≤ n; a full row is
    /// [0, n − 1]). Columns outside [0, n) are taken modulo n: that is the antimeridian wrap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RowInterval(int row, double lon, double dLonDegrees, out long lo, out long hi)
    {
        var n = _columnsInRow[row];
        if (dLonDegrees < 180)
        {
            var perDegree = _columnsPerDegree[row];
            lo = (long)Math.Floor((lon - dLonDegrees + 180.0) * perDegree);
            hi = (long)Math.Floor((lon + dLonDegrees + 180.0) * perDegree);
            if (hi - lo + 1 < n)
                return;
        }
        lo = 0;
        hi = n - 1;
    }

    /// <summary>
    /// Visits the cells of the box (rows [rowLo, rowHi], half-width dLon) that are not in the
    /// previous box (rows [prevRowLo, prevRowHi], half-width prevDLon ≤ dLon). Returns the
    /// number of cells looked up.
    /// </summary>
    private long ScanNewCells(double lon, int rowLo, int rowHi, double dLon, int prevRowLo, int prevRowHi, double prevDLon, bool nearest)
    {
        var visited = 0L;
        for (var row = rowLo; row <= rowHi; row++)
        {
            RowInterval(row, lon, dLon, out var lo, out var hi);
            if (row < prevRowLo || row > prevRowHi)
            {
                visited += ScanColumns(row, lo, hi, nearest);
                continue;
            }
            RowInterval(row, lon, prevDLon, out var prevLo, out var prevHi);
            var n = _columnsInRow[row];
            if (prevHi - prevLo + 1 >= n)
                continue;
            if (hi - lo + 1 >= n)
            {
                // The row became full: everything outside the previous interval, mod n.
                visited += ScanColumns(row, prevHi + 1, prevLo + n - 1, nearest);
            }
            else
            {
                // lo ≤ prevLo and hi ≥ prevHi: the floor expressions are monotonic in dLon.
                visited += ScanColumns(row, lo, prevLo - 1, nearest);
                visited += ScanColumns(row, prevHi + 1, hi, nearest);
            }
        }
        return visited;
    }

    private long ScanColumns(int row, long lo, long hi, bool nearest)
    {
        if (lo > hi)
            return 0;
        var n = _columnsInRow[row];
        var col = (int)(((lo % n) + n) % n);
        var rowKey = (long)row << 32;
        for (var c = lo; c <= hi; c++)
        {
            var cell = _cellMap.Find(rowKey | (uint)col);
            if (cell >= 0)
            {
                if (nearest)
                    ScanCellNearest(cell);
                else
                    ScanCellRadius(cell);
            }
            if (++col == n)
                col = 0;
        }
        return hi - lo + 1;
    }

    private void ScanAllCells(bool nearest)
    {
        var cells = _cells;
        for (var cell = 0; cell < _cellHighWater; cell++)
        {
            if (cells[cell].Count == 0)
                continue;
            if (nearest)
                ScanCellNearest(cell);
            else
                ScanCellRadius(cell);
        }
    }

    /// <summary>
    /// The inner loop: per candidate one 40-byte sequential read, 3 subtractions, 3 multiplies,
    /// 2 adds and 2 compares.
    /// </summary>
    private void ScanCellNearest(int cell)
    {
        var slots = _slots;
        var next = _chunkNext;
        double qx = _qx, qy = _qy, qz = _qz;
        var cutoff = _qCutoff;
        var threshold = _topThreshold;
        ref readonly var info = ref _cells[cell];
        var chunk = info.Head;
        var used = ((info.Count - 1) & ChunkMask) + 1; // the head chunk is the partial one
        while (chunk >= 0)
        {
            var run = slots.AsSpan(chunk << ChunkShift, used);
            for (var i = 0; i < run.Length; i++)
            {
                ref readonly var e = ref run[i];
                var c2 = ChordSquared(qx, qy, qz, e.X, e.Y, e.Z);
                if (c2 <= threshold && e.Ticks >= cutoff)
                {
                    Offer(c2, e.Courier);
                    threshold = _topThreshold;
                }
            }
            used = ChunkSize;
            chunk = next[chunk];
        }
    }

    /// <summary>Insertion into the sorted top-k (k is small; a shift beats a heap at k ≈ 10).</summary>
    private void Offer(double chordSquared, int courier)
    {
        var distance = _topDistance;
        var couriers = _topCourier;
        var i = _topCount < _topK ? _topCount++ : _topK - 1;
        while (i > 0 && distance[i - 1] > chordSquared)
        {
            distance[i] = distance[i - 1];
            couriers[i] = couriers[i - 1];
            i--;
        }
        distance[i] = chordSquared;
        couriers[i] = courier;
        if (_topCount == _topK)
        {
            // Full: from now on only strictly better candidates get in.
            _topThreshold = Math.BitDecrement(distance[_topK - 1]);
        }
    }

    private void ScanCellRadius(int cell)
    {
        var slots = _slots;
        var next = _chunkNext;
        var results = _radiusResults!;
        double qx = _qx, qy = _qy, qz = _qz;
        var cutoff = _qCutoff;
        var limit = _qLimit;
        var radius = _qRadius;
        ref readonly var info = ref _cells[cell];
        var chunk = info.Head;
        var used = ((info.Count - 1) & ChunkMask) + 1;
        while (chunk >= 0)
        {
            var run = slots.AsSpan(chunk << ChunkShift, used);
            for (var i = 0; i < run.Length; i++)
            {
                ref readonly var e = ref run[i];
                var c2 = ChordSquared(qx, qy, qz, e.X, e.Y, e.Z);
                if (c2 <= limit && e.Ticks >= cutoff)
                {
                    var metres = ChordSquaredToMetres(c2);
                    if (metres <= radius)
                        results.Add(new Neighbour(e.Courier, metres));
                }
            }
            used = ChunkSize;
            chunk = next[chunk];
        }
    }
}
