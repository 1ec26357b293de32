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

    /// <summary>The fastest kitchen clock: a real day is 274 years of kitchen time.</summary>
    public const double MaxTimeScale = 100_000;

    public DemoOptions DemoTraffic { get; set; } = new();

    /// <summary>The time scale in force.</summary>
    public double EffectiveTimeScale => TimeScale ?? (Demo ? DemoTimeScale : 1);

    /// <summary>The event log: <c>sqlite</c> (embedded, in <see cref="DataDir"/>) or <c>postgres</c> (<see cref="Postgres"/>).</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>PostgreSQL connection string, when <see cref="Store"/> is <c>postgres</c>.</summary>
    public string? Postgres { get; set; }

    /// <summary>An amqp:// URI: when set, every event is relayed to RabbitMQ (exchange <c>brigade.events</c>).</summary>
    public string? RabbitMq { get; set; }

    /// <summary>Tokens: signing key, clock skew, guest tokens.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Rate limits, body sizes, timeouts.</summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>Payment authorisation before acceptance, and provider webhooks.</summary>
    public PaymentOptions Payments { get; set; } = new();

    /// <summary>Optional OTLP export of the metrics.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>Alert rules and where alerts are delivered.</summary>
    public AlertOptions Alerts { get; set; } = new();

    /// <summary>
    /// Outlets whose own device sends heartbeats (<c>POST /api/outlets/{id}/heartbeat</c>): one that
    /// sends none for the catalog's <c>silentAfterSeconds</c>, counted from start-up or its last
    /// heartbeat, goes silent and its waiting orders move. Other outlets' heartbeats are simulated.
    /// </summary>
    public List<string> DeviceHeartbeatOutlets { get; set; } = [];

    /// <summary>
    /// The settings in <paramref name="configuration"/>'s "Brigade" section. A key no setting reads (a
    /// misspelt one) and a value of the wrong type (a word where a number belongs) are named.
    /// </summary>
    public static BrigadeOptions Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (UnknownSettings.Find(section, typeof(BrigadeOptions)) is { Count: > 0 } unknown) throw new SettingsException(string.Join("; ", unknown));
        try
        {
            return section.Get<BrigadeOptions>() ?? new BrigadeOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new SettingsException(e.Message);
        }
    }

    /// <summary>The first of the <c>;</c>-separated listen addresses that is not one Kestrel can bind, or null.</summary>
    public static string? ValidateUrls(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Microsoft.AspNetCore.Http.BindingAddress address;
            try { address = Microsoft.AspNetCore.Http.BindingAddress.Parse(url); }
            catch (FormatException) { return $"urls: '{url}' is not an address to listen on, such as {DefaultUrls}"; }
            if (address.Port is < 0 or > 65535) return $"urls: '{url}' has port {address.Port}; ports go from 0 to 65535";
            // Kestrel refuses these only once it starts, with a stack trace.
            if (!address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
                return $"urls: '{url}' is not an http:// or https:// address";
            if (!string.IsNullOrEmpty(address.PathBase)) return $"urls: '{url}' has a path ('{address.PathBase}'); give only scheme, host and port";
            // Kestrel takes a host that is not an IP address for a name and listens on every
            // interface, so a mistyped loopback address would open the server to the network.
            if (address.Host.All(c => char.IsAsciiDigit(c) || c == '.') && !IsDottedQuad(address.Host))
                return $"urls: '{url}' has host '{address.Host}', which is not an IP address (Kestrel would listen on every interface)";
        }
        return null;
    }

    /// <summary>Four numbers of 0 to 255 joined by dots: the one form of IPv4 address Kestrel reads as one.</summary>
    private static bool IsDottedQuad(string host)
    {
        var parts = host.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>The first entry of the <c>;</c>-separated http_ports and https_ports that is not a port, or null.</summary>
    public static string? ValidatePorts(string? httpPorts, string? httpsPorts)
    {
        foreach (var (name, value) in new[] { ("http_ports", httpPorts), ("https_ports", httpsPorts) })
            foreach (var port in (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p > 65535)
                    return $"{name}: '{port}' is not a port; ports go from 0 to 65535";
        return null;
    }

    /// <summary>Why a connection string cannot be read, without repeating it (it may hold a password); null if it can.</summary>
    private static string? PostgresConnectionProblem(string connectionString)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (ArgumentException e)
        {
            // Npgsql names an unknown keyword ("Couldn't set colour"); a malformed string gets a position.
            return (e.InnerException, e.ParamName) switch
            {
                (KeyNotFoundException, { } keyword) => $"unknown keyword '{keyword}'",
                (not null, { } keyword) => $"the value of '{keyword}' cannot be used",
                _ => e.Message.TrimEnd('.'),
            };
        }
    }

    public bool UsesPostgres => string.Equals(Store, "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first setting that cannot work, or null.</summary>
    public string? Validate()
    {
        // An empty value (an unset variable in a script, --data-dir "") would reach the file system as a path.
        if (string.IsNullOrWhiteSpace(DataDir)) return $"Brigade:DataDir must name a directory (default ./data), not '{DataDir}'";
        if (!UsesPostgres && !string.Equals(Store, "sqlite", StringComparison.OrdinalIgnoreCase))
            return $"Brigade:Store must be 'sqlite' or 'postgres', not '{Store}'";
        if (UsesPostgres && string.IsNullOrWhiteSpace(Postgres))
            return "the postgres store needs a connection string: --postgres \"Host=...;Username=...;Database=...\" (or Brigade:Postgres)";
        if (UsesPostgres && PostgresConnectionProblem(Postgres!) is { } connection)
            return $"Brigade:Postgres is not a PostgreSQL connection string ({connection}); expected \"Host=...;Username=...;Database=...\"";
        // Faster than MaxTimeScale, the kitchen clock leaves the calendar (year 9999) within weeks of running, or at once.
        if (TimeScale is { } t && !(t > 0 && t <= MaxTimeScale)) return $"Brigade:TimeScale must be a positive number, at most {MaxTimeScale}, not {t}";
        if (Demo && DemoTraffic.Validate() is { } demo) return demo;
        if (Limits.Validate() is { } limits) return limits;
        if (!(Payments.TimeoutMinutes is > 0 and <= 10_080))
            return $"Brigade:Payments:TimeoutMinutes must be more than 0 and at most 10080 (a week), not {Payments.TimeoutMinutes}";
        // No timestamp is within zero seconds (or fewer) of now: every provider webhook would be refused, and no order paid for.
        if (Payments.WebhookToleranceSeconds < 1)
            return $"Brigade:Payments:WebhookToleranceSeconds must be at least 1, not {Payments.WebhookToleranceSeconds}";
        if (!string.IsNullOrWhiteSpace(RabbitMq) && !(Uri.TryCreate(RabbitMq, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps"))
            return $"Brigade:RabbitMq must be an amqp:// or amqps:// URI, not '{RabbitMq}'";
        // Below 0.05 s the monitor uses 0.05 s; above a day, or not a number, no timer can hold it.
        if (!(Alerts.EvaluateEverySeconds <= 86_400))
            return $"Brigade:Alerts:EvaluateEverySeconds must be at most 86400 (a day), not {Alerts.EvaluateEverySeconds}";
        for (var i = 0; i < Alerts.Rules.Count; i++)
        {
            if (!Brigade.Alerts.AlertKinds.All.Contains(Alerts.Rules[i].Kind))
                return $"Brigade:Alerts:Rules[{i}]: Kind must be one of {string.Join(", ", Brigade.Alerts.AlertKinds.All)}, not '{Alerts.Rules[i].Kind}'";
            if (!(Alerts.Rules[i].WindowMinutes <= 10_080))
                return $"Brigade:Alerts:Rules[{i}]: WindowMinutes must be at most 10080 (a week), not {Alerts.Rules[i].WindowMinutes}";
            // A name is one set of alerts: a second rule of that name would resolve what the first fired, and fire it again.
            for (var j = 0; j < i; j++)
                if (string.Equals(Alerts.Rules[j].EffectiveName, Alerts.Rules[i].EffectiveName, StringComparison.Ordinal))
                    return $"Brigade:Alerts:Rules[{i}]: the name '{Alerts.Rules[i].EffectiveName}' is taken by Rules[{j}]; give each rule its own Name (a rule without one is named by its kind)";
        }
        if (!string.IsNullOrWhiteSpace(Telemetry.OtlpEndpoint) && !(Uri.TryCreate(Telemetry.OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
            return $"Brigade:Telemetry:OtlpEndpoint must be an http(s) URL such as http://collector:4317, not '{Telemetry.OtlpEndpoint}'";
        foreach (var url in Alerts.Webhooks)
            if (!(Uri.TryCreate(url, UriKind.Absolute, out var hook) && hook.Scheme is "http" or "https"))
                return $"Brigade:Alerts:Webhooks: '{url}' is not an http(s) URL";
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

/// <summary>Settings that cannot work (an unknown store, a missing connection string, a limit of zero, a signing key too short).</summary>
public sealed class SettingsException(string message) : InvalidOperationException(message);

public sealed class AuthOptions
{
    /// <summary>The HMAC-SHA256 key (base64 or text, at least 32 bytes); when empty, <c>signing.key</c> in the data directory (generated on first run).</summary>
    public string? SigningKey { get; set; }

    /// <summary>Allowed clock skew for exp/nbf/iat, at most 30 seconds.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Whether <c>POST /api/auth/guest</c> issues short-lived customer tokens to anyone.</summary>
    public bool GuestTokens { get; set; } = true;

    public int GuestTokenMinutes { get; set; } = 240;
}

public sealed class LimitsOptions
{
    /// <summary>Sustained requests per second per client (token subject, or address when anonymous).</summary>
    public double RequestsPerSecond { get; set; } = 50;

    /// <summary>How many requests a client may make at once above the sustained rate.</summary>
    public int Burst { get; set; } = 200;

    /// <summary>Guest tokens per minute per address.</summary>
    public int GuestTokensPerMinute { get; set; } = 30;

    /// <summary>Location updates (requests or WebSocket messages) per second per courier.</summary>
    public double CourierLocationsPerSecond { get; set; } = 5;

    public int CourierLocationBurst { get; set; } = 20;

    /// <summary>Largest request body, in bytes (413 above).</summary>
    public long MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>A request that has not been answered after this long is cut off (streams excepted).</summary>
    public double RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Reverse proxies (addresses, or networks as <c>10.0.0.0/8</c>) whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> are believed. Empty (the default): the connection's own address is the
    /// client's, and those headers are ignored, since anyone could send them.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>The trusted proxies as networks (a single address is a network of one); call after <see cref="Validate"/>.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxyNetworks() =>
        [.. TrustedProxies.Select(p => TryParseNetwork(p, out var network) ? network : throw new InvalidOperationException($"not validated: {p}"))];

    private static bool TryParseNetwork(string text, out System.Net.IPNetwork network)
    {
        text = text.Trim();
        if (System.Net.IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            network = new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return System.Net.IPNetwork.TryParse(text, out network);
    }

    /// <summary>The slowest rate a token bucket can refill at: one a day (a slower one has no timer to refill it).</summary>
    public const double MinPerSecond = 1.0 / 86_400;

    /// <summary>A limit of zero or less would not mean "unlimited" but refuse everything (or nothing): say so at start-up.</summary>
    public string? Validate()
    {
        if (!(RequestsPerSecond >= MinPerSecond && double.IsFinite(RequestsPerSecond))) return $"Brigade:Limits:RequestsPerSecond must be a positive number, at least {MinPerSecond} (one a day), not {RequestsPerSecond}";
        if (Burst < 1) return $"Brigade:Limits:Burst must be at least 1, not {Burst}";
        if (GuestTokensPerMinute < 1) return $"Brigade:Limits:GuestTokensPerMinute must be at least 1, not {GuestTokensPerMinute} (turn guest tokens off with Brigade:Auth:GuestTokens=false)";
        if (!(CourierLocationsPerSecond >= MinPerSecond && double.IsFinite(CourierLocationsPerSecond)))
            return $"Brigade:Limits:CourierLocationsPerSecond must be a positive number, at least {MinPerSecond} (one a day), not {CourierLocationsPerSecond}";
        if (CourierLocationBurst < 1) return $"Brigade:Limits:CourierLocationBurst must be at least 1, not {CourierLocationBurst}";
        if (MaxBodyBytes < 1024) return $"Brigade:Limits:MaxBodyBytes must be at least 1024, not {MaxBodyBytes}";
        if (!(RequestTimeoutSeconds is > 0 and <= 3600)) return $"Brigade:Limits:RequestTimeoutSeconds must be more than 0 and at most 3600, not {RequestTimeoutSeconds}";
        foreach (var proxy in TrustedProxies)
            if (!TryParseNetwork(proxy, out _))
                return $"Brigade:Limits:TrustedProxies: '{proxy}' is not an IP address or a network such as 10.0.0.0/8";
        return null;
    }
}

public sealed class PaymentOptions
{
    /// <summary>Orders wait in <c>placed</c> until the provider authorises the payment.</summary>
    public bool Required { get; set; }

    /// <summary>Only these restaurants require payment (all, when empty and <see cref="Required"/> is set).</summary>
    public List<string> Restaurants { get; set; } = [];

    /// <summary>The secret provider webhooks are signed with; when empty, <c>payments-webhook.key</c> in the data directory.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>How old (or how far in the future) a webhook's timestamp may be.</summary>
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>An order whose payment is not authorised this many minutes (kitchen time) after it was placed is cancelled.</summary>
    public double TimeoutMinutes { get; set; } = 15;

    /// <summary>The local provider reports its results through the webhook (turn off to drive the webhook by hand).</summary>
    public bool LocalCallbacks { get; set; } = true;

    /// <summary>The local provider declines payments above this amount (for trying the declined path).</summary>
    public int? LocalDeclineAboveCents { get; set; }
}

public sealed class TelemetryOptions
{
    /// <summary>When set (e.g. http://collector:4317), metrics are also exported over OTLP.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>grpc (default) or http/protobuf.</summary>
    public string? OtlpProtocol { get; set; }
}

public sealed class AlertOptions
{
    public double EvaluateEverySeconds { get; set; } = 10;

    /// <summary>URLs that receive every alert that fires or resolves, signed and retried.</summary>
    public List<string> Webhooks { get; set; } = [];

    /// <summary>The HMAC secret alert webhooks are signed with; when empty, <c>alerts-webhook.key</c> in the data directory.</summary>
    public string? WebhookSecret { get; set; }

    public List<AlertRuleOptions> Rules { get; set; } = [];
}

/// <summary>One alert rule. Kinds: failedOrders, stationWaitP90, outletSilent, courierPositionsStale, eventLogAppendP99.</summary>
public sealed class AlertRuleOptions
{
    public string? Name { get; set; }
    public string? Kind { get; set; }

    /// <summary>The rule's name: <see cref="Name"/>, or its kind when it has none. Alerts are kept per name and subject.</summary>
    public string EffectiveName => string.IsNullOrWhiteSpace(Name) ? Kind ?? "" : Name;

    /// <summary>failedOrders: more than this many; courierPositionsStale: seconds without a position; eventLogAppendP99: seconds.</summary>
    public double Threshold { get; set; }

    /// <summary>failedOrders: the window, in minutes.</summary>
    public double WindowMinutes { get; set; } = 5;
}
