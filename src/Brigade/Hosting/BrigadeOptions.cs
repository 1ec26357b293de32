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

    /// <summary>The kitchen clock runs this many times faster than real time.</summary>
    public double TimeScale { get; set; } = 1;

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
        if (!string.IsNullOrWhiteSpace(RabbitMq) && !(Uri.TryCreate(RabbitMq, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps"))
            return $"Brigade:RabbitMq must be an amqp:// or amqps:// URI, not '{RabbitMq}'";
        return null;
    }
}

/// <summary>The store settings cannot work (an unknown store, a missing connection string).</summary>
public sealed class StoreSettingsException(string message) : InvalidOperationException(message);
