using Brigade.Dispatch;
using Brigade.Geo;

namespace Brigade.Delivery;

/// <summary>
/// A local flat projection around a city centre (equirectangular): metres east and north. Within a
/// city (tens of km) its distances are within 0.1% of the great circle, which is far below the
/// uncertainty of a detour factor; the matcher works in these metres. Longitudes are taken the short way
/// from the centre, so a city on the antimeridian is one piece.
/// </summary>
public readonly struct LocalProjection(GeoPoint centre)
{
    private const double MetresPerDegreeLat = 111_132.954;
    private readonly double _metresPerDegreeLon = MetresPerDegreeLat * Math.Cos(centre.Lat * Math.PI / 180);

    public GeoPoint Centre { get; } = centre;

    public Position ToPlanar(GeoPoint p) => new(GeoPoint.LonDelta(Centre.Lon, p.Lon) * _metresPerDegreeLon, (p.Lat - Centre.Lat) * MetresPerDegreeLat);

    public GeoPoint ToGeo(Position p) => new(Centre.Lat + p.Y / MetresPerDegreeLat, GeoPoint.NormalizeLon(Centre.Lon + p.X / _metresPerDegreeLon));
}

public enum JobState
{
    Waiting,
    Offered,
    Assigned,
    PickedUp,
}

/// <summary>An order that needs a courier, as delivery knows it: from order events only.</summary>
internal sealed class Job
{
    public required string OrderId;
    public required string OutletId;
    public required GeoPoint Pickup;

    public required GeoPoint Dropoff;
    public required DateTimeOffset PlacedAt;
    public required string? HandoffCode;
    public DateTimeOffset EstimatedReadyAt;
    public DateTimeOffset? ReadyAt;
    public JobState State;
    public string? CourierId;
    public string? OfferId;
    public DateTimeOffset? PlannedDropoffAt;
    /// <summary>The order moved to another outlet while a courier was lined up for the old one.</summary>
    public bool Moved;

    public DateTimeOffset ReadyOrEstimate => ReadyAt ?? EstimatedReadyAt;
}

public enum CourierPhase
{
    Idle,
    Offered,
    ToOutlet,
    AtOutlet,
    ToCustomer,
}

internal sealed class Offer
{
    public required string Id;
    public required string CourierId;
    public required IReadOnlyList<string> OrderIds;
    public required string OutletId;
    public required DateTimeOffset DepartBy;
    public required DateTimeOffset PickupAt;
    public required DateTimeOffset ExpiresAt;
    public required IReadOnlyList<DateTimeOffset> PlannedDropoffs;
}

internal sealed class Courier
{
    public required string Id;
    public required int Handle;
    public string Name = "";
    public bool Simulated;
    public bool OnShift;
    /// <summary>Where the courier is (last report, or the start of its current leg).</summary>
    public GeoPoint Position;
    public DateTimeOffset PositionAt;
    /// <summary>The leg being ridden: from <see cref="Position"/> at <see cref="DepartAt"/> to <see cref="Destination"/> at <see cref="ArriveAt"/>.</summary>
    public GeoPoint Destination;
    public DateTimeOffset DepartAt;
    public DateTimeOffset ArriveAt;
    public CourierPhase Phase;
    public Offer? Offer;
    /// <summary>The last offer the courier turned down themselves: the same decline sent again is known as done.</summary>
    public string? DeclinedOfferId;
    public readonly List<Job> Jobs = [];
    public string? OutletId;
    public DateTimeOffset FreeAt;
    public DateTimeOffset CoolOffUntil;
    /// <summary>Bumped on every change of plan, so stale timers of a simulated courier are ignored.</summary>
    public long Version;
    public int Delivered;
    public TimeSpan BusyTime;
    public DateTimeOffset BusyStart;
    public DateTimeOffset ArrivedAt;
    public DateTimeOffset ShiftStartedAt;

    public bool Moving => Phase is CourierPhase.ToOutlet or CourierPhase.ToCustomer && ArriveAt > DepartAt;

    /// <summary>Position at a time: straight-line interpolation along the current leg.</summary>
    public GeoPoint PositionAt_(DateTimeOffset t)
    {
        if (!Moving || t <= DepartAt) return Position;
        if (t >= ArriveAt) return Destination;
        var f = (t - DepartAt).TotalSeconds / (ArriveAt - DepartAt).TotalSeconds;
        return new GeoPoint(Position.Lat + (Destination.Lat - Position.Lat) * f, GeoPoint.NormalizeLon(Position.Lon + GeoPoint.LonDelta(Position.Lon, Destination.Lon) * f));
    }
}

internal enum DeliveryTimerKind : byte
{
    OfferExpiry,
    SimRespond,
    SimArrive,
    SimPickup,
    SimDrop,
}

internal readonly record struct DeliveryTimer(DeliveryTimerKind Kind, string CourierId, long Version, string? OfferId);

public enum DeliveryOutcome
{
    Ok,
    NotFound,
    Conflict,
    Invalid,
}

public readonly record struct DeliveryResult(DeliveryOutcome Outcome, string? Message = null)
{
    public bool IsOk => Outcome == DeliveryOutcome.Ok;
    public static DeliveryResult Ok() => new(DeliveryOutcome.Ok);
    public static DeliveryResult NotFound(string m) => new(DeliveryOutcome.NotFound, m);
    public static DeliveryResult Conflict(string m) => new(DeliveryOutcome.Conflict, m);
    public static DeliveryResult Invalid(string m) => new(DeliveryOutcome.Invalid, m);
}

/// <summary>A courier as the API and the dispatcher's map show it.</summary>
public sealed record CourierView(
    string Id,
    string Name,
    bool Simulated,
    bool OnShift,
    string Phase,
    double Lat,
    double Lon,
    DateTimeOffset PositionAt,
    bool Stale,
    OfferView? Offer,
    IReadOnlyList<string> Orders,
    string? OutletId,
    int Delivered,
    double UtilisationPercent);

public sealed record OfferView(string Id, IReadOnlyList<string> OrderIds, string OutletId, DateTimeOffset DepartBy, DateTimeOffset PlannedPickupAt, DateTimeOffset ExpiresAt);

/// <summary>What a customer sees of their courier: where, and when they should arrive.</summary>
public sealed record Tracking(string OrderId, string CourierId, string Phase, double Lat, double Lon, DateTimeOffset EstimatedDeliveryAt, double EtaSeconds);

/// <summary>An order waiting for, or out with, a courier (for the dispatcher's map).</summary>
public sealed record DeliveryJobView(string OrderId, string OutletId, double Lat, double Lon, string State, string? CourierId, DateTimeOffset ReadyAt, bool Ready);

/// <summary>
/// Candidate couriers for the matcher from the geo index: the couriers of this round nearest to a
/// pickup, nearest first (ties by round index), as <see cref="ICourierCandidates"/> promises. Idle
/// couriers come from the index (where they are); couriers finishing a job are not "available" in
/// the index and are measured directly from where they will be free, their last drop-off. Both kinds
/// are ranked together by that position, so a courier about to be free next to the pickup is not
/// crowded out by idle couriers farther away, nor by other busy ones that happen to come first.
/// </summary>
internal sealed class GeoIndexCandidates(GeoIndex index, LocalProjection projection, double radiusMetres) : ICourierCandidates
{
    private readonly Dictionary<int, int> _roundIndexByHandle = [];
    private readonly List<(int Index, Position Position)> _busy = [];
    private Position[] _positions = [];
    private Neighbour[] _buffer = new Neighbour[64];
    private double[] _bestDistance = [];
    private long _now;

    public void Begin(long nowTicks) => _now = nowTicks;

    public void Prepare(ReadOnlySpan<DispatchCourier> couriers)
    {
        _roundIndexByHandle.Clear();
        _busy.Clear();
        if (_positions.Length < couriers.Length) _positions = new Position[Math.Max(couriers.Length, _positions.Length * 2)];
        for (var i = 0; i < couriers.Length; i++)
        {
            _positions[i] = couriers[i].Position;
            var handle = (int)couriers[i].Id;
            if (index.IsAvailable(handle)) _roundIndexByHandle[handle] = i;
            else _busy.Add((i, couriers[i].Position));
        }
    }

    public int Nearest(Position point, Span<int> result)
    {
        if (result.Length == 0) return 0;
        if (_bestDistance.Length < result.Length) _bestDistance = new double[result.Length];
        var geo = projection.ToGeo(point);
        // The index's nearest idle couriers, twice as many as wanted: some it holds as available are not
        // in this round (resting after a declined offer). When the index had that many and too few of them
        // were in the round, the nearer ones may all be such: ask again for twice as many.
        int found;
        for (var want = result.Length * 2; ; want *= 2)
        {
            if (_buffer.Length < want) _buffer = new Neighbour[want];
            found = index.Nearest(geo.Lat, geo.Lon, want, radiusMetres, _now, _buffer);
            if (found < want) break; // the index has no more within the radius
            var inRound = 0;
            for (var i = 0; i < found && inRound < result.Length; i++)
                if (_roundIndexByHandle.ContainsKey(_buffer[i].Courier)) inRound++;
            if (inRound >= result.Length) break;
        }
        // Ranked by the round's planar position, the same measure as the busy ones below.
        var n = 0;
        for (var i = 0; i < found; i++)
            if (_roundIndexByHandle.TryGetValue(_buffer[i].Courier, out var idx))
                n = KBest.Offer(Position.DistanceSquared(point, _positions[idx]), idx, _bestDistance, result, n);
        // Couriers finishing a job: few, so a direct distance check is cheap.
        var radiusSquared = radiusMetres * radiusMetres;
        foreach (var (idx, pos) in _busy)
        {
            var d = Position.DistanceSquared(point, pos);
            if (d <= radiusSquared) n = KBest.Offer(d, idx, _bestDistance, result, n);
        }
        return n;
    }
}

/// <summary>
/// Measures the matcher for the host's metrics. The engine has no clock of its own, so the host
/// supplies a monotonic timestamp; what is measured never feeds back into a decision.
/// </summary>
public interface IDispatchProbe
{
    long Timestamp();

    /// <summary>One matcher run: its duration in <see cref="Timestamp"/> units, and the orders and couriers it weighed.</summary>
    void Matched(long elapsed, int orders, int couriers);
}
