namespace Brigade.Catalog;

// The catalog file as written by a restaurant owner (JSON, camelCase). These records are the
// shape of the file only; CatalogCompiler validates them and builds the runtime model.
// Times are seconds, distances kilometres, money in cents.

public sealed record CatalogDocument
{
    public string? Name { get; set; }
    public string? TimeZone { get; set; }
    public List<RestaurantDocument>? Restaurants { get; set; }
    public FleetDocument? Fleet { get; set; }
    public RoutingDocument? Routing { get; set; }
}

/// <summary>How the router picks an outlet for an order that names none.</summary>
public sealed record RoutingDocument
{
    /// <summary>An order goes to its local (nearest) outlet unless another promises to be sooner by at least this.</summary>
    public double LocalityMarginMinutes { get; set; } = 5;
    /// <summary>An outlet with no heartbeat for this long (kitchen time) is silent: no new orders, its queued orders move.</summary>
    public double SilentAfterSeconds { get; set; } = 90;
    /// <summary>Added to a delivery promise when no courier is free near the outlet.</summary>
    public double NoCourierPenaltyMinutes { get; set; } = 15;
}

/// <summary>The delivery fleet: how couriers move and how they are dispatched, and how many the engine simulates.</summary>
public sealed record FleetDocument
{
    /// <summary>Couriers the engine drives itself (they move in straight lines, accept offers, pick up, deliver).</summary>
    public int SimulatedCouriers { get; set; }
    public double SpeedKmh { get; set; } = 16;
    /// <summary>Straight-line distance times this is the distance ridden.</summary>
    public double DetourFactor { get; set; } = 1.3;
    public double OfferSeconds { get; set; } = 45;
    /// <summary>The matcher runs this often, and sooner when an order is ready or a courier comes free.</summary>
    public double RoundSeconds { get; set; } = 15;
    public double PickupServiceSeconds { get; set; } = 120;
    public double DropoffServiceSeconds { get; set; } = 120;
    /// <summary>A position older than this is stale: the courier is not offered work until it reports again.</summary>
    public double StaleSeconds { get; set; } = 120;
    public int MaxBundleSize { get; set; } = 2;
    /// <summary>Share of offers a simulated courier declines (deterministic per offer).</summary>
    public double SimulatedDeclineRate { get; set; }
    public double? CentreLat { get; set; }
    public double? CentreLon { get; set; }
    /// <summary>Simulated couriers start spread over a circle of this radius around the centre.</summary>
    public double RadiusKm { get; set; } = 3;
}

public sealed record RestaurantDocument
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? Cuisine { get; set; }
    public string? Description { get; set; }
    public List<MenuItemDocument>? Menu { get; set; }
    public List<ComponentDocument>? Components { get; set; }
    public List<OutletDocument>? Outlets { get; set; }
}

public sealed record MenuItemDocument
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public int PriceCents { get; set; }
    public List<StepDocument>? Steps { get; set; }
}

public sealed record StepDocument
{
    public string? Name { get; set; }
    public string? Station { get; set; }
    public double WorkSeconds { get; set; }
    public string? Equipment { get; set; }
    public double EquipmentSeconds { get; set; }
    /// <summary>Whether the chef stays busy while the equipment runs. Defaults to false (unattended).</summary>
    public bool Attended { get; set; }
    /// <summary>The prepped component this step makes. When the outlet has one in stock, the step is skipped.</summary>
    public string? Produces { get; set; }
}

public sealed record ComponentDocument
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    /// <summary>How many units one run of the prep recipe makes.</summary>
    public int Batch { get; set; } = 1;
    public List<StepDocument>? Prep { get; set; }
}

public sealed record OutletDocument
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public string? TimeZone { get; set; }
    public List<OpeningHoursDocument>? Hours { get; set; }
    public double MaxPromiseMinutes { get; set; } = 45;
    public double LeaseSeconds { get; set; } = 120;
    public int MaxAttempts { get; set; } = 3;
    public ZoneDocument? Zone { get; set; }
    public List<StationDocument>? Stations { get; set; }
    public List<EquipmentDocument>? Equipment { get; set; }
    public List<ChefDocument>? Staff { get; set; }
    public List<StockDocument>? Stock { get; set; }
    public List<WindowDocument>? OffPeak { get; set; }
}

public sealed record OpeningHoursDocument
{
    /// <summary>Day names (mon..sun) or "daily".</summary>
    public List<string>? Days { get; set; }
    public string? Open { get; set; }
    public string? Close { get; set; }
}

public sealed record WindowDocument
{
    public string? From { get; set; }
    public string? To { get; set; }
}

public sealed record ZoneDocument
{
    public double? RadiusKm { get; set; }
    public List<double[]>? Polygon { get; set; }
}

public sealed record StationDocument
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    /// <summary>"simulated": the engine's own chefs finish steps on the clock; "human": staff start and bump tasks.</summary>
    public string? Mode { get; set; }
    public double TargetWaitSeconds { get; set; } = 300;
    public int MaxQueuedTasks { get; set; } = 2000;
    public AutoscaleDocument? Autoscale { get; set; }
}

public sealed record AutoscaleDocument
{
    public int? Min { get; set; }
    public int? Max { get; set; }
    public double? TargetWaitSeconds { get; set; }
    public double CooldownSeconds { get; set; } = 300;
}

public sealed record EquipmentDocument
{
    public string? Id { get; set; }
    public string? Type { get; set; }
    public int Count { get; set; } = 1;
    public int Capacity { get; set; } = 1;
}

public sealed record ChefDocument
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public List<string>? Skills { get; set; }
    public double Speed { get; set; } = 1;
    public bool Standby { get; set; }
    public bool OnDuty { get; set; } = true;
}

public sealed record StockDocument
{
    public string? Component { get; set; }
    public int Par { get; set; }
    public int Initial { get; set; }
}
