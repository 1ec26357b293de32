using System.Globalization;
using Brigade.Catalog;

namespace Brigade.Simulation;

/// <summary>
/// A synthetic city for the scale scenario <c>city-day</c>: chains of outlets spread over a
/// 16 km square, each a small kitchen, a day's demand with lunch and dinner peaks, and courier
/// shifts. Its menus are data like any catalog's; this only writes them.
/// </summary>
public static class SyntheticCity
{
    public const string CatalogReference = "synthetic:city";
    private const double CentreLat = 52.52, CentreLon = 13.405;

    private sealed record Chain(string Id, string Name, string Station, string Equipment, int Units, int Capacity, (string Id, double Work, double Equip)[] Items);

    private static readonly Chain[] Chains =
    [
        new("slice", "Slice", "pizza", "oven", 1, 6, [("margherita", 120, 420), ("diavola", 150, 420), ("calzone", 180, 480)]),
        new("brew", "Brew", "espresso", "espresso-machine", 2, 2, [("espresso", 30, 25), ("flat-white", 45, 40), ("mocha", 60, 40)]),
        new("patty", "Patty", "grill", "griddle", 1, 8, [("burger", 90, 300), ("veggie-burger", 90, 240), ("fries", 20, 180)]),
        new("wok", "Wok", "wok", "burner", 3, 1, [("pad-thai", 120, 240), ("fried-rice", 90, 180), ("ramen", 150, 300)]),
        new("leaf", "Leaf", "salad", "blender", 1, 1, [("caesar", 180, 0), ("poke", 240, 0), ("smoothie", 30, 60)]),
    ];

    /// <param name="outlets">Outlets in the city, shared out over five chains.</param>
    public static CatalogDocument Catalog(int outlets = 250)
    {
        var rng = new Random(250);
        var restaurants = new List<RestaurantDocument>();
        var perChain = (outlets + Chains.Length - 1) / Chains.Length;
        var made = 0;
        foreach (var chain in Chains)
        {
            var list = new List<OutletDocument>();
            for (var i = 0; i < perChain && made < outlets; i++, made++)
            {
                // Outlets on a jittered grid over ±8 km around the centre.
                var lat = CentreLat + (rng.NextDouble() - 0.5) * 16_000 / 111_320;
                var lon = CentreLon + (rng.NextDouble() - 0.5) * 16_000 / (111_320 * Math.Cos(CentreLat * Math.PI / 180));
                list.Add(new OutletDocument
                {
                    Id = $"{chain.Id}-{i + 1:D3}",
                    Name = $"{chain.Name} {i + 1}",
                    Lat = Math.Round(lat, 5),
                    Lon = Math.Round(lon, 5),
                    MaxPromiseMinutes = 60,
                    Zone = new ZoneDocument { RadiusKm = 3 },
                    Stations = [new StationDocument { Id = chain.Station, TargetWaitSeconds = 300 }],
                    Equipment = chain.Items.Any(x => x.Equip > 0) ? [new EquipmentDocument { Id = chain.Equipment, Type = chain.Equipment, Count = chain.Units, Capacity = chain.Capacity }] : [],
                    Staff = [
                        new ChefDocument { Id = "a", Name = "A", Skills = [chain.Station] },
                        new ChefDocument { Id = "b", Name = "B", Skills = [chain.Station], Speed = 0.9 },
                    ],
                });
            }
            restaurants.Add(new RestaurantDocument
            {
                Id = chain.Id,
                Name = chain.Name,
                Cuisine = chain.Station,
                Menu = chain.Items.Select(x => new MenuItemDocument
                {
                    Id = x.Id,
                    Name = x.Id,
                    PriceCents = 900,
                    Steps = x.Equip > 0
                        ? [new StepDocument { Name = "prepare", Station = chain.Station, WorkSeconds = x.Work, Equipment = chain.Equipment, EquipmentSeconds = x.Equip }]
                        : [new StepDocument { Name = "prepare", Station = chain.Station, WorkSeconds = x.Work }],
                }).ToList(),
                Outlets = list,
            });
        }
        return new CatalogDocument
        {
            Name = "Synthetic city",
            TimeZone = "Europe/Berlin",
            Restaurants = restaurants,
            Fleet = new FleetDocument { SpeedKmh = 18, RoundSeconds = 30, CentreLat = CentreLat, CentreLon = CentreLon, RadiusKm = 8, MaxBundleSize = 2 },
        };
    }

    /// <summary>A day of <paramref name="orders"/> orders (expected) with lunch and dinner peaks, and <paramref name="couriers"/> couriers over three shifts.</summary>
    public static ScenarioDocument Scenario(int orders = 3000, int couriers = 400)
    {
        // Relative demand at hours of the day; scaled so that the day's integral is the order count.
        (double Hour, double Shape)[] shape = [(10, 0), (12.5, 10), (14, 4), (17, 5), (19.5, 14), (22, 2), (23, 0)];
        double integral = 0;
        for (var i = 1; i < shape.Length; i++) integral += (shape[i].Hour - shape[i - 1].Hour) * (shape[i].Shape + shape[i - 1].Shape) / 2;
        var scale = orders / integral;
        var third = couriers / 3;
        return new ScenarioDocument
        {
            Name = "city-day",
            Description = $"A synthetic city: 250 outlets of five chains, about {orders} orders over a day with lunch and dinner peaks, {couriers} couriers in three shifts.",
            Catalog = CatalogReference,
            Date = "2026-11-20",
            From = "10:00",
            To = "23:00",
            DrainHours = 2,
            Seed = 2026,
            Demand = new DemandDocument
            {
                Curve = shape.Select(p => new RatePointDocument { At = TimeSpan.FromHours(p.Hour).ToString(@"hh\:mm", CultureInfo.InvariantCulture), OrdersPerHour = Math.Round(p.Shape * scale, 3) }).ToList(),
                DeliveryShare = 0.8,
                MinItems = 1,
                MaxItems = 3,
            },
            Couriers =
            [
                new ShiftDocument { Count = third, From = "10:00", To = "16:30" },
                new ShiftDocument { Count = third, From = "11:30", To = "20:00" },
                new ShiftDocument { Count = couriers - 2 * third, From = "16:00", To = "25:00" },
            ],
            Incidents =
            [
                new IncidentDocument { Kind = "powerOut", Outlet = "slice-007", At = "18:30", Until = "20:00" },
                new IncidentDocument { Kind = "chefSick", Outlet = "patty-003", Chef = "a", At = "12:10", Until = "15:00" },
            ],
            Variants = new Dictionary<string, VariantDocument>(StringComparer.Ordinal)
            {
                ["fewer-couriers"] = new() { Description = "a third fewer couriers", ExtraCouriers = -third / 3 },
            },
        };
    }
}
