using System.Globalization;
using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Kitchen;

namespace Brigade.Simulation;

/// <summary>A courier's planned shift.</summary>
public sealed record PlannedCourier(string Id, DateTimeOffset From, DateTimeOffset To, GeoPoint Start);

public enum IncidentKind { ChefSick, EquipmentBroken, PowerOut, OutletPaused, CouriersNoShow }

/// <summary>A chef's shift at an outlet: clocked in at From, out at To.</summary>
public sealed record PlannedChefShift(string Outlet, string Chef, DateTimeOffset From, DateTimeOffset To);

/// <summary>A timed incident, validated against the catalog.</summary>
public sealed record PlannedIncident(IncidentKind Kind, DateTimeOffset At, DateTimeOffset? Until, string? Outlet, string? Chef, string? Equipment, int Unit, int Count)
{
    public string Label => Kind switch
    {
        IncidentKind.ChefSick => $"{Chef} sick at {Outlet}",
        IncidentKind.EquipmentBroken => $"{Equipment} #{Unit} broken at {Outlet}",
        IncidentKind.PowerOut => $"power out at {Outlet}",
        IncidentKind.OutletPaused => $"{Outlet} paused",
        _ => $"{Count} couriers don't show",
    };
}

/// <summary>One restaurant's share of demand and how its customers choose from its menu.</summary>
public sealed record DemandMix(Restaurant Restaurant, double Weight, IReadOnlyList<MenuItem> Items, IReadOnlyList<double> ItemWeights);

/// <summary>A compiled, runnable scenario: the catalog with the variant applied, and every timed input of the day.</summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public required string Variant { get; init; }
    public string Description { get; init; } = "";
    public required RestaurantCatalog Catalog { get; init; }
    public EngineOptions EngineOptions { get; init; } = new();
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset DemandEnd { get; init; }
    public required DateTimeOffset DrainUntil { get; init; }
    public int Seed { get; init; } = 1;
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Orders per hour at instants; linear in between, zero outside.</summary>
    public required IReadOnlyList<(DateTimeOffset At, double PerHour)> Curve { get; init; }
    public required IReadOnlyList<DemandMix> Mix { get; init; }
    public double DeliveryShare { get; init; } = 0.7;
    public int MinItems { get; init; } = 1;
    public int MaxItems { get; init; } = 3;
    public TimeSpan CollectMin { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan CollectMax { get; init; } = TimeSpan.FromMinutes(8);
    /// <summary>Where delivery customers are; null: inside a random outlet's zone.</summary>
    public (GeoPoint Centre, double RadiusMetres)? Area { get; init; }
    /// <summary>Courier shifts; empty: the catalog fleet's simulated couriers ride all day.</summary>
    public IReadOnlyList<PlannedCourier> Couriers { get; init; } = [];
    public IReadOnlyList<PlannedIncident> Incidents { get; init; } = [];
    public IReadOnlyList<PlannedChefShift> ChefShifts { get; init; } = [];

    /// <summary>The time zone the scenario's times of day are in: the first outlet's.</summary>
    public TimeZoneInfo TimeZone => Catalog.Outlets[0].TimeZone;

    /// <summary>An instant as a local time of day, as the scenario writes it.</summary>
    public string TimeOfDay(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, TimeZone).ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The demand rate at an instant, in orders per hour.</summary>
    public double RateAt(DateTimeOffset t)
    {
        var c = Curve;
        if (c.Count == 0 || t < c[0].At || t > c[^1].At) return 0;
        for (var i = 1; i < c.Count; i++)
        {
            if (t > c[i].At) continue;
            var span = (c[i].At - c[i - 1].At).Ticks;
            if (span == 0) return c[i].PerHour;
            var f = (double)(t - c[i - 1].At).Ticks / span;
            return c[i - 1].PerHour + f * (c[i].PerHour - c[i - 1].PerHour);
        }
        return c[^1].PerHour;
    }
}

/// <summary>Validates a <see cref="ScenarioDocument"/>, applies a variant and builds the <see cref="Scenario"/>.</summary>
public static class ScenarioCompiler
{
    public const string Baseline = "baseline";

    public static Scenario Compile(ScenarioDocument doc, CatalogSource catalogSource, string? variant = null)
    {
        var problems = new List<string>();
        variant ??= Baseline;
        VariantDocument? v = null;
        if (variant != Baseline && (doc.Variants is null || !doc.Variants.TryGetValue(variant, out v)))
            throw new ScenarioException([$"the scenario has no variant '{variant}' (it has: {string.Join(", ", new[] { Baseline }.Concat(doc.Variants?.Keys ?? Enumerable.Empty<string>()))})"]);

        CatalogDocument catalogDoc;
        try
        {
            catalogDoc = catalogSource(doc.Catalog);
        }
        catch (Exception e) when (e is CatalogException or IOException or ArgumentException)
        {
            throw new ScenarioException([$"catalog: {e.Message}"]);
        }
        if (doc.Couriers is { Count: > 0 } && catalogDoc.Fleet is not null) catalogDoc.Fleet.SimulatedCouriers = 0;
        ChefDocument? Chef(string? outlet, string? id) => (catalogDoc.Restaurants ?? []).SelectMany(r => r.Outlets ?? [])
            .Where(o => o.Id == outlet).SelectMany(o => o.Staff ?? []).FirstOrDefault(c => c.Id == id);
        var rostered = (doc.ChefShifts ?? []).Where(s => Chef(s.Outlet, s.Chef) is not null).ToList();
        if (v is not null) ApplyToCatalog(v, catalogDoc, problems);
        var shifts = new List<ChefShiftDocument>();
        foreach (var shift in doc.ChefShifts ?? [])
        {
            var chef = Chef(shift.Outlet, shift.Chef);
            if (chef is null && !rostered.Contains(shift)) problems.Add($"chef shift: outlet '{shift.Outlet}' has no chef '{shift.Chef}'");
            if (chef is null) continue; // a variant sent this chef home (standby: false)
            chef.OnDuty = false; // until the shift starts
            shifts.Add(shift);
        }
        if (problems.Count > 0) throw new ScenarioException(problems);

        RestaurantCatalog catalog;
        try
        {
            catalog = CatalogCompiler.Compile(catalogDoc);
        }
        catch (CatalogException e)
        {
            throw new ScenarioException(e.Problems.Select(p => "catalog: " + p).ToList());
        }
        if (catalog.Outlets.Count == 0) throw new ScenarioException(["the catalog has no outlet"]);

        var tz = catalog.Outlets[0].TimeZone;
        // Times reach up to 47:59 and the drain up to 48 hours past that: far from either end of
        // the calendar, so that no instant of the day is out of range. A bad date is reported
        // and the rest is still checked on the default day.
        var fallback = new DateOnly(2026, 11, 20);
        if (!DateOnly.TryParseExact(doc.Date ?? "2026-11-20", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            problems.Add($"date '{doc.Date}' is not yyyy-MM-dd");
            date = fallback;
        }
        else if (date.Year is < 1900 or > 9998)
        {
            problems.Add($"date '{doc.Date}' must be between 1900-01-01 and 9998-12-31");
            date = fallback;
        }
        DateTimeOffset? Time(string? text, string what)
        {
            if (text is null) { problems.Add($"{what} is missing"); return null; }
            if (!TryParseTimeOfDay(text, out var t)) { problems.Add($"{what} '{text}' is not a time of day (HH:mm, up to 47:59 for the next day)"); return null; }
            var local = date.ToDateTime(TimeOnly.MinValue) + t;
            return new DateTimeOffset(local, tz.GetUtcOffset(local));
        }

        var start = Time(doc.From ?? "00:00", "from");
        var end = Time(doc.To ?? "24:00", "to");
        if (start is not null && end is not null && end <= start) problems.Add("'to' must be after 'from'");
        if (doc.DrainHours < 0 || doc.DrainHours > 48) problems.Add("drainHours must be between 0 and 48");
        if (doc.SampleSeconds < 1 || doc.SampleSeconds > 3600) problems.Add("sampleSeconds must be between 1 and 3600");
        if (doc.ReviewSeconds is { } rs && (rs < 1 || rs > 3600)) problems.Add("reviewSeconds must be between 1 and 3600");

        // Demand
        var demand = doc.Demand ?? new DemandDocument();
        var factor = v?.DemandFactor ?? 1;
        if (factor < 0) problems.Add("demandFactor must not be negative");
        var curve = new List<(DateTimeOffset, double)>();
        foreach (var p in demand.Curve ?? [])
        {
            var at = Time(p.At, "demand curve point");
            if (p.OrdersPerHour < 0 || double.IsNaN(p.OrdersPerHour)) problems.Add($"orders per hour at {p.At} must not be negative");
            if (at is null) continue;
            if (curve.Count > 0 && at < curve[^1].Item1) problems.Add($"demand curve point {p.At} comes before the one above it");
            curve.Add((at.Value, p.OrdersPerHour * factor));
        }
        if (curve.Count == 0) problems.Add("the demand curve needs at least one point");
        if (demand.DeliveryShare is < 0 or > 1) problems.Add("deliveryShare must be between 0 and 1");
        if (demand.MinItems < 1 || demand.MaxItems < demand.MinItems) problems.Add("items per order: need 1 ≤ minItems ≤ maxItems");
        if (demand.CollectMinMinutes < 0 || demand.CollectMaxMinutes < demand.CollectMinMinutes) problems.Add("collect minutes: need 0 ≤ collectMinMinutes ≤ collectMaxMinutes");
        var mix = new List<DemandMix>();
        var restaurants = demand.Restaurants ?? catalog.Restaurants.ToDictionary(r => r.Id, _ => 1.0);
        foreach (var (id, weight) in restaurants)
        {
            var r = catalog.FindRestaurant(id);
            if (r is null) { problems.Add($"demand names restaurant '{id}', which the catalog does not have"); continue; }
            if (weight < 0) { problems.Add($"weight of {id} must not be negative"); continue; }
            if (weight == 0) continue;
            var items = r.Menu.ToList();
            var weights = items.Select(i => demand.Items is null ? 1.0 : demand.Items.GetValueOrDefault(i.Id, demand.Items.Count == 0 ? 1 : 0)).ToList();
            if (weights.Sum() <= 0) { problems.Add($"no item of {id} has a positive weight"); continue; }
            mix.Add(new DemandMix(r, weight, items, weights));
        }
        if (demand.Items is not null)
            foreach (var id in demand.Items.Keys)
                if (!catalog.Restaurants.Any(r => r.FindItem(id) is not null)) problems.Add($"demand weighs item '{id}', which no restaurant has");
        if (mix.Count == 0 && problems.Count == 0) problems.Add("demand has no restaurant to order from");
        (GeoPoint, double)? area = null;
        if (demand.Area is { } a)
        {
            if (!GeoPoint.IsValid(a.Lat, a.Lon) || a.RadiusKm <= 0) problems.Add("demand area needs a valid lat/lon and a positive radiusKm");
            else area = (new GeoPoint(a.Lat, a.Lon), a.RadiusKm * 1000);
        }

        // Couriers
        var rng = new Random(unchecked(doc.Seed * 7919 + 17));
        var couriers = new List<PlannedCourier>();
        var n = 0;
        foreach (var s in doc.Couriers ?? [])
        {
            var from = Time(s.From ?? doc.From, "courier shift 'from'");
            var to = Time(s.To ?? doc.To, "courier shift 'to'");
            var count = s.Count + (v?.ExtraCouriers ?? 0);
            if (s.Count < 0) problems.Add("a courier shift's count must not be negative");
            if (from is null || to is null) continue;
            if (to <= from) { problems.Add($"courier shift {s.From}–{s.To} ends before it starts"); continue; }
            // The engine refuses a courier starting off the globe, so such a shift would silently never ride.
            if (s.Area is { } bad && (!GeoPoint.IsValid(bad.Lat, bad.Lon) || !(bad.RadiusKm >= 0)))
            { problems.Add($"courier shift {s.From}–{s.To}: its area needs a valid lat/lon and a radiusKm of zero or more"); continue; }
            var centre = s.Area is { } sa ? new GeoPoint(sa.Lat, sa.Lon) : catalog.Fleet.Centre;
            var radius = s.Area is { } sb ? sb.RadiusKm * 1000 : catalog.Fleet.RadiusMetres;
            for (var i = 0; i < count; i++)
                couriers.Add(new PlannedCourier($"courier-{++n:D4}", from.Value, to.Value, PointInDisk(rng, centre, radius)));
        }

        // Incidents
        var incidents = new List<PlannedIncident>();
        foreach (var i in doc.Incidents ?? [])
        {
            var at = Time(i.At, $"incident {i.Kind} 'at'");
            DateTimeOffset? until = i.Until is null ? null : Time(i.Until, $"incident {i.Kind} 'until'");
            if (at is null) continue;
            if (until is not null && until <= at) problems.Add($"incident {i.Kind} at {i.At} ends before it starts");
            var kind = i.Kind switch
            {
                "chefSick" => IncidentKind.ChefSick,
                "equipmentBroken" => IncidentKind.EquipmentBroken,
                "powerOut" => IncidentKind.PowerOut,
                "outletPaused" => IncidentKind.OutletPaused,
                "couriersNoShow" => IncidentKind.CouriersNoShow,
                _ => (IncidentKind?)null,
            };
            if (kind is null) { problems.Add($"incident kind '{i.Kind}' is unknown (chefSick, equipmentBroken, powerOut, outletPaused, couriersNoShow)"); continue; }
            if (kind != IncidentKind.CouriersNoShow)
            {
                var outlet = i.Outlet is null ? null : catalog.FindOutlet(i.Outlet);
                if (outlet is null) { problems.Add($"incident {i.Kind} at {i.At}: no outlet '{i.Outlet}'"); continue; }
                if (kind == IncidentKind.ChefSick && !outlet.Staff.Any(c => c.Id == i.Chef)) { problems.Add($"incident chefSick at {i.At}: {outlet.Id} has no chef '{i.Chef}'"); continue; }
                if (kind == IncidentKind.EquipmentBroken && !outlet.Equipment.Any(e => e.Id == i.Equipment && i.Unit >= 0 && i.Unit < e.Count))
                { problems.Add($"incident equipmentBroken at {i.At}: {outlet.Id} has no unit {i.Unit} of '{i.Equipment}'"); continue; }
            }
            else if (i.Count < 1) { problems.Add($"incident couriersNoShow at {i.At} needs a count of at least 1"); continue; }
            incidents.Add(new PlannedIncident(kind.Value, at.Value, until, i.Outlet, i.Chef, i.Equipment, i.Unit, i.Count));
        }
        foreach (var noShow in incidents.Where(i => i.Kind == IncidentKind.CouriersNoShow))
        {
            var absent = couriers.Where(c => c.From >= noShow.At).OrderBy(c => c.From).ThenBy(c => c.Id, StringComparer.Ordinal).Take(noShow.Count).ToHashSet();
            couriers.RemoveAll(absent.Contains);
        }

        var chefShifts = new List<PlannedChefShift>();
        foreach (var shift in shifts)
        {
            var from = Time(shift.From, $"chef shift of {shift.Chef} 'from'");
            var to = Time(shift.To, $"chef shift of {shift.Chef} 'to'");
            if (from is null || to is null) continue;
            if (to <= from) { problems.Add($"chef shift of {shift.Chef} ends before it starts"); continue; }
            chefShifts.Add(new PlannedChefShift(shift.Outlet!, shift.Chef!, from.Value, to.Value));
        }

        if (problems.Count > 0) throw new ScenarioException(problems);
        incidents.Sort((x, y) => x.At.CompareTo(y.At));
        var kitchen = doc.ReviewSeconds is { } review ? new KitchenOptions { ReviewInterval = TimeSpan.FromSeconds(review) } : new KitchenOptions();
        return new Scenario
        {
            Name = doc.Name ?? "scenario",
            Variant = variant,
            Description = v?.Description ?? doc.Description ?? "",
            Catalog = catalog,
            EngineOptions = new EngineOptions { Kitchen = kitchen },
            Start = start!.Value,
            DemandEnd = end!.Value,
            DrainUntil = end.Value + TimeSpan.FromHours(doc.DrainHours),
            Seed = doc.Seed,
            SampleInterval = TimeSpan.FromSeconds(doc.SampleSeconds),
            Curve = curve,
            Mix = mix,
            DeliveryShare = demand.DeliveryShare,
            MinItems = demand.MinItems,
            MaxItems = demand.MaxItems,
            CollectMin = TimeSpan.FromMinutes(demand.CollectMinMinutes),
            CollectMax = TimeSpan.FromMinutes(demand.CollectMaxMinutes),
            Area = area,
            Couriers = couriers,
            Incidents = incidents,
            ChefShifts = chefShifts,
        };
    }

    private static void ApplyToCatalog(VariantDocument v, CatalogDocument doc, List<string> problems)
    {
        var outlets = (doc.Restaurants ?? []).SelectMany(r => r.Outlets ?? []).ToList();
        // "*": every outlet the change applies to (it has the stations or the equipment named).
        List<OutletDocument> Match(string? id, string what, Func<OutletDocument, bool>? fits = null)
        {
            var found = id == "*" ? outlets.Where(o => fits?.Invoke(o) ?? true).ToList() : outlets.Where(o => o.Id == id).ToList();
            if (found.Count == 0) problems.Add($"variant: {what} names outlet '{id}', which the catalog does not have");
            return found;
        }

        var added = 0;
        foreach (var add in v.AddChefs ?? [])
            foreach (var o in Match(add.Outlet, "addChefs", o => (add.Skills ?? []).All(k => o.Stations?.Any(st => st.Id == k) == true)))
            {
                added++;
                (o.Staff ??= []).Add(new ChefDocument
                {
                    Id = add.Id ?? $"extra-chef-{added}",
                    Name = add.Name ?? add.Id ?? $"Extra chef {added}",
                    Skills = add.Skills,
                    Speed = add.Speed,
                    Standby = add.Standby,
                });
            }
        foreach (var change in v.ChefSpeed ?? [])
            foreach (var o in Match(change.Outlet, "chefSpeed"))
            {
                var chef = o.Staff?.FirstOrDefault(c => c.Id == change.Chef);
                if (chef is null) problems.Add($"variant: {o.Id} has no chef '{change.Chef}'");
                else chef.Speed = change.Speed;
            }
        foreach (var change in v.Equipment ?? [])
            foreach (var o in Match(change.Outlet, "equipment", o => o.Equipment?.Any(e => e.Id == change.Equipment) == true))
            {
                var e = o.Equipment?.FirstOrDefault(x => x.Id == change.Equipment);
                if (e is null) { problems.Add($"variant: {o.Id} has no equipment '{change.Equipment}'"); continue; }
                if (change.Count is { } count) e.Count = count;
                if (change.Capacity is { } capacity) e.Capacity = capacity;
            }
        foreach (var o in outlets)
        {
            if (v.Prep == false)
            {
                foreach (var s in o.Stock ?? []) { s.Par = 0; s.Initial = 0; }
                o.OffPeak = null;
            }
            if (v.Autoscale == false)
                foreach (var s in o.Stations ?? []) s.Autoscale = null;
            if (v.Standby == false) o.Staff?.RemoveAll(c => c.Standby);
        }
    }

    /// <summary>"18:30", or past midnight as "25:15" (hours 0–47).</summary>
    public static bool TryParseTimeOfDay(string text, out TimeSpan time)
    {
        time = default;
        var parts = text.Split(':');
        if (parts.Length != 2 ||
            !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var h) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ||
            h > 47 || m > 59 || parts[1].Length != 2) return false;
        time = new TimeSpan(h, m, 0);
        return true;
    }

    /// <summary>
    /// A point uniformly distributed in a disk: radius ∝ √u keeps the density even over the area. The
    /// longitude is brought back within ±180, so a disk across the 180th meridian yields points on both sides
    /// of it that positions and addresses accept.
    /// </summary>
    public static GeoPoint PointInDisk(Random rng, GeoPoint centre, double radiusMetres)
    {
        var r = radiusMetres * Math.Sqrt(rng.NextDouble());
        var theta = rng.NextDouble() * 2 * Math.PI;
        var dLat = r * Math.Cos(theta) / 111_320.0;
        var dLon = r * Math.Sin(theta) / (111_320.0 * Math.Cos(centre.Lat * Math.PI / 180));
        return new GeoPoint(centre.Lat + dLat, GeoPoint.NormalizeLon(centre.Lon + dLon));
    }
}
