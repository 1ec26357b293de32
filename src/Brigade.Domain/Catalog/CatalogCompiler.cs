using System.Globalization;
using Brigade.Geo;

namespace Brigade.Catalog;

/// <summary>The catalog file is invalid. <see cref="Problems"/> names every problem found, with where it is.</summary>
public sealed class CatalogException(IReadOnlyList<string> problems)
    : Exception("Invalid catalog:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Validates a <see cref="CatalogDocument"/> and builds the runtime <see cref="RestaurantCatalog"/>.</summary>
public static class CatalogCompiler
{
    public const int MaxStepsPerRecipe = 64;
    /// <summary>
    /// The dearest a menu item may be (100 000.00): an order's total is counted in an int of cents, and
    /// the largest order the API takes (200 units) of items this dear still fits one, where a dearer item
    /// would wrap the total round to a negative amount.
    /// </summary>
    public const int MaxPriceCents = 10_000_000;
    /// <summary>
    /// The most a component's par, initial stock or batch may be. The kitchen adds stock, what is in prep
    /// and a batch in ints: near int.MaxValue the sum wraps round to a negative level, below par, and
    /// prep never stops. No shelf holds more than this of one component.
    /// </summary>
    public const int MaxStock = 100_000;
    /// <summary>What an id may hold, said wherever an id is refused.</summary>
    public const string IdRule = "1 to 64 lowercase letters a-z, digits, '-' and '_'";
    // A delivery zone (or the fleet's start area) this wide already covers the globe: half the Earth's circumference.
    private const double MaxRadiusKm = 20_000;
    // A step or a courier's handover: anything longer than a working day is a slip of the unit.
    private static readonly TimeSpan MaxStepTime = TimeSpan.FromHours(12);
    // Promise, routing, offer, lease and crew times: a very long one is how a catalog says "no limit", but it
    // must stay a time the calendar can hold once added to now.
    private const double MaxMinutes = 1000 * 365.25 * 24 * 60;
    private const double MaxSeconds = MaxMinutes * 60;
    private const string MaxText = "1000 years";

    public static RestaurantCatalog Compile(CatalogDocument doc)
    {
        var problems = new List<string>();
        var restaurants = new List<Restaurant>();
        // Checked even when every outlet names its own: a misspelt zone is a mistake wherever it is written.
        var defaultZone = doc.TimeZone is null ? TimeZoneInfo.Utc : FindZone(doc.TimeZone, "timeZone", problems) ?? TimeZoneInfo.Utc;
        if (doc.Restaurants is not { Count: > 0 })
            problems.Add("catalog: there are no restaurants");

        var restaurantIds = new HashSet<string>(StringComparer.Ordinal);
        var outletIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (r, ri) in Entries(doc.Restaurants, "restaurants", problems))
        {
            var rpath = $"restaurants[{r.Id ?? ri.ToString(CultureInfo.InvariantCulture)}]";
            if (!IsId(r.Id)) { problems.Add($"{rpath}.id: '{r.Id}' is not a valid id ({IdRule})"); continue; }
            if (!restaurantIds.Add(r.Id!)) problems.Add($"{rpath}.id: duplicate restaurant id '{r.Id}'");

            var components = new List<PreppedComponent>();
            foreach (var (c, _) in Entries(r.Components, $"{rpath}.components", problems))
            {
                var cpath = $"{rpath}.components[{c.Id}]";
                if (!IsId(c.Id)) { problems.Add($"{cpath}.id: '{c.Id}' is not a valid id ({IdRule})"); continue; }
                if (components.Any(x => x.Id == c.Id)) problems.Add($"{cpath}: duplicate component id");
                if (c.Batch is < 1 or > MaxStock) problems.Add($"{cpath}.batch: must be between 1 and {MaxStock}, not {c.Batch}");
                if (c.Prep is not { Count: > 0 }) problems.Add($"{cpath}.prep: a prepped component needs a prep recipe");
                var prep = CompileSteps(c.Prep ?? [], $"{cpath}.prep", null, problems);
                if (prep.Any(s => s.Produces is not null)) problems.Add($"{cpath}.prep: a prep recipe cannot itself produce components");
                components.Add(new PreppedComponent(c.Id!, c.Name ?? c.Id!, Math.Max(1, c.Batch), prep));
            }

            var menu = new List<MenuItem>();
            if (r.Menu is not { Count: > 0 }) problems.Add($"{rpath}.menu: the menu is empty");
            foreach (var (m, _) in Entries(r.Menu, $"{rpath}.menu", problems))
            {
                var mpath = $"{rpath}.menu[{m.Id}]";
                if (!IsId(m.Id)) { problems.Add($"{mpath}.id: '{m.Id}' is not a valid id ({IdRule})"); continue; }
                // Reported, then left out: the restaurant indexes its menu by id, and a second item of an id
                // would stop the compiler with a stack trace before the problems are shown.
                if (menu.Any(x => x.Id == m.Id)) { problems.Add($"{mpath}: duplicate menu item id"); continue; }
                if (m.PriceCents < 0) problems.Add($"{mpath}.priceCents: negative price {m.PriceCents}");
                else if (m.PriceCents > MaxPriceCents) problems.Add($"{mpath}.priceCents: at most {MaxPriceCents}, not {m.PriceCents}");
                if (m.Steps is not { Count: > 0 }) problems.Add($"{mpath}.steps: a menu item needs at least one step");
                var steps = CompileSteps(m.Steps ?? [], $"{mpath}.steps", components, problems);
                menu.Add(new MenuItem(m.Id!, m.Name ?? m.Id!, m.Description ?? "", m.PriceCents, steps));
            }

            var restaurant = new Restaurant(r.Id!, r.Name ?? r.Id!, r.Cuisine ?? "", r.Description ?? "", menu, components);
            var outlets = new List<Outlet>();
            if (r.Outlets is not { Count: > 0 }) problems.Add($"{rpath}.outlets: a restaurant needs at least one outlet");
            foreach (var (o, _) in Entries(r.Outlets, $"{rpath}.outlets", problems))
            {
                var outlet = CompileOutlet(o, restaurant, $"{rpath}.outlets[{o.Id}]", defaultZone, outletIds, problems);
                if (outlet is not null) outlets.Add(outlet);
            }
            restaurant.Outlets = outlets;
            restaurants.Add(restaurant);
        }

        var fleet = CompileFleet(doc.Fleet ?? new FleetDocument(), restaurants, problems);
        var routing = doc.Routing ?? new RoutingDocument();
        CheckMinutes(routing.LocalityMarginMinutes, "routing.localityMarginMinutes", problems);
        // A device outlet is silent this long after its last heartbeat: at zero, the instant after every one.
        CheckTime(routing.SilentAfterSeconds, "routing.silentAfterSeconds", 1, MaxSeconds, MaxText, problems);
        CheckMinutes(routing.NoCourierPenaltyMinutes, "routing.noCourierPenaltyMinutes", problems);
        if (problems.Count > 0) throw new CatalogException(problems);
        return new RestaurantCatalog(doc.Name ?? "catalog", restaurants, fleet, new RoutingSpec(
            Minutes(routing.LocalityMarginMinutes), Seconds(routing.SilentAfterSeconds), Minutes(routing.NoCourierPenaltyMinutes)));
    }

    private static FleetSpec CompileFleet(FleetDocument f, List<Restaurant> restaurants, List<string> problems)
    {
        if (f.SimulatedCouriers is < 0 or > 100_000) problems.Add($"fleet.simulatedCouriers: must be between 0 and 100000, not {f.SimulatedCouriers}");
        if (!(f.SpeedKmh > 0) || f.SpeedKmh > 200) problems.Add($"fleet.speedKmh: must be in (0, 200], not {f.SpeedKmh}");
        if (!(f.DetourFactor >= 1) || f.DetourFactor > 5) problems.Add($"fleet.detourFactor: must be in [1, 5], not {f.DetourFactor}");
        // An offer expires this long after it is made: at zero, as it is made, and no courier could ever take one.
        CheckTime(f.OfferSeconds, "fleet.offerSeconds", 1, MaxSeconds, MaxText, problems);
        // Every round schedules the next one this much later: under a clock tick that is no later at all, and
        // delivery runs rounds at one instant for ever; far under a second, catching up after a pause takes millions.
        CheckTime(f.RoundSeconds, "fleet.roundSeconds", 1, MaxSeconds, MaxText, problems);
        // A position older than this is stale: at zero the geo index refuses to start, and under a second a
        // courier reporting once a second is stale between reports.
        CheckTime(f.StaleSeconds, "fleet.staleSeconds", 1, MaxSeconds, MaxText, problems);
        CheckSeconds(f.PickupServiceSeconds, "fleet.pickupServiceSeconds", problems);
        CheckSeconds(f.DropoffServiceSeconds, "fleet.dropoffServiceSeconds", problems);
        if (f.MaxBundleSize is < 1 or > 10) problems.Add($"fleet.maxBundleSize: must be between 1 and 10, not {f.MaxBundleSize}");
        if (f.SimulatedDeclineRate is < 0 or > 1) problems.Add($"fleet.simulatedDeclineRate: must be between 0 and 1, not {f.SimulatedDeclineRate}");
        if (!(f.RadiusKm > 0) || f.RadiusKm > MaxRadiusKm) problems.Add($"fleet.radiusKm: must be more than 0 and at most {MaxRadiusKm}, not {f.RadiusKm}");
        GeoPoint centre;
        if (f.CentreLat is { } lat && f.CentreLon is { } lon)
        {
            if (!GeoPoint.IsValid(lat, lon)) problems.Add($"fleet: centre ({lat}, {lon}) is out of range");
            centre = new GeoPoint(lat, lon);
        }
        else
        {
            // One coordinate alone would be dropped without a word, and the couriers start round the outlets instead.
            if (f.CentreLat is not null || f.CentreLon is not null) problems.Add("fleet: give both centreLat and centreLon, or neither");
            var outlets = restaurants.SelectMany(r => r.Outlets).ToList();
            // Longitudes are averaged as offsets the short way from the first outlet: outlets at 179.9 and -179.9
            // are centred on the antimeridian, not on the prime meridian.
            centre = outlets.Count == 0 ? new GeoPoint(0, 0) : new GeoPoint(outlets.Average(o => o.Location.Lat),
                GeoPoint.NormalizeLon(outlets[0].Location.Lon + outlets.Average(o => GeoPoint.LonDelta(outlets[0].Location.Lon, o.Location.Lon))));
        }
        return new FleetSpec(Math.Max(0, f.SimulatedCouriers), Math.Max(0.1, f.SpeedKmh) / 3.6, Math.Max(1, f.DetourFactor),
            Seconds(f.OfferSeconds), Seconds(f.RoundSeconds), Seconds(f.PickupServiceSeconds), Seconds(f.DropoffServiceSeconds),
            Seconds(f.StaleSeconds), Math.Clamp(f.MaxBundleSize, 1, 10), Math.Clamp(f.SimulatedDeclineRate, 0, 1), centre, Math.Clamp(f.RadiusKm * 1000, 1, MaxRadiusKm * 1000));
    }

    private static List<RecipeStep> CompileSteps(List<StepDocument> steps, string path, List<PreppedComponent>? components, List<string> problems)
    {
        if (steps.Count > MaxStepsPerRecipe) problems.Add($"{path}: at most {MaxStepsPerRecipe} steps, not {steps.Count}");
        var result = new List<RecipeStep>(steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            var spath = $"{path}[{i}]";
            if (s is null) { problems.Add($"{spath}: must be an object, not null"); continue; }
            if (!IsId(s.Station)) problems.Add($"{spath}.station: '{s.Station}' is not a valid station id ({IdRule})");
            CheckSeconds(s.WorkSeconds, $"{spath}.workSeconds", problems);
            CheckSeconds(s.EquipmentSeconds, $"{spath}.equipmentSeconds", problems);
            if (s.Equipment is null && s.EquipmentSeconds > 0)
                problems.Add($"{spath}.equipmentSeconds: set, but the step names no equipment");
            if (s.Equipment is not null && !IsId(s.Equipment)) problems.Add($"{spath}.equipment: '{s.Equipment}' is not a valid id ({IdRule})");
            if (s.WorkSeconds + s.EquipmentSeconds <= 0) problems.Add($"{spath}: a step must take some time");
            if (s.Produces is not null && components is not null && components.All(c => c.Id != s.Produces))
                problems.Add($"{spath}.produces: unknown component '{s.Produces}'");
            result.Add(new RecipeStep(s.Name ?? $"step {i + 1}", s.Station ?? "", Seconds(s.WorkSeconds), s.Equipment,
                Seconds(s.EquipmentSeconds), s.Attended, s.Produces));
        }
        return result;
    }

    private static Outlet? CompileOutlet(OutletDocument o, Restaurant restaurant, string path, TimeZoneInfo defaultZone,
        HashSet<string> outletIds, List<string> problems)
    {
        if (!IsId(o.Id)) { problems.Add($"{path}.id: '{o.Id}' is not a valid id ({IdRule})"); return null; }
        if (!outletIds.Add(o.Id!)) problems.Add($"{path}.id: duplicate outlet id '{o.Id}' (outlet ids are unique across the catalog)");
        if (o.Lat is null || o.Lon is null || !GeoPoint.IsValid(o.Lat.Value, o.Lon.Value))
            problems.Add($"{path}: lat/lon missing or out of range ({o.Lat}, {o.Lon})");
        var location = new GeoPoint(o.Lat ?? 0, o.Lon ?? 0);

        var tz = o.TimeZone is null ? defaultZone : FindZone(o.TimeZone, $"{path}.timeZone", problems) ?? TimeZoneInfo.Utc;

        var hours = new List<(DayOfWeek, DailyWindow)>();
        foreach (var (h, hi) in Entries(o.Hours, $"{path}.hours", problems))
        {
            var hpath = $"{path}.hours[{hi}]";
            var window = ParseWindow(h.Open, h.Close, hpath, problems);
            if (h.Days is not { Count: > 0 }) { problems.Add($"{hpath}.days: name the days (mon..sun or daily)"); continue; }
            foreach (var d in h.Days)
            {
                var days = ParseDays(d);
                if (days is null) problems.Add($"{hpath}.days: unknown day '{d}'");
                else if (window is { } w) hours.AddRange(days.Select(day => (day, w)));
            }
        }

        var offPeak = new List<DailyWindow>();
        foreach (var (w, wi) in Entries(o.OffPeak, $"{path}.offPeak", problems))
            if (ParseWindow(w.From, w.To, $"{path}.offPeak[{wi}]", problems) is { } window) offPeak.Add(window);

        // Under a minute no kitchen's estimate fits: every order would be refused as too slow.
        CheckTime(o.MaxPromiseMinutes, $"{path}.maxPromiseMinutes", 1, MaxMinutes, MaxText, problems, minutes: true);
        // A started task is lost when its lease runs out: at zero, as it starts, and every ticket fails.
        CheckTime(o.LeaseSeconds, $"{path}.leaseSeconds", 1, MaxSeconds, MaxText, problems);
        if (o.MaxAttempts < 1) problems.Add($"{path}.maxAttempts: must be at least 1");

        GeoPoint[]? polygon = null;
        var radius = 5000.0;
        // One shape or the other: with both, the radius was ignored without a word, however wrong it was.
        if (o.Zone is { Polygon: not null, RadiusKm: not null }) problems.Add($"{path}.zone: give radiusKm or polygon, not both");
        if (o.Zone?.Polygon is { } poly)
        {
            if (poly.Count < 3 || poly.Any(v => v is not { Length: 2 } || !GeoPoint.IsValid(v[0], v[1])))
                problems.Add($"{path}.zone.polygon: needs at least 3 valid [lat, lon] vertices");
            else
            {
                polygon = poly.Select(v => new GeoPoint(v[0], v[1])).ToArray();
                // Point-in-polygon answers mean nothing for a shape that crosses itself or has no inside.
                if (DeliveryZone.ShapeProblem(location, polygon) is { } shape) problems.Add($"{path}.zone.polygon: {shape}");
            }
        }
        else if (o.Zone?.RadiusKm is { } km)
        {
            if (!(km > 0) || km > MaxRadiusKm) problems.Add($"{path}.zone.radiusKm: must be more than 0 and at most {MaxRadiusKm}, not {km}");
            else radius = km * 1000;
        }

        // Staff first: a station's default scaling policy depends on who is rostered to it.
        var staff = new List<ChefSpec>();
        var stationIds = (o.Stations ?? []).Select(s => s?.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var (c, _) in Entries(o.Staff, $"{path}.staff", problems))
        {
            var cpath = $"{path}.staff[{c.Id}]";
            if (!IsId(c.Id)) { problems.Add($"{cpath}.id: '{c.Id}' is not a valid id ({IdRule})"); continue; }
            if (staff.Any(x => x.Id == c.Id)) problems.Add($"{cpath}: duplicate chef id");
            if (c.Skills is not { Count: > 0 }) problems.Add($"{cpath}.skills: a chef needs at least one station skill");
            foreach (var skill in c.Skills ?? [])
                if (!stationIds.Contains(skill)) problems.Add($"{cpath}.skills: unknown station '{skill}'");
            if (!(c.Speed >= ChefSpec.MinSpeed) || c.Speed > ChefSpec.MaxSpeed)
                problems.Add($"{cpath}.speed: must be in [{ChefSpec.MinSpeed}, {ChefSpec.MaxSpeed}], not {c.Speed}");
            staff.Add(new ChefSpec(c.Id!, c.Name ?? c.Id!, c.Skills ?? ["?"], c.Speed, c.Standby, c.OnDuty));
        }

        var stations = new List<StationSpec>();
        foreach (var (s, _) in Entries(o.Stations, $"{path}.stations", problems))
        {
            var spath = $"{path}.stations[{s.Id}]";
            if (!IsId(s.Id)) { problems.Add($"{spath}.id: '{s.Id}' is not a valid id ({IdRule})"); continue; }
            if (stations.Any(x => x.Id == s.Id)) problems.Add($"{spath}: duplicate station id");
            var mode = s.Mode?.ToLowerInvariant() switch
            {
                null or "simulated" => StationMode.Simulated,
                "human" => StationMode.Human,
                _ => (StationMode?)null,
            };
            if (mode is null) problems.Add($"{spath}.mode: must be 'simulated' or 'human', not '{s.Mode}'");
            var rostered = staff.Where(c => c.HomeStation == s.Id).ToList();
            var primaries = rostered.Count(c => !c.Standby);
            if (!staff.Any(c => c.Skills.Contains(s.Id!))) problems.Add($"{spath}: no chef has the skill for this station");
            var min = s.Autoscale?.Min ?? Math.Max(1, primaries);
            var max = s.Autoscale?.Max ?? Math.Max(min, rostered.Count);
            if (min < 0 || max < min) problems.Add($"{spath}.autoscale: need 0 <= min <= max, not min {min}, max {max}");
            // At most no chef: the station never calls one in, yet the kitchen's estimate counts its chefs on duty,
            // so orders would be accepted with a promise and never cooked.
            else if (s.Autoscale?.Max is < 1) problems.Add($"{spath}.autoscale.max: must be at least 1, not {max}");
            var (target, targetPath) = s.Autoscale?.TargetWaitSeconds is { } t ? (t, "autoscale.targetWaitSeconds") : (s.TargetWaitSeconds, "targetWaitSeconds");
            // At zero any queued work is over target: the crew would grow to its maximum and never shrink.
            CheckTime(target, $"{spath}.{targetPath}", 1, MaxSeconds, MaxText, problems);
            if (s.MaxQueuedTasks < 1) problems.Add($"{spath}.maxQueuedTasks: must be at least 1");
            var cooldown = s.Autoscale?.CooldownSeconds ?? 300;
            CheckTime(cooldown, $"{spath}.autoscale.cooldownSeconds", 0, MaxSeconds, MaxText, problems);
            stations.Add(new StationSpec(s.Id!, s.Name ?? s.Id!, mode ?? StationMode.Simulated, Seconds(target),
                s.MaxQueuedTasks, min, max, Seconds(cooldown)));
        }
        if (stations.Count == 0) problems.Add($"{path}.stations: an outlet needs at least one station");

        var equipment = new List<EquipmentSpec>();
        foreach (var (e, _) in Entries(o.Equipment, $"{path}.equipment", problems))
        {
            var epath = $"{path}.equipment[{e.Id}]";
            if (!IsId(e.Id)) { problems.Add($"{epath}.id: '{e.Id}' is not a valid id ({IdRule})"); continue; }
            if (equipment.Any(x => x.Id == e.Id)) problems.Add($"{epath}: duplicate equipment id");
            if (e.Count is < 1 or > 1000) problems.Add($"{epath}.count: must be between 1 and 1000, not {e.Count}");
            if (e.Capacity is < 1 or > 1000) problems.Add($"{epath}.capacity: must be between 1 and 1000, not {e.Capacity}");
            equipment.Add(new EquipmentSpec(e.Id!, e.Type ?? e.Id!, e.Count, e.Capacity));
        }

        var stock = new List<StockSpec>();
        foreach (var (st, _) in Entries(o.Stock, $"{path}.stock", problems))
        {
            var spath = $"{path}.stock[{st.Component}]";
            if (st.Component is null || restaurant.FindComponent(st.Component) is null)
                problems.Add($"{spath}.component: unknown component '{st.Component}'");
            if (st.Component is not null && stock.Any(x => x.Component == st.Component)) problems.Add($"{spath}: the component is stocked twice");
            if (st.Par is < 0 or > MaxStock) problems.Add($"{spath}.par: must be between 0 and {MaxStock}, not {st.Par}");
            if (st.Initial is < 0 or > MaxStock) problems.Add($"{spath}.initial: must be between 0 and {MaxStock}, not {st.Initial}");
            stock.Add(new StockSpec(st.Component ?? "", st.Par, st.Initial));
        }

        // Every recipe this outlet may cook must find its stations and equipment here.
        void CheckRecipe(IEnumerable<RecipeStep> steps, string what)
        {
            foreach (var step in steps)
            {
                if (stations.All(s => s.Id != step.Station))
                    problems.Add($"{path}: {what} step '{step.Name}' needs station '{step.Station}', which this outlet lacks");
                if (step.Equipment is not null && equipment.All(e => e.Id != step.Equipment))
                    problems.Add($"{path}: {what} step '{step.Name}' needs equipment '{step.Equipment}', which this outlet lacks");
            }
        }
        foreach (var item in restaurant.Menu) CheckRecipe(item.Steps, $"menu item '{item.Id}'");
        foreach (var c in restaurant.Components) CheckRecipe(c.Prep, $"component '{c.Id}'");

        return new Outlet(o.Id!, o.Name ?? o.Id!, restaurant, location, tz, new OpeningHours(hours),
            Minutes(o.MaxPromiseMinutes), Seconds(o.LeaseSeconds), Math.Max(1, o.MaxAttempts),
            new DeliveryZone(location, radius, polygon), stations, equipment, staff, stock, offPeak);
    }

    private static DailyWindow? ParseWindow(string? from, string? to, string path, List<string> problems)
    {
        if (!TryTime(from, out var f)) { problems.Add($"{path}: '{from}' is not a time (HH:mm)"); return null; }
        if (!TryTime(to, out var t)) { problems.Add($"{path}: '{to}' is not a time (HH:mm)"); return null; }
        // An empty window would mean "never", silently: say so (all day is 00:00 to 24:00).
        if (f == t) { problems.Add($"{path}: starts and ends at the same time ({from}); for all day write 00:00 to 24:00"); return null; }
        return new DailyWindow(f, t);
    }

    private static bool TryTime(string? s, out TimeOnly t)
    {
        if (s == "24:00") { t = TimeOnly.MaxValue; return true; }
        return TimeOnly.TryParseExact(s, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out t);
    }

    private static DayOfWeek[]? ParseDays(string? d) => d?.ToLowerInvariant() switch
    {
        "daily" => Enum.GetValues<DayOfWeek>(),
        "weekdays" => [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday],
        "weekends" => [DayOfWeek.Saturday, DayOfWeek.Sunday],
        "mon" => [DayOfWeek.Monday],
        "tue" => [DayOfWeek.Tuesday],
        "wed" => [DayOfWeek.Wednesday],
        "thu" => [DayOfWeek.Thursday],
        "fri" => [DayOfWeek.Friday],
        "sat" => [DayOfWeek.Saturday],
        "sun" => [DayOfWeek.Sunday],
        _ => null,
    };

    /// <summary>A list's entries with their indexes; a JSON null where an object belongs is a problem, not a crash.</summary>
    private static IEnumerable<(T Item, int Index)> Entries<T>(List<T>? list, string path, List<string> problems) where T : class
    {
        if (list is null) yield break;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is { } item) yield return (item, i);
            else problems.Add($"{path}[{i}]: must be an object, not null");
        }
    }

    /// <summary>A step's or a handover's time, in seconds: zero (none) up to <see cref="MaxStepTime"/>.</summary>
    private static void CheckSeconds(double s, string path, List<string> problems) =>
        CheckTime(s, path, 0, MaxStepTime.TotalSeconds, $"{MaxStepTime.TotalHours} hours", problems);

    /// <summary>A margin or a penalty, in minutes: zero (none) or more.</summary>
    private static void CheckMinutes(double m, string path, List<string> problems) =>
        CheckTime(m, path, 0, MaxMinutes, MaxText, problems, minutes: true);

    /// <summary>
    /// A time in seconds (or minutes): finite, at least <paramref name="min"/> and at most <paramref name="max"/>.
    /// The clock counts in ticks of 100 ns, so a positive time under one is zero once read: where zero works
    /// (min 0) it is refused as a slip, not quietly turned into none; where it does not, min says what does.
    /// </summary>
    private static void CheckTime(double value, string path, double min, double max, string maxText, List<string> problems, bool minutes = false)
    {
        var unit = minutes ? "minutes" : "seconds";
        if (min > 0 && !(value >= min)) problems.Add($"{path}: must be at least {min}, not {value}");
        else if (!double.IsFinite(value) || value < 0) problems.Add($"{path}: must be zero or more {unit}, not {value}");
        else if (value > max) problems.Add($"{path}: {value} {unit} is longer than {maxText}");
        else if (value > 0 && (minutes ? Minutes(value) : Seconds(value)) == TimeSpan.Zero)
            problems.Add($"{path}: {value} {unit} is shorter than the clock counts (100 ns): write 0, or longer");
    }

    // Clamped only so that building the catalog cannot throw before its problems are reported: every time was checked.
    private static TimeSpan Seconds(double s) => double.IsFinite(s) && s >= 0 ? TimeSpan.FromSeconds(Math.Min(s, MaxSeconds)) : TimeSpan.Zero;

    private static TimeSpan Minutes(double m) => double.IsFinite(m) && m >= 0 ? TimeSpan.FromMinutes(Math.Min(m, MaxMinutes)) : TimeSpan.Zero;

    private static TimeZoneInfo? FindZone(string name, string path, List<string> problems)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(name); }
        catch (TimeZoneNotFoundException) { problems.Add($"{path}: unknown time zone '{name}'"); }
        catch (InvalidTimeZoneException) { problems.Add($"{path}: invalid time zone '{name}'"); }
        return null;
    }

    /// <summary>Ids are stable, URL-safe slugs: <see cref="IdRule"/>.</summary>
    public static bool IsId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64) return false;
        foreach (var ch in id)
            if (!(ch is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_')) return false;
        return true;
    }
}
