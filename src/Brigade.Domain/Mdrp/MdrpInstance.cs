using Brigade.Dispatch;

namespace Brigade.Mdrp;

/// <summary>Instance-wide constants (instance_parameters.txt). Times in minutes, money in dollars.</summary>
public sealed record MdrpParameters(
    double MetersPerMinute,
    double PickupServiceMinutes,
    double DropoffServiceMinutes,
    double TargetClickToDoor,
    double MaxClickToDoor,
    double PayPerOrder,
    double GuaranteedPayPerHour);

public readonly record struct MdrpRestaurant(string Id, double X, double Y)
{
    public Position Position => new(X, Y);
}

/// <summary>An order; <see cref="X"/>, <see cref="Y"/> is the drop-off point.</summary>
public readonly record struct MdrpOrder(string Id, double X, double Y, double PlacementTime, int Restaurant, double ReadyTime)
{
    public Position Dropoff => new(X, Y);
}

/// <summary>A courier shift: at (X, Y) from <see cref="OnTime"/>, may not collect after <see cref="OffTime"/>.</summary>
public readonly record struct MdrpCourier(string Id, double X, double Y, double OnTime, double OffTime)
{
    public Position Start => new(X, Y);

    public double ShiftHours => (OffTime - OnTime) / 60.0;
}

/// <summary>A Meal Delivery Routing Problem instance (Reyes et al., Grubhub).</summary>
public sealed class MdrpInstance
{
    public MdrpInstance(
        string name,
        MdrpParameters parameters,
        IReadOnlyList<MdrpRestaurant> restaurants,
        IReadOnlyList<MdrpOrder> orders,
        IReadOnlyList<MdrpCourier> couriers)
    {
        Name = name;
        Parameters = parameters;
        Restaurants = restaurants;
        Orders = orders;
        Couriers = couriers;
        OrderIndex = Index(orders.Select(o => o.Id), "order");
        CourierIndex = Index(couriers.Select(c => c.Id), "courier");
        RestaurantIndex = Index(restaurants.Select(r => r.Id), "restaurant");
        Travel = new MdrpTravel(parameters.MetersPerMinute);
    }

    public string Name { get; }

    public MdrpParameters Parameters { get; }

    public IReadOnlyList<MdrpRestaurant> Restaurants { get; }

    public IReadOnlyList<MdrpOrder> Orders { get; }

    public IReadOnlyList<MdrpCourier> Couriers { get; }

    public IReadOnlyDictionary<string, int> OrderIndex { get; }

    public IReadOnlyDictionary<string, int> CourierIndex { get; }

    public IReadOnlyDictionary<string, int> RestaurantIndex { get; }

    public MdrpTravel Travel { get; }

    /// <summary>The instance with some orders left out (for what-if tests).</summary>
    public MdrpInstance WithOrders(IEnumerable<MdrpOrder> orders) =>
        new(Name, Parameters, Restaurants, orders.ToList(), Couriers);

    /// <summary>Floor click-to-door of an order: collected the moment it is ready and driven
    /// straight to the customer.</summary>
    public double FloorClickToDoor(int order)
    {
        var o = Orders[order];
        var r = Restaurants[o.Restaurant];
        return o.ReadyTime - o.PlacementTime + (Parameters.PickupServiceMinutes / 2)
            + Travel.Minutes(r.Position, o.Dropoff) + (Parameters.DropoffServiceMinutes / 2);
    }

    private static Dictionary<string, int> Index(IEnumerable<string> ids, string kind)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var i = 0;
        foreach (var id in ids)
        {
            if (id == "0" || !map.TryAdd(id, i))
            {
                throw new FormatException($"Duplicate or reserved {kind} id '{id}'.");
            }

            i++;
        }

        return map;
    }
}

/// <summary>
/// The MDRP travel rule: from a to b takes <c>ceil(euclidean(a, b) / meters_per_minute)</c>
/// whole minutes. As an <see cref="ITravelTime"/> it answers in seconds (minutes × 60).
/// </summary>
public sealed class MdrpTravel(double metersPerMinute) : ITravelTime
{
    public double MetersPerMinute { get; } = metersPerMinute > 0
        ? metersPerMinute
        : throw new ArgumentOutOfRangeException(nameof(metersPerMinute));

    public double Minutes(Position from, Position to) => Math.Ceiling(Position.Distance(from, to) / MetersPerMinute);

    public double Seconds(Position from, Position to) => Minutes(from, to) * 60;
}
