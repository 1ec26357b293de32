namespace Brigade.Hosting;

/// <summary>Server settings. From the command line, environment (Brigade__DataDir, …) or appsettings (section "Brigade").</summary>
public sealed class BrigadeOptions
{
    public const string Section = "Brigade";
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>Where data is kept; created if missing.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Catalog file; null for the built-in demo catalog.</summary>
    public string? Catalog { get; set; }

    /// <summary>The kitchen clock runs this many times faster than real time; unset: 1, or <see cref="DemoTimeScale"/> in demo mode.</summary>
    public double? TimeScale { get; set; }

    /// <summary>Demo mode: synthetic customers place orders (see <see cref="DemoOptions"/>); simulated couriers come from the catalog's fleet.</summary>
    public bool Demo { get; set; }

    /// <summary>The time scale of demo mode when none is given: lively enough to see orders delivered within a minute.</summary>
    public const double DemoTimeScale = 60;

    public DemoOptions DemoTraffic { get; set; } = new();

    /// <summary>The time scale in force.</summary>
    public double EffectiveTimeScale => TimeScale ?? (Demo ? DemoTimeScale : 1);

    /// <summary>The event log: <c>sqlite</c> (embedded, in <see cref="DataDir"/>) or <c>postgres</c> (<see cref="Postgres"/>).</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>PostgreSQL connection string, when <see cref="Store"/> is <c>postgres</c>.</summary>
    public string? Postgres { get; set; }

    /// <summary>An amqp:// URI: when set, every event is relayed to RabbitMQ (exchange <c>brigade.events</c>).</summary>
    public string? RabbitMq { get; set; }

    public bool UsesPostgres => string.Equals(Store, "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Problems with the store settings, or null.</summary>
    public string? Validate()
    {
        if (!UsesPostgres && !string.Equals(Store, "sqlite", StringComparison.OrdinalIgnoreCase))
            return $"Brigade:Store must be 'sqlite' or 'postgres', not '{Store}'";
        if (UsesPostgres && string.IsNullOrWhiteSpace(Postgres))
            return "the postgres store needs a connection string: --postgres \"Host=...;Username=...;Database=...\" (or Brigade:Postgres)";
        if (TimeScale is { } t && !(t > 0 && !double.IsInfinity(t))) return $"Brigade:TimeScale must be a positive number, not {t}";
        if (Demo && DemoTraffic.Validate() is { } demo) return demo;
        if (!string.IsNullOrWhiteSpace(RabbitMq) && !(Uri.TryCreate(RabbitMq, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps"))
            return $"Brigade:RabbitMq must be an amqp:// or amqps:// URI, not '{RabbitMq}'";
        return null;
    }
}

/// <summary>Demo traffic: how many synthetic customers order, and what. Times are kitchen-clock times.</summary>
public sealed class DemoOptions
{
    /// <summary>Orders placed per hour of kitchen time (a Poisson process).</summary>
    public double OrdersPerHour { get; set; } = 30;

    /// <summary>The share of orders picked up at the counter rather than delivered.</summary>
    public double PickupShare { get; set; } = 0.2;

    /// <summary>How long after an order is ready its customer comes to collect it.</summary>
    public double CollectAfterSeconds { get; set; } = 90;

    /// <summary>Seed of the random choices (restaurants, items, addresses, arrivals): the same seed, the same customers.</summary>
    public int Seed { get; set; } = 1;

    public string? Validate()
    {
        if (!(OrdersPerHour > 0 && OrdersPerHour <= 100_000)) return $"Brigade:DemoTraffic:OrdersPerHour must be between 0 and 100000, not {OrdersPerHour}";
        if (!(PickupShare is >= 0 and <= 1)) return $"Brigade:DemoTraffic:PickupShare must be between 0 and 1, not {PickupShare}";
        if (!(CollectAfterSeconds is >= 0 and <= 86_400)) return $"Brigade:DemoTraffic:CollectAfterSeconds must be between 0 and 86400, not {CollectAfterSeconds}";
        return null;
    }
}

/// <summary>The store settings cannot work (an unknown store, a missing connection string).</summary>
public sealed class StoreSettingsException(string message) : InvalidOperationException(message);
