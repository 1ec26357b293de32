using Brigade.Geo;

namespace Brigade.Catalog;

/// <summary>
/// The validated, runtime form of a catalog file: restaurants, their menus and recipes, and
/// their outlets with stations, equipment and staff. Built by <see cref="CatalogCompiler"/>.
/// Nothing in the engine knows what a pizza is; everything it cooks is described here.
/// </summary>
public sealed class RestaurantCatalog
{
    private readonly Dictionary<string, Restaurant> _restaurants;
    private readonly Dictionary<string, Outlet> _outlets;

    internal RestaurantCatalog(string name, IReadOnlyList<Restaurant> restaurants, FleetSpec fleet, RoutingSpec routing)
    {
        Name = name;
        Fleet = fleet;
        Routing = routing;
        Restaurants = restaurants;
        _restaurants = restaurants.ToDictionary(r => r.Id, StringComparer.Ordinal);
        Outlets = restaurants.SelectMany(r => r.Outlets).ToList();
        _outlets = Outlets.ToDictionary(o => o.Id, StringComparer.Ordinal);
    }

    public string Name { get; }
    public FleetSpec Fleet { get; }
    public RoutingSpec Routing { get; }
    public IReadOnlyList<Restaurant> Restaurants { get; }
    public IReadOnlyList<Outlet> Outlets { get; }

    public Restaurant? FindRestaurant(string id) => _restaurants.GetValueOrDefault(id);
    public Outlet? FindOutlet(string id) => _outlets.GetValueOrDefault(id);
}

public sealed class Restaurant
{
    private readonly Dictionary<string, MenuItem> _items;

    internal Restaurant(string id, string name, string cuisine, string description,
        IReadOnlyList<MenuItem> menu, IReadOnlyList<PreppedComponent> components)
    {
        Id = id;
        Name = name;
        Cuisine = cuisine;
        Description = description;
        Menu = menu;
        Components = components;
        _items = menu.ToDictionary(i => i.Id, StringComparer.Ordinal);
    }

    public string Id { get; }
    public string Name { get; }
    public string Cuisine { get; }
    public string Description { get; }
    public IReadOnlyList<MenuItem> Menu { get; }
    public IReadOnlyList<PreppedComponent> Components { get; }
    public IReadOnlyList<Outlet> Outlets { get; internal set; } = [];

    public MenuItem? FindItem(string id) => _items.GetValueOrDefault(id);
    public PreppedComponent? FindComponent(string id) => Components.FirstOrDefault(c => c.Id == id);
}

public sealed record MenuItem(string Id, string Name, string Description, int PriceCents, IReadOnlyList<RecipeStep> Steps);

/// <summary>
/// One step of a recipe. The chef works <see cref="Work"/> at <see cref="Station"/>; if the step
/// needs equipment, one slot of it is held from the start of the step until the equipment has run
/// <see cref="EquipmentTime"/> after the chef's work. An unattended step frees the chef while the
/// equipment runs; an attended one keeps the chef busy until the end.
/// </summary>
public sealed record RecipeStep(
    string Name,
    string Station,
    TimeSpan Work,
    string? Equipment,
    TimeSpan EquipmentTime,
    bool Attended,
    string? Produces)
{
    /// <summary>Chef time for a chef of speed 1.</summary>
    public TimeSpan ChefTime => Attended ? Work + EquipmentTime : Work;
    public TimeSpan Duration => Work + EquipmentTime;
}

/// <summary>Stock made ahead of time (pizza bases, cold brew). A recipe step that produces it is skipped when stock is available.</summary>
public sealed record PreppedComponent(string Id, string Name, int Batch, IReadOnlyList<RecipeStep> Prep);

public enum StationMode
{
    Simulated,
    Human,
}

public sealed record StationSpec(
    string Id,
    string Name,
    StationMode Mode,
    TimeSpan TargetWait,
    int MaxQueuedTasks,
    int MinChefs,
    int MaxChefs,
    TimeSpan Cooldown);

public sealed record EquipmentSpec(string Id, string Type, int Count, int Capacity);

public sealed record ChefSpec(string Id, string Name, IReadOnlyList<string> Skills, double Speed, bool Standby, bool OnDuty)
{
    /// <summary>
    /// The slowest a chef may be: a hundredth of the standard pace, so that the longest step (12
    /// hours) takes 50 days. Far slower, and a task's times and the estimates summed from them run
    /// past the last moment the kitchen's clock can count.
    /// </summary>
    public const double MinSpeed = 0.01;

    public const double MaxSpeed = 10;

    /// <summary>The station the chef is rostered to: the first skill.</summary>
    public string HomeStation => Skills[0];
}

public sealed record StockSpec(string Component, int Par, int Initial);

public sealed class Outlet
{
    internal Outlet(string id, string name, Restaurant restaurant, GeoPoint location, TimeZoneInfo timeZone,
        OpeningHours hours, TimeSpan maxPromise, TimeSpan lease, int maxAttempts, DeliveryZone zone,
        IReadOnlyList<StationSpec> stations, IReadOnlyList<EquipmentSpec> equipment, IReadOnlyList<ChefSpec> staff,
        IReadOnlyList<StockSpec> stock, IReadOnlyList<DailyWindow> offPeak)
    {
        Id = id;
        Name = name;
        Restaurant = restaurant;
        Location = location;
        TimeZone = timeZone;
        Hours = hours;
        MaxPromise = maxPromise;
        Lease = lease;
        MaxAttempts = maxAttempts;
        Zone = zone;
        Stations = stations;
        Equipment = equipment;
        Staff = staff;
        Stock = stock;
        OffPeak = offPeak;
    }

    public string Id { get; }
    public string Name { get; }
    public Restaurant Restaurant { get; }
    public GeoPoint Location { get; }
    public TimeZoneInfo TimeZone { get; }
    public OpeningHours Hours { get; }
    /// <summary>Backpressure: the outlet refuses an order it could not have ready within this.</summary>
    public TimeSpan MaxPromise { get; }
    /// <summary>How long a chef holds a task without a heartbeat before it returns to the queue.</summary>
    public TimeSpan Lease { get; }
    /// <summary>Attempts at one task before its ticket, and so its order, fails.</summary>
    public int MaxAttempts { get; }
    public DeliveryZone Zone { get; }
    public IReadOnlyList<StationSpec> Stations { get; }
    public IReadOnlyList<EquipmentSpec> Equipment { get; }
    public IReadOnlyList<ChefSpec> Staff { get; }
    public IReadOnlyList<StockSpec> Stock { get; }
    public IReadOnlyList<DailyWindow> OffPeak { get; }

    public bool IsOpen(DateTimeOffset at) => Hours.IsOpen(TimeZoneInfo.ConvertTime(at, TimeZone));

    public bool IsOffPeak(DateTimeOffset at)
    {
        if (OffPeak.Count == 0) return false;
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, TimeZone).DateTime);
        foreach (var w in OffPeak)
            if (w.Contains(local)) return true;
        return false;
    }
}

/// <summary>A daily time window in local time; it may cross midnight (22:00–02:00).</summary>
public readonly record struct DailyWindow(TimeOnly From, TimeOnly To)
{
    public bool Contains(TimeOnly t) => From <= To ? t >= From && t < To : t >= From || t < To;
}

public sealed class OpeningHours
{
    private readonly List<(DayOfWeek Day, DailyWindow Window)> _windows;

    internal OpeningHours(List<(DayOfWeek, DailyWindow)> windows) => _windows = windows;

    public static OpeningHours Always { get; } = new([]);

    public bool IsAlwaysOpen => _windows.Count == 0;

    public IEnumerable<(DayOfWeek Day, DailyWindow Window)> Windows => _windows;

    /// <summary>Open at this local time? A window that crosses midnight belongs to the day it opens.</summary>
    public bool IsOpen(DateTimeOffset local)
    {
        if (_windows.Count == 0) return true;
        var t = TimeOnly.FromDateTime(local.DateTime);
        var today = local.DayOfWeek;
        var yesterday = (DayOfWeek)(((int)today + 6) % 7);
        foreach (var (day, w) in _windows)
        {
            if (w.From <= w.To)
            {
                if (day == today && w.Contains(t)) return true;
            }
            else if ((day == today && t >= w.From) || (day == yesterday && t < w.To))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// Where an outlet delivers: a radius around it, or a polygon of lat/lon vertices. A polygon is read
/// with every longitude taken the short way from the outlet, so a zone across the 180th meridian
/// (179.95 to -179.95) is the strip across the line, not the rest of the world.
/// </summary>
public sealed class DeliveryZone
{
    private readonly GeoPoint _centre;
    private readonly GeoPoint[]? _polygon;
    // The polygon's longitudes unwrapped around the outlet: centre.Lon + the short-way offset, so they may run past ±180.
    private readonly double[]? _unwrappedLon;

    internal DeliveryZone(GeoPoint centre, double radiusMetres, GeoPoint[]? polygon)
    {
        _centre = centre;
        RadiusMetres = radiusMetres;
        _polygon = polygon;
        _unwrappedLon = polygon?.Select(v => Unwrap(v.Lon)).ToArray();
    }

    public double RadiusMetres { get; }
    public IReadOnlyList<GeoPoint>? Polygon => _polygon;

    /// <summary>The longitude on the same meridian as <paramref name="lon"/> that is within 180° of the outlet's (may be past ±180).</summary>
    private double Unwrap(double lon) => Unwrap(_centre, lon);

    private static double Unwrap(GeoPoint centre, double lon) => centre.Lon + GeoPoint.LonDelta(centre.Lon, lon);

    // Vertices closer than this (in degrees, about 0.1 mm) to the line through the others make no area.
    private const double CollinearDegrees = 1e-9;

    /// <summary>
    /// Why <paramref name="polygon"/> is not a simple polygon around <paramref name="centre"/>, or null:
    /// a vertex that repeats the one before (the last may not repeat the first: the closing edge is
    /// implied), vertices that all lie on one line, or two edges that cross or touch. Read in the
    /// plane <see cref="Contains"/> reads it in (longitudes unwrapped around the outlet), so a zone
    /// across the 180th meridian is judged by the shape it delivers to. Edge k joins vertex k to the next.
    /// </summary>
    internal static string? ShapeProblem(GeoPoint centre, IReadOnlyList<GeoPoint> polygon)
    {
        var n = polygon.Count;
        var x = polygon.Select(v => Unwrap(centre, v.Lon)).ToArray();
        var y = polygon.Select(v => v.Lat).ToArray();
        for (var i = 0; i < n; i++)
        {
            var prev = (i + n - 1) % n;
            // Compared as meridians, not unwrapped numbers: 180 and -180 are one point.
            if (y[i] == y[prev] && GeoPoint.LonDelta(polygon[prev].Lon, polygon[i].Lon) == 0)
                return i == 0 ? $"vertex {n - 1} repeats vertex 0 (the polygon closes by itself; do not repeat the first vertex at the end)" : $"vertex {i} repeats vertex {i - 1}";
        }

        // The vertex farthest from the first, and how far every vertex is from the line through the two.
        var far = 0;
        for (var i = 1; i < n; i++)
            if (Square(x[i] - x[0]) + Square(y[i] - y[0]) > Square(x[far] - x[0]) + Square(y[far] - y[0])) far = i;
        var length = Math.Sqrt(Square(x[far] - x[0]) + Square(y[far] - y[0]));
        var offLine = false;
        for (var i = 1; i < n && !offLine; i++)
            offLine = Math.Abs(Cross(x[0], y[0], x[far], y[far], x[i], y[i])) / length > CollinearDegrees;
        if (!offLine) return "encloses no area: its vertices lie on one line";

        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
            {
                var (a, b, c, d) = (i, (i + 1) % n, j, (j + 1) % n);
                // Neighbours share a vertex, which is not a crossing; they cross only if one turns back along the other.
                var crosses = b == c ? TurnsBack(x, y, a, b, d)
                    : d == a ? TurnsBack(x, y, c, d, b)
                    : SegmentsMeet(x, y, a, b, c, d);
                if (crosses) return $"crosses itself between edges {i} and {j} (edge k joins vertex k to the next, counting from 0)";
            }
        return null;
    }

    private static double Square(double v) => v * v;

    /// <summary>Twice the signed area of the triangle (a, b, c): positive when c is left of a→b, 0 when on its line.</summary>
    private static double Cross(double ax, double ay, double bx, double by, double cx, double cy) => ((bx - ax) * (cy - ay)) - ((by - ay) * (cx - ax));

    /// <summary>Whether the edge shared→next runs back over the edge from → shared (or the other way round).</summary>
    private static bool TurnsBack(double[] x, double[] y, int from, int shared, int next) =>
        Cross(x[from], y[from], x[shared], y[shared], x[next], y[next]) == 0 &&
        ((x[from] - x[shared]) * (x[next] - x[shared])) + ((y[from] - y[shared]) * (y[next] - y[shared])) > 0;

    /// <summary>Whether the segments a-b and c-d have a point in common (crossing, touching or overlapping).</summary>
    private static bool SegmentsMeet(double[] x, double[] y, int a, int b, int c, int d)
    {
        var d1 = Math.Sign(Cross(x[c], y[c], x[d], y[d], x[a], y[a]));
        var d2 = Math.Sign(Cross(x[c], y[c], x[d], y[d], x[b], y[b]));
        var d3 = Math.Sign(Cross(x[a], y[a], x[b], y[b], x[c], y[c]));
        var d4 = Math.Sign(Cross(x[a], y[a], x[b], y[b], x[d], y[d]));
        if (d1 * d2 < 0 && d3 * d4 < 0) return true;
        return (d1 == 0 && OnSegment(x, y, c, d, a)) || (d2 == 0 && OnSegment(x, y, c, d, b))
            || (d3 == 0 && OnSegment(x, y, a, b, c)) || (d4 == 0 && OnSegment(x, y, a, b, d));
    }

    /// <summary>Whether p, on the line through a and b, lies between them.</summary>
    private static bool OnSegment(double[] x, double[] y, int a, int b, int p) =>
        x[p] >= Math.Min(x[a], x[b]) && x[p] <= Math.Max(x[a], x[b]) && y[p] >= Math.Min(y[a], y[b]) && y[p] <= Math.Max(y[a], y[b]);

    public bool Contains(GeoPoint p)
    {
        if (_polygon is null) return GeoPoint.HaversineMetres(_centre, p) <= RadiusMetres;
        // Even-odd ray casting in the lat/lon plane, with the point and the vertices unwrapped around the
        // outlet: fine for city-sized zones, on either side of the antimeridian or across it.
        var lon = Unwrap(p.Lon);
        var lons = _unwrappedLon!;
        var inside = false;
        for (int i = 0, j = _polygon.Length - 1; i < _polygon.Length; j = i++)
        {
            var a = _polygon[i];
            var b = _polygon[j];
            if ((a.Lat > p.Lat) != (b.Lat > p.Lat) &&
                lon < (lons[j] - lons[i]) * (p.Lat - a.Lat) / (b.Lat - a.Lat) + lons[i])
                inside = !inside;
        }
        return inside;
    }
}

/// <summary>The delivery fleet's settings (see <see cref="FleetDocument"/>).</summary>
public sealed record FleetSpec(
    int SimulatedCouriers,
    double SpeedMetresPerSecond,
    double DetourFactor,
    TimeSpan OfferTimeout,
    TimeSpan RoundInterval,
    TimeSpan PickupService,
    TimeSpan DropoffService,
    TimeSpan StaleAfter,
    int MaxBundleSize,
    double SimulatedDeclineRate,
    GeoPoint Centre,
    double RadiusMetres);

/// <summary>The router's settings (see <see cref="RoutingDocument"/>).</summary>
public sealed record RoutingSpec(TimeSpan LocalityMargin, TimeSpan SilentAfter, TimeSpan NoCourierPenalty);
