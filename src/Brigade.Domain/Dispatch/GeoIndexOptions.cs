namespace Brigade.Dispatch;

/// <summary>Tuning for <see cref="GeoIndex"/>.</summary>
public sealed record GeoIndexOptions
{
    /// <summary>
    /// Edge of a grid cell in metres (cells are roughly square on the ground). A kNN query reads
    /// its home cell and then the cells within the k-th distance found there, so cells should
    /// hold a few times k couriers: with d available couriers per km², the k-th nearest lies at
    /// about sqrt(k / (π·d)) km (~80 m for k = 10 at 500/km²). Smaller cells mean more hash
    /// look-ups per query, more cell changes per update and more cell metadata competing for
    /// cache; larger cells mean more candidates per query. Measured with 1 M couriers in Berlin
    /// (~480 available/km², see docs/benchmarks.md): 400 m gives the cheapest updates and
    /// ~290–335 k queries/s; 200 m ~20 % faster queries but random-jump updates ~1.3× dearer;
    /// 100 m is worse on both. In sparse cities larger cells also mean fewer empty look-ups.
    /// </summary>
    public double CellSizeMetres { get; init; } = 400;

    /// <summary>Positions older than this (relative to a query's "now") are ignored by queries.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Couriers the index is sized for up front; it grows (doubling) past this.</summary>
    public int InitialCapacity { get; init; } = 1024;

    public static GeoIndexOptions Default { get; } = new();
}

/// <summary>Outcome of <see cref="GeoIndex.Update"/>.</summary>
public enum GeoUpdateResult : byte
{
    /// <summary>The position is newer than the stored one and replaced it.</summary>
    Applied,

    /// <summary>The timestamp is older than or equal to the stored one: duplicate or out of order. State unchanged.</summary>
    IgnoredOutOfOrder,

    /// <summary>NaN, infinite or out-of-range coordinates. State unchanged.</summary>
    RejectedInvalid,
}

/// <summary>A query answer: courier handle and great-circle distance from the query point.</summary>
public readonly record struct Neighbour(int Courier, double DistanceMetres);

/// <summary>One position report, for <see cref="GeoIndex.UpdateMany"/>.</summary>
public readonly record struct CourierPosition(int Courier, double Lat, double Lon, long TimestampTicks);
