using System.Globalization;
using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Hosting;
using Brigade.Http;
using Brigade.Orders;

namespace Brigade.Operations;

/// <summary>
/// Demo mode's synthetic customers (<c>serve --demo</c>). They arrive as a Poisson process in
/// kitchen time, pick a restaurant, an outlet and one to three menu items, and either have it
/// delivered to a point inside that outlet's delivery zone (the router chooses the outlet) or pick
/// it up there, coming to the counter a little after it is ready. Orders go through the engine
/// like any other; the catalog's simulated couriers deliver them. Every choice comes from one
/// seeded <see cref="Random"/>, so a seed gives the same customers; what the kitchens and couriers
/// then do depends on timing, as it does for real customers.
/// </summary>
public sealed partial class DemoTraffic : BackgroundService
{
    /// <summary>At most this many pickup orders are waiting to be collected; older ones are left to the staff.</summary>
    public const int MaxPendingPickups = 500;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private const int MaxOrdersPerTick = 20;

    private readonly EngineHost _engine;
    private readonly RestaurantCatalog _catalog;
    private readonly DemoOptions _options;
    private readonly double _timeScale;
    private readonly ILogger<DemoTraffic> _log;
    private readonly DemoCustomers _customers;
    private readonly Queue<string> _pickups = new();
    private readonly string _run = Ids.NewOrderId();
    private long _sequence;

    public DemoTraffic(EngineHost engine, RestaurantCatalog catalog, BrigadeOptions options, ILogger<DemoTraffic> log)
    {
        _engine = engine;
        _catalog = catalog;
        _options = options.DemoTraffic;
        _timeScale = options.EffectiveTimeScale;
        _log = log;
        _customers = new DemoCustomers(catalog, _options);
    }

    /// <summary>The clock of the rounds' timer: real time, or a test's that says when a round is due.</summary>
    internal TimeProvider Timers { get; init; } = TimeProvider.System;

    /// <summary>Called as each round starts, inside its error handling: where a test makes a round fail.</summary>
    internal Action? RoundStarting { get; init; }

    /// <summary>Orders placed, and orders the kitchens or the router refused, since start.</summary>
    public long Placed { get; private set; }
    public long Refused { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_customers.CanOrder) return;
        LogStarted(_options.OrdersPerHour, _timeScale, _catalog.Fleet.SimulatedCouriers);
        var next = _engine.Clock.GetUtcNow() + _customers.NextGap();
        using var timer = new PeriodicTimer(Tick, Timers);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!_engine.IsRunning) continue;
                var now = _engine.Clock.GetUtcNow();
                try
                {
                    RoundStarting?.Invoke();
                    for (var n = 0; next <= now; n++)
                    {
                        // Far behind (the process was paused): start afresh rather than place a burst.
                        if (n == MaxOrdersPerTick) { next = now + _customers.NextGap(); break; }
                        next += _customers.NextGap();
                        await PlaceAsync(_customers.Next());
                    }
                    if (_pickups.Count > 0) await CollectAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // A failing tick must not end the service: an unhandled exception here stops the host.
                    // A cancellation ends it only when the service is stopping; one from within a tick
                    // would otherwise reach the catch below and end the demo's customers without a word.
                    LogTickFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PlaceAsync(DemoOrder customer)
    {
        var order = customer.Order;
        var key = $"demo-{_run}-{++_sequence}";
        var result = await _engine.SendAsync((e, now, output) => e.PlaceOrder(
            new PlaceOrder(Ids.NewOrderId(), order.RestaurantId, order.OutletId, order.Lines, order.DeliverTo, DemoCustomers.CustomerId, key, order.Hash(), customer.HandoffCode),
            now, output));
        if (!result.IsOk)
        {
            Refused++;
            LogRefused(result.Message ?? "no reason given");
            return;
        }
        Placed++;
        if (order.DeliverTo is null)
        {
            _pickups.Enqueue(result.Order!.Id);
            while (_pickups.Count > MaxPendingPickups) _pickups.Dequeue();
        }
    }

    /// <summary>Pickup customers come to the counter a little after their order is ready.</summary>
    private async Task CollectAsync()
    {
        var pending = _pickups.ToArray();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var wait = TimeSpan.FromSeconds(_options.CollectAfterSeconds);
        var result = await _engine.SendAsync((e, now, output) =>
        {
            foreach (var id in pending)
            {
                if (!e.Orders.TryGetValue(id, out var order) || order.IsTerminal) done.Add(id);
                else if (order.Status == OrderStatus.Ready && order.Timeline.ReadyAt is { } ready && now - ready >= wait && e.CollectOrder(id, now, output).IsOk)
                    done.Add(id);
            }
            return EngineResult.Ok();
        });
        if (!result.IsOk || done.Count == 0) return;
        var keep = _pickups.Where(id => !done.Contains(id)).ToList();
        _pickups.Clear();
        foreach (var id in keep) _pickups.Enqueue(id);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo mode: synthetic customers place about {OrdersPerHour} orders an hour of kitchen time; the clock runs {TimeScale} times real time; {Couriers} simulated couriers")]
    private partial void LogStarted(double ordersPerHour, double timeScale, int couriers);

    [LoggerMessage(Level = LogLevel.Error, Message = "Demo traffic tick failed")]
    private partial void LogTickFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Demo order not placed: {Reason}")]
    private partial void LogRefused(string reason);
}

/// <summary>One synthetic customer's order, and the code they will give the courier (delivery only).</summary>
public sealed record DemoOrder(ValidOrder Order, string? HandoffCode);

/// <summary>
/// The synthetic customers' choices, from one seeded <see cref="Random"/>: when the next one comes
/// (exponential gaps, in kitchen time), which restaurant, outlet and items, pickup or delivery, and
/// where to (a point inside the chosen outlet's delivery zone; the router then picks the outlet).
/// </summary>
public sealed class DemoCustomers
{
    public const string CustomerId = "demo-customer";
    private readonly Random _random;
    private readonly DemoOptions _options;
    private readonly List<Restaurant> _restaurants;

    public DemoCustomers(RestaurantCatalog catalog, DemoOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _restaurants = catalog.Restaurants.Where(r => r.Outlets.Count > 0 && r.Menu.Count > 0).ToList();
    }

    public bool CanOrder => _restaurants.Count > 0;

    /// <summary>The kitchen time to the next customer: exponential, with the configured mean rate.</summary>
    public TimeSpan NextGap() => TimeSpan.FromHours(-Math.Log(1 - _random.NextDouble()) / _options.OrdersPerHour);

    public DemoOrder Next()
    {
        var restaurant = _restaurants[_random.Next(_restaurants.Count)];
        var outlet = restaurant.Outlets[_random.Next(restaurant.Outlets.Count)];
        var pickup = _random.NextDouble() < _options.PickupShare;
        var lines = new List<OrderLine>();
        var kinds = Math.Min(restaurant.Menu.Count, _random.NextDouble() < 0.7 ? 1 : _random.Next(2, 4));
        foreach (var item in restaurant.Menu.OrderBy(_ => _random.Next()).Take(kinds))
            lines.Add(new OrderLine(item.Id, _random.NextDouble() < 0.8 ? 1 : 2));
        if (pickup) return new DemoOrder(new ValidOrder(restaurant.Id, outlet.Id, lines, null), null);
        // Delivery orders leave the outlet to the router; pickup customers choose where to collect.
        var to = PointIn(outlet);
        return new DemoOrder(new ValidOrder(restaurant.Id, null, lines, to), _random.Next(10_000).ToString("0000", CultureInfo.InvariantCulture));
    }

    /// <summary>A point inside the outlet's delivery zone, not too close to the outlet (a courier should have a ride).</summary>
    private GeoPoint PointIn(Outlet outlet)
    {
        var zone = outlet.Zone;
        var metresPerDegreeLon = 111_320 * Math.Cos(outlet.Location.Lat * Math.PI / 180);
        // Longitudes are taken the short way from the outlet and brought back within ±180, so an outlet
        // on the 180th meridian gets customers on both sides of it.
        var radius = zone.Polygon is null ? zone.RadiusMetres : zone.Polygon.Max(p => Math.Max(Math.Abs(p.Lat - outlet.Location.Lat) * 110_574, Math.Abs(GeoPoint.LonDelta(outlet.Location.Lon, p.Lon)) * metresPerDegreeLon));
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var r = radius * (0.15 + 0.75 * Math.Sqrt(_random.NextDouble()));
            var angle = _random.NextDouble() * 2 * Math.PI;
            var p = new GeoPoint(
                Math.Round(outlet.Location.Lat + r * Math.Sin(angle) / 110_574, 5),
                Math.Round(GeoPoint.NormalizeLon(outlet.Location.Lon + r * Math.Cos(angle) / metresPerDegreeLon), 5));
            if (zone.Contains(p)) return p;
        }
        return outlet.Location;
    }
}
