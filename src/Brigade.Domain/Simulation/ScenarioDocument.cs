using Brigade.Catalog;

namespace Brigade.Simulation;

// A simulation scenario as written in a file (JSON, camelCase): which catalog, one day's demand,
// courier shifts, timed incidents and named variants for --compare. Times of day ("18:30") are
// the catalog's local time on Date. ScenarioCompiler validates these records and builds a Scenario.

public sealed record ScenarioDocument
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    /// <summary>"demo" (the built-in demo catalog), or a catalog file, relative to the scenario file.</summary>
    public string? Catalog { get; set; }
    /// <summary>The day simulated (yyyy-MM-dd); it decides the weekday for opening hours.</summary>
    public string? Date { get; set; }
    /// <summary>When the simulated day starts and when demand ends (local times of day).</summary>
    public string? From { get; set; }
    public string? To { get; set; }
    /// <summary>After demand ends, the run goes on until every order is finished, or for at most this long.</summary>
    public double DrainHours { get; set; } = 3;
    public int Seed { get; set; } = 1;
    /// <summary>How often queues and couriers are sampled for the timelines.</summary>
    public double SampleSeconds { get; set; } = 60;
    /// <summary>How often each kitchen reviews staffing and stock (default: the engine's).</summary>
    public double? ReviewSeconds { get; set; }
    public DemandDocument? Demand { get; set; }
    /// <summary>Courier shifts. Without any, the catalog fleet's simulated couriers ride all day.</summary>
    public List<ShiftDocument>? Couriers { get; set; }
    /// <summary>Chef shifts: a chef named here is off duty until the shift starts and clocks out when it ends.</summary>
    public List<ChefShiftDocument>? ChefShifts { get; set; }
    public List<IncidentDocument>? Incidents { get; set; }
    /// <summary>Named changes to the catalog, the demand or the fleet, compared side by side with --compare.</summary>
    public Dictionary<string, VariantDocument>? Variants { get; set; }
}

public sealed record DemandDocument
{
    /// <summary>Orders per hour at times of day; the rate is linear between points and zero outside them.</summary>
    public List<RatePointDocument>? Curve { get; set; }
    /// <summary>Relative weight of each restaurant (default: every restaurant alike).</summary>
    public Dictionary<string, double>? Restaurants { get; set; }
    /// <summary>Relative weight of menu items (default: every item alike).</summary>
    public Dictionary<string, double>? Items { get; set; }
    /// <summary>Share of orders for delivery; the rest are collected by the customer.</summary>
    public double DeliveryShare { get; set; } = 0.7;
    public int MinItems { get; set; } = 1;
    public int MaxItems { get; set; } = 3;
    /// <summary>A pickup customer arrives this many minutes after the order is ready (uniform between the two).</summary>
    public double CollectMinMinutes { get; set; } = 1;
    public double CollectMaxMinutes { get; set; } = 8;
    /// <summary>Where delivery customers are: a disk. Default: uniformly inside a random outlet's zone.</summary>
    public AreaDocument? Area { get; set; }
}

public sealed record RatePointDocument
{
    public string? At { get; set; }
    public double OrdersPerHour { get; set; }
}

public sealed record AreaDocument
{
    public double Lat { get; set; }
    public double Lon { get; set; }
    public double RadiusKm { get; set; } = 3;
}

public sealed record ShiftDocument
{
    public int Count { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
    /// <summary>Where the couriers start: a disk (default: the fleet's centre and radius).</summary>
    public AreaDocument? Area { get; set; }
}

public sealed record ChefShiftDocument
{
    public string? Outlet { get; set; }
    public string? Chef { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
}

/// <summary>
/// A timed incident. Kinds: <c>chefSick</c> (outlet, chef; until = back), <c>equipmentBroken</c>
/// (outlet, equipment, unit; until = fixed), <c>powerOut</c> (outlet; until = restored),
/// <c>outletPaused</c> (outlet; until = resumed), <c>couriersNoShow</c> (count: that many couriers
/// whose shift starts at or after the time never come).
/// </summary>
public sealed record IncidentDocument
{
    public string? Kind { get; set; }
    public string? At { get; set; }
    public string? Until { get; set; }
    public string? Outlet { get; set; }
    public string? Chef { get; set; }
    public string? Equipment { get; set; }
    public int Unit { get; set; }
    public int Count { get; set; }
}

/// <summary>A what-if: changes applied to the scenario before it runs.</summary>
public sealed record VariantDocument
{
    public string? Description { get; set; }
    public List<AddChefDocument>? AddChefs { get; set; }
    public List<ChefSpeedDocument>? ChefSpeed { get; set; }
    public List<EquipmentChangeDocument>? Equipment { get; set; }
    /// <summary>false: no prepped stock and no prep (par and initial stock zero).</summary>
    public bool? Prep { get; set; }
    /// <summary>false: every station keeps its rostered crew (no autoscaling).</summary>
    public bool? Autoscale { get; set; }
    /// <summary>false: standby chefs stay home.</summary>
    public bool? Standby { get; set; }
    /// <summary>Couriers added to (or, negative, removed from) every shift.</summary>
    public int ExtraCouriers { get; set; }
    /// <summary>Demand is multiplied by this.</summary>
    public double DemandFactor { get; set; } = 1;
}

public sealed record AddChefDocument
{
    /// <summary>An outlet id, or "*" for every outlet that has the stations the chef is skilled for.</summary>
    public string? Outlet { get; set; }
    public string? Id { get; set; }
    public string? Name { get; set; }
    public List<string>? Skills { get; set; }
    public double Speed { get; set; } = 1;
    public bool Standby { get; set; }
}

public sealed record ChefSpeedDocument
{
    public string? Outlet { get; set; }
    public string? Chef { get; set; }
    public double Speed { get; set; } = 1;
}

public sealed record EquipmentChangeDocument
{
    public string? Outlet { get; set; }
    public string? Equipment { get; set; }
    public int? Count { get; set; }
    public int? Capacity { get; set; }
}

/// <summary>A scenario that cannot run; every problem is listed.</summary>
public sealed class ScenarioException(IReadOnlyList<string> problems)
    : Exception("Invalid scenario: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Gives the scenario compiler a fresh, unshared copy of the scenario's catalog document each time.</summary>
public delegate CatalogDocument CatalogSource(string? reference);
