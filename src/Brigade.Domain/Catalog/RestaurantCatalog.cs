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
    private double Unwrap(double lon) => _centre.Lon + GeoPoint.LonDelta(_centre.Lon, lon);

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
