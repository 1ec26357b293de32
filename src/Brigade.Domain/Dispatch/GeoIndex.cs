using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Brigade.Geo;

namespace Brigade.Dispatch;

/// <summary>
/// In-memory spatial index of courier positions: O(1) updates, kNN and radius queries over
/// available couriers whose last position is fresh.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> Single writer, not thread-safe: every call, queries included (they use
/// scratch state), must be serialised by the owner.</para>
/// <para><b>Grid.</b> Latitude is cut into rows of constant angular height (one cell size of
/// meridian arc). Each row is cut into <c>n</c> equal longitude columns with
/// <c>n = floor(circumference of the row's centre parallel / cell size)</c>, so cells are about
/// square on the ground at every latitude (the cos(lat) scaling lives in <c>n</c>); rows touching a
/// pole have a single cell. Columns wrap around the antimeridian, so there is no edge anywhere on
/// Earth. A cell is addressed by <c>(row &lt;&lt; 32) | col</c> and only non-empty cells exist, found
/// through an open-addressing hash map: memory follows couriers, not area.</para>
/// <para><b>Cells.</b> Only available couriers with a position are linked into a cell. Each cell is
/// a singly linked list of 16-slot chunks from one pool; all chunks but the head are full, so the
/// last entry is always <c>head[(count - 1) % 16]</c>, which makes insert and swap-remove O(1) and
/// lets a query read each cell as a few contiguous runs.</para>
/// <para><b>Layout.</b> Courier state is one 32-byte record (array of structs) because an update
/// touches all of it: one cache line per update instead of one per field. Cell entries are
/// 40-byte records <c>{x, y, z, ticks, courier}</c> holding what a query reads per candidate, so
/// a scan is a sequential stream and moving an entry touches one place.</para>
/// <para><b>Metric.</b> See <see cref="DistanceMetres"/>.</para>
/// </remarks>
public sealed partial class GeoIndex
{
    private const int ChunkShift = 4;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;
    private const byte HasPositionFlag = 1;
    private const byte AvailableFlag = 2;
    private const double DegreesToRadians = Math.PI / 180;
    private const double EarthRadius = GeoPoint.EarthRadiusMetres;

    /// <summary>Metres of meridian arc per degree of latitude on the sphere: 111,195 m.</summary>
    private const double MetresPerDegree = EarthRadius * DegreesToRadians;

    private struct CourierRecord
    {
        public double Lat;
        public double Lon;
        public long Ticks;
        public int Cell;  // -1 when not linked into a cell
        public int Slot;  // index into the slot pool while linked
    }

    /// <summary>One 16-byte record per cell: the same-cell test, append and swap-remove read one line.</summary>
    private struct CellInfo
    {
        public long Key;
        public int Head;   // head chunk (the partial one), -1 if none; next free id while free
        public int Count;
    }

    // 40 bytes (4 of them padding). The handle rides along with the coordinates so that a
    // swap-remove or an append touches one place in the pool instead of two arrays. Packing to
    // 36 bytes would save 4 B/courier but let doubles straddle cache lines; benchmarks could not
    // tell the two apart within run-to-run noise, so entries stay naturally aligned.
    private struct SlotEntry
    {
        public double X;
        public double Y;
        public double Z;
        public long Ticks;
        public int Courier;
    }

    private readonly double _cellSizeMetres;
    private readonly long _staleTicks;
    private readonly double _rowsPerDegree;
    private readonly int _rowCount;
    private readonly int[] _columnsInRow;
    private readonly double[] _columnsPerDegree;

    // Per courier (indexed by handle).
    private CourierRecord[] _couriers;
    private byte[] _flags;
    private int _positionCount;
    private int _indexedCount;
    private int _sweepCursor;

    // Per cell (indexed by cell id); free ids are chained through Head.
    private CellKeyMap _cellMap;
    private CellInfo[] _cells;
    private int _cellHighWater;
    private int _freeCell = -1;

    // Chunk pool: slot s lives in chunk s >> 4; free chunks are chained through _chunkNext.
    private SlotEntry[] _slots;
    private int[] _chunkNext;
    private int _chunkHighWater;
    private int _freeChunk = -1;

    public GeoIndex(GeoIndexOptions? options = null)
    {
        options ??= GeoIndexOptions.Default;
        if (!(options.CellSizeMetres is >= 10 and <= 1_000_000))
            throw new ArgumentOutOfRangeException(nameof(options), options.CellSizeMetres, "Cell size must be between 10 m and 1,000 km.");
        if (options.StaleAfter <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.StaleAfter, "StaleAfter must be positive.");
        if (options.InitialCapacity < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.InitialCapacity, "InitialCapacity must not be negative.");

        Options = options;
        _cellSizeMetres = options.CellSizeMetres;
        _staleTicks = options.StaleAfter.Ticks;

        var rowHeightDegrees = RowHeightDegrees(_cellSizeMetres);
        _rowsPerDegree = 1 / rowHeightDegrees;
        _rowCount = (int)Math.Ceiling(180 * _rowsPerDegree);
        _columnsInRow = new int[_rowCount];
        _columnsPerDegree = new double[_rowCount];
        for (var row = 0; row < _rowCount; row++)
        {
            var n = ColumnsInRow(_cellSizeMetres, row);
            _columnsInRow[row] = n;
            _columnsPerDegree[row] = n / 360.0;
        }

        var capacity = Math.Max(16, options.InitialCapacity);
        _couriers = new CourierRecord[capacity];
        _couriers.AsSpan().Fill(new CourierRecord { Cell = -1, Slot = -1 });
        _flags = new byte[capacity];

        // Enough chunks for every courier plus the half-empty head chunk of each cell.
        var chunks = (capacity / ChunkSize * 5 / 4) + 16;
        _slots = new SlotEntry[chunks * ChunkSize];
        _chunkNext = new int[chunks];

        var cells = Math.Max(16, capacity / 32); // grows by doubling; the hash map keeps load ≤ 1/2
        _cells = new CellInfo[cells];
        _cellMap = new CellKeyMap(cells);
    }

    public GeoIndexOptions Options { get; }

    /// <summary>Handles 0..Capacity-1 are addressable without growing.</summary>
    public int Capacity => _couriers.Length;

    /// <summary>Couriers that have a position.</summary>
    public int Count => _positionCount;

    /// <summary>Couriers currently linked into a cell (available, positioned, not swept).</summary>
    public int IndexedCount => _indexedCount;

    /// <summary>Non-empty cells.</summary>
    public int CellCount => _cellMap.Count;

    /// <summary>Bytes held by the index's arrays (exact, excluding object headers).</summary>
    public long MemoryFootprintBytes =>
        (_couriers.Length * (long)Unsafe.SizeOf<CourierRecord>())
        + _flags.Length
        + (_slots.Length * (long)Unsafe.SizeOf<SlotEntry>())
        + (_chunkNext.Length * (long)sizeof(int))
        + (_cells.Length * (long)Unsafe.SizeOf<CellInfo>())
        + _cellMap.BytesAllocated
        + (_columnsInRow.Length * (long)sizeof(int))
        + (_columnsPerDegree.Length * (long)sizeof(double));

    /// <summary><see cref="MemoryFootprintBytes"/> divided by couriers with a position.</summary>
    public double ApproximateBytesPerCourier => MemoryFootprintBytes / (double)Math.Max(1, _positionCount);

    // ------------------------------------------------------------------ metric

    /// <summary>
    /// Great-circle distance in metres on the sphere of radius <see cref="GeoPoint.EarthRadiusMetres"/>,
    /// computed from the chord between the two unit vectors: <c>d = 2R·asin(|a − b| / 2)</c>.
    /// </summary>
    /// <remarks>
    /// This is the metric of every query; a brute-force check must use it too. It is exact on
    /// the sphere (same model as <see cref="GeoPoint.HaversineMetres"/>, equal to it within
    /// 1e-6 m below 10 km), valid across the antimeridian and over the poles with no special
    /// case. Rounding: unit-vector components carry ~1e-16 absolute error, i.e. below 1e-9 m.
    /// Against the WGS84 ellipsoid the sphere is off by at most ~0.56 % (north–south near the
    /// equator), i.e. ≤ 6 m at 1 km and ≤ 30 m at 5 km, the same for every courier near a
    /// query, which is what ranking needs. Queries compare squared chords (no trigonometry per
    /// candidate, monotonic in distance) and convert only the answers to metres.
    /// </remarks>
    public static double DistanceMetres(double lat1, double lon1, double lat2, double lon2)
    {
        ToUnitVector(lat1, lon1, out var x1, out var y1, out var z1);
        ToUnitVector(lat2, lon2, out var x2, out var y2, out var z2);
        return ChordSquaredToMetres(ChordSquared(x1, y1, z1, x2, y2, z2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToUnitVector(double lat, double lon, out double x, out double y, out double z)
    {
        FastTrig.SinCos(lat * DegreesToRadians, out var sinLat, out var cosLat);
        FastTrig.SinCos(lon * DegreesToRadians, out var sinLon, out var cosLon);
        x = cosLat * cosLon;
        y = cosLat * sinLon;
        z = sinLat;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ChordSquared(double ax, double ay, double az, double bx, double by, double bz)
    {
        var dx = ax - bx;
        var dy = ay - by;
        var dz = az - bz;
        return (dx * dx) + (dy * dy) + (dz * dz);
    }

    private static double ChordSquaredToMetres(double chordSquared) =>
        2 * EarthRadius * Math.Asin(Math.Min(1.0, Math.Sqrt(chordSquared) * 0.5));

    /// <summary>Squared chord of a central angle θ (radians): (2·sin(θ/2))².</summary>
    private static double AngleToChordSquared(double angle)
    {
        var s = 2 * Math.Sin(Math.Min(angle, Math.PI) * 0.5);
        return s * s;
    }

    // ------------------------------------------------------------------ grid

    internal static double RowHeightDegrees(double cellSizeMetres) => cellSizeMetres / MetresPerDegree;

    internal static int ColumnsInRow(double cellSizeMetres, int row)
    {
        var height = RowHeightDegrees(cellSizeMetres);
        var centre = Math.Min(90, -90 + ((row + 0.5) * height));
        var parallel = 2 * Math.PI * EarthRadius * Math.Cos(centre * DegreesToRadians);
        return (int)Math.Clamp(Math.Floor(parallel / cellSizeMetres), 1, 1 << 30);
    }

    /// <summary>Row of a valid latitude. Truncation equals floor here since the operand is ≥ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int RowOf(double lat)
    {
        var row = (int)((lat + 90.0) * _rowsPerDegree);
        return row < _rowCount ? row : _rowCount - 1;
    }

    /// <summary>
    /// Column of a valid longitude. lon = 180 lands on column n and wraps to 0 (the same meridian
    /// as -180); queries use the same expression unwrapped, so the two always agree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int ColumnOf(int row, double lon)
    {
        var col = (int)((lon + 180.0) * _columnsPerDegree[row]);
        var n = _columnsInRow[row];
        return col < n ? col : col - n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long CellKey(int row, int col) => ((long)row << 32) | (uint)col;

    // ------------------------------------------------------------------ writes

    /// <summary>
    /// Records a position. Applied only when <paramref name="timestampTicks"/> is newer than the
    /// stored one, so duplicates and reordered messages never move a courier back in time.
    /// O(1): a cell change is one swap-remove plus one append.
    /// </summary>
    public GeoUpdateResult Update(int courier, double lat, double lon, long timestampTicks)
    {
        EnsureHandle(courier);
        if (!GeoPoint.IsValid(lat, lon))
            return GeoUpdateResult.RejectedInvalid;

        ref var record = ref _couriers[courier];
        var cell = record.Cell;
        if (cell < 0)
            return UpdateUnlinked(courier, ref record, lat, lon, timestampTicks);

        // Hot path: the courier is linked, hence available and positioned; the flags are not read.
        if (timestampTicks <= record.Ticks)
            return GeoUpdateResult.IgnoredOutOfOrder;
        record.Lat = lat;
        record.Lon = lon;
        record.Ticks = timestampTicks;
        var row = RowOf(lat);
        var key = CellKey(row, ColumnOf(row, lon));
        if (_cells[cell].Key == key)
        {
            // Same cell (the common case for a moving courier): overwrite in place.
            ref var slot = ref _slots[record.Slot];
            ToUnitVector(lat, lon, out slot.X, out slot.Y, out slot.Z);
            slot.Ticks = timestampTicks;
            return GeoUpdateResult.Applied;
        }
        Unlink(cell, record.Slot);
        Link(courier, ref record, key);
        return GeoUpdateResult.Applied;
    }

    private GeoUpdateResult UpdateUnlinked(int courier, ref CourierRecord record, double lat, double lon, long timestampTicks)
    {
        var flags = _flags[courier];
        if ((flags & HasPositionFlag) != 0)
        {
            if (timestampTicks <= record.Ticks)
                return GeoUpdateResult.IgnoredOutOfOrder;
        }
        else
        {
            _flags[courier] = (byte)(flags | HasPositionFlag);
            _positionCount++;
        }
        record.Lat = lat;
        record.Lon = lon;
        record.Ticks = timestampTicks;
        if ((flags & AvailableFlag) != 0)
        {
            var row = RowOf(lat);
            Link(courier, ref record, CellKey(row, ColumnOf(row, lon)));
        }
        return GeoUpdateResult.Applied;
    }

    /// <summary>
    /// Applies a batch of positions in order, exactly as that many <see cref="Update"/> calls
    /// would, and returns how many were applied (per-item results go to
    /// <paramref name="results"/> when it is not empty).
    /// </summary>
    /// <remarks>
    /// With a million couriers an update is dominated by two cache misses in sequence: the
    /// courier's record, then its cell entry (whose address is in the record). One call cannot
    /// hide them, but a batch knows the couriers to come: this loop prefetches the record of the
    /// update 2·D ahead and, once that record has arrived, the cell entry of the update D ahead,
    /// so the misses of about 2·D updates overlap instead of queueing.
    /// </remarks>
    public int UpdateMany(ReadOnlySpan<CourierPosition> positions, Span<GeoUpdateResult> results = default)
    {
        if (!results.IsEmpty && results.Length < positions.Length)
            throw new ArgumentException("The results span is shorter than the batch.", nameof(results));
        const int Distance = 8;
        var applied = 0;
        for (var i = 0; i < positions.Length; i++)
        {
            if (i + (2 * Distance) < positions.Length)
                PrefetchRecord(positions[i + (2 * Distance)].Courier);
            if (i + Distance < positions.Length)
                PrefetchSlot(positions[i + Distance].Courier);
            ref readonly var p = ref positions[i];
            var result = Update(p.Courier, p.Lat, p.Lon, p.TimestampTicks);
            if (result == GeoUpdateResult.Applied)
                applied++;
            if (!results.IsEmpty)
                results[i] = result;
        }
        return applied;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchRecord(int courier)
    {
        // A prefetch never faults, so a stale address (array moved by the GC) is harmless.
        if (Sse.IsSupported && (uint)courier < (uint)_couriers.Length)
            Sse.Prefetch0(Unsafe.AsPointer(ref _couriers[courier]));
    }

    /// <summary>Prefetches the courier's cell entry; reads only the record, prefetched earlier.</summary>
    /// <remarks>
    /// Also prefetching the cell's last entry (which a cell change moves into the hole) made
    /// small-move batches slower than the misses it saved on random jumps.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchSlot(int courier)
    {
        if (Sse.IsSupported && (uint)courier < (uint)_couriers.Length)
        {
            var slot = _couriers[courier].Slot;
            if ((uint)slot < (uint)_slots.Length)
                Sse.Prefetch0(Unsafe.AsPointer(ref _slots[slot]));
        }
    }

    /// <summary>Only available couriers are returned by queries. New and removed couriers are unavailable.</summary>
    public void SetAvailable(int courier, bool available)
    {
        EnsureHandle(courier);
        ref var record = ref _couriers[courier];
        var flags = _flags[courier];
        if (available)
        {
            _flags[courier] = (byte)(flags | AvailableFlag);
            if ((flags & HasPositionFlag) != 0 && record.Cell < 0)
            {
                var row = RowOf(record.Lat);
                Link(courier, ref record, CellKey(row, ColumnOf(row, record.Lon)));
            }
        }
        else
        {
            _flags[courier] = (byte)(flags & ~AvailableFlag);
            if (record.Cell >= 0)
            {
                Unlink(record.Cell, record.Slot);
                record.Cell = -1;
            }
        }
    }

    public bool IsAvailable(int courier) =>
        (uint)courier < (uint)_flags.Length && (_flags[courier] & AvailableFlag) != 0;

    /// <summary>
    /// Forgets the courier entirely (position, timestamp, availability); the next update for the
    /// handle is accepted whatever its timestamp. Returns false if there was nothing to forget.
    /// </summary>
    public bool Remove(int courier)
    {
        if ((uint)courier >= (uint)_couriers.Length)
            return false;
        ref var record = ref _couriers[courier];
        var flags = _flags[courier];
        if (record.Cell >= 0)
            Unlink(record.Cell, record.Slot);
        if ((flags & HasPositionFlag) != 0)
            _positionCount--;
        record = new CourierRecord { Cell = -1, Slot = -1 };
        _flags[courier] = 0;
        return flags != 0;
    }

    /// <summary>The last applied position and its timestamp, stale or not.</summary>
    public bool TryGetPosition(int courier, out GeoPoint position, out long timestampTicks)
    {
        if ((uint)courier < (uint)_couriers.Length && (_flags[courier] & HasPositionFlag) != 0)
        {
            ref readonly var record = ref _couriers[courier];
            position = new GeoPoint(record.Lat, record.Lon);
            timestampTicks = record.Ticks;
            return true;
        }
        position = default;
        timestampTicks = 0;
        return false;
    }

    /// <summary>Unlinks every courier whose position is stale at <paramref name="nowTicks"/>. See the overload.</summary>
    public int SweepStale(long nowTicks) => SweepStale(nowTicks, int.MaxValue);

    /// <summary>
    /// Unlinks from their cells up to <paramref name="maxCouriers"/> handles' worth of stale
    /// couriers, resuming where the previous call stopped (a cursor over handles), and returns
    /// how many were unlinked. Queries already skip stale couriers; sweeping reclaims slots and
    /// keeps scans short. A full pass is a sequential walk over 32-byte records (~1M per few ms),
    /// so calling it every few seconds, or with a budget per tick, amortises to a few ns per
    /// update. A swept courier keeps its last position and timestamp (for ordering and
    /// <see cref="TryGetPosition"/>) and is relinked by its next applied update. Assumes
    /// <paramref name="nowTicks"/> does not go backwards between calls.
    /// </summary>
    public int SweepStale(long nowTicks, int maxCouriers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCouriers);
        var cutoff = StaleCutoff(nowTicks);
        var couriers = _couriers;
        var budget = Math.Min(maxCouriers, couriers.Length);
        var cursor = _sweepCursor < couriers.Length ? _sweepCursor : 0;
        var removed = 0;
        for (var i = 0; i < budget; i++)
        {
            ref var record = ref couriers[cursor];
            if (record.Cell >= 0 && record.Ticks < cutoff)
            {
                Unlink(record.Cell, record.Slot);
                record.Cell = -1;
                removed++;
            }
            if (++cursor == couriers.Length)
                cursor = 0;
        }
        _sweepCursor = cursor;
        return removed;
    }

    /// <summary>Fresh means ticks ≥ now − StaleAfter (saturating at long.MinValue).</summary>
    private long StaleCutoff(long nowTicks) =>
        nowTicks >= long.MinValue + _staleTicks ? nowTicks - _staleTicks : long.MinValue;

    private void EnsureHandle(int courier)
    {
        if ((uint)courier < (uint)_couriers.Length)
            return;
        ArgumentOutOfRangeException.ThrowIfNegative(courier);
        var oldLength = _couriers.Length;
        var newLength = (int)Math.Min(Array.MaxLength, Math.Max(courier + 1L, oldLength * 2L));
        Array.Resize(ref _couriers, newLength);
        Array.Resize(ref _flags, newLength);
        _couriers.AsSpan(oldLength).Fill(new CourierRecord { Cell = -1, Slot = -1 });
    }

    /// <summary>Appends the courier to the cell for <paramref name="key"/>, creating the cell if needed.</summary>
    private void Link(int courier, ref CourierRecord record, long key)
    {
        var cell = _cellMap.Find(key);
        if (cell < 0)
            cell = NewCell(key);
        ref var info = ref _cells[cell];
        var count = info.Count;
        var offset = count & ChunkMask;
        if (offset == 0)
        {
            var fresh = AllocateChunk();
            _chunkNext[fresh] = info.Head;
            info.Head = fresh;
        }
        var chunk = info.Head;
        var slot = (chunk << ChunkShift) | offset;
        ref var entry = ref _slots[slot];
        ToUnitVector(record.Lat, record.Lon, out entry.X, out entry.Y, out entry.Z);
        entry.Ticks = record.Ticks;
        entry.Courier = courier;
        info.Count = count + 1;
        record.Cell = cell;
        record.Slot = slot;
        _indexedCount++;
    }

    /// <summary>
    /// Swap-remove: the cell's last entry (at offset (count-1) % 16 of the head chunk) moves into
    /// the hole. The caller resets the removed courier's <c>Cell</c>.
    /// </summary>
    private void Unlink(int cell, int slot)
    {
        ref var info = ref _cells[cell];
        var count = info.Count - 1;
        var head = info.Head;
        var last = (head << ChunkShift) | (count & ChunkMask);
        if (slot != last)
        {
            ref readonly var moved = ref _slots[last];
            _slots[slot] = moved;
            _couriers[moved.Courier].Slot = slot;
        }
        info.Count = count;
        if ((count & ChunkMask) == 0)
        {
            info.Head = _chunkNext[head];
            _chunkNext[head] = _freeChunk;
            _freeChunk = head;
        }
        if (count == 0)
        {
            _cellMap.Remove(info.Key);
            info.Key = -1;
            info.Head = _freeCell;
            _freeCell = cell;
        }
        _indexedCount--;
    }

    private int NewCell(long key)
    {
        int cell;
        if (_freeCell >= 0)
        {
            cell = _freeCell;
            _freeCell = _cells[cell].Head;
        }
        else
        {
            if (_cellHighWater == _cells.Length)
                Array.Resize(ref _cells, _cells.Length * 2);
            cell = _cellHighWater++;
        }
        _cells[cell] = new CellInfo { Key = key, Head = -1, Count = 0 };
        _cellMap.Add(key, cell);
        return cell;
    }

    private int AllocateChunk()
    {
        if (_freeChunk >= 0)
        {
            var free = _freeChunk;
            _freeChunk = _chunkNext[free];
            return free;
        }
        if (_chunkHighWater == _chunkNext.Length)
        {
            var chunks = _chunkNext.Length * 2;
            Array.Resize(ref _chunkNext, chunks);
            Array.Resize(ref _slots, chunks * ChunkSize);
        }
        return _chunkHighWater++;
    }
}
