namespace Brigade.Dispatch;

/// <summary>Tuning for <see cref="GeoIndex"/>.</summary>
public sealed record GeoIndexOptions
{
    /// <summary>
    /// Edge of a grid cell in metres (cells are roughly square on the ground). Pick it so that a
    /// typical kNN answer fits in the query's cell and its neighbours: with d available couriers
    /// per km², the k-th nearest lies at about sqrt(k / (π·d)) km. At 500 couriers/km² and k = 10
    /// that is ~80 m, so 100–200 m cells scan 9–16 cells of 5–20 couriers each.
    /// Smaller cells mean more hash look-ups per query; larger cells mean more candidates.
    /// </summary>
    public double CellSizeMetres { get; init; } = 200;

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
