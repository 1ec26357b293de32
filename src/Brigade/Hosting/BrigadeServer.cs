using Brigade.Auth;
using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Http;
using Brigade.Kitchen;
using Brigade.Messaging;
using Brigade.Observability;
using Brigade.Operations;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Storage.Postgres;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Brigade.Hosting;

/// <summary>Composition of the server: services, middleware and every API surface. Program.cs only picks the verb.</summary>
public static class BrigadeServer
{
    /// <param name="settings">Configuration that overrides appsettings and environment (the command line's options).</param>
    /// <param name="configure">A last chance to change the builder (tests use a test server).</param>
    public static WebApplication Build(IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null, string[]? args = null)
    {
        // appsettings.json sits beside the executable; relative data paths stay relative to where the command runs.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        var options = BrigadeOptions.Bind(builder.Configuration);
        // Where to listen, the usual way: urls (--urls, URLS, ASPNETCORE_URLS), else the ports settings
        // (ASPNETCORE_HTTP_PORTS, which container images set), else the loopback default.
        var urls = builder.Configuration["urls"];
        var ports = builder.Configuration["http_ports"] ?? builder.Configuration["https_ports"];
        if (urls is null && ports is not null)
        {
            if (BrigadeOptions.ValidatePorts(builder.Configuration["http_ports"], builder.Configuration["https_ports"]) is { } badPorts) throw new SettingsException(badPorts);
        }
        else
        {
            urls ??= BrigadeOptions.DefaultUrls;
            if (BrigadeOptions.ValidateUrls(urls) is { } badUrl) throw new SettingsException(badUrl);
            builder.WebHost.UseUrls(urls);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 1024 * 1024;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });

        if (options.Validate() is { } problem) throw new SettingsException(problem);
        var catalog = CatalogLoader.Load(options.Catalog);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(catalog);
        foreach (var outlet in options.DeviceHeartbeatOutlets)
            if (catalog.FindOutlet(outlet) is null)
                throw new SettingsException($"Brigade:DeviceHeartbeatOutlets: the catalog has no outlet '{outlet}'");
        // A restaurant the catalog lacks (a typo) would match no order: the restaurants meant would take orders unpaid.
        foreach (var restaurant in options.Payments.Restaurants)
            if (catalog.FindRestaurant(restaurant) is null)
                throw new SettingsException($"Brigade:Payments:Restaurants: the catalog has no restaurant '{restaurant}'");
        services.AddSingleton(new EngineOptions
        {
            PaymentTimeout = TimeSpan.FromMinutes(options.Payments.TimeoutMinutes),
            DeviceHeartbeatOutlets = options.DeviceHeartbeatOutlets,
        });
        services.AddSingleton(new ScaledTimeProvider(options.EffectiveTimeScale));
        services.AddSingleton<StoreMetrics>();
        services.AddSingleton(TokenService.FromOptions(options));
        services.AddAuthentication(BearerAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null);
        services.AddAuthorization();
        services.AddBrigadeLimits(options.Limits);
        services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.QueueFullMode = Microsoft.Extensions.Logging.Console.ConsoleLoggerQueueFullMode.DropWrite);
        if (options.UsesPostgres)
        {
            // Many processes may share the database; only the one holding the engine lock runs the engine.
            services.AddSingleton(sp => new PostgresEventStore(options.Postgres!, sp.GetRequiredService<StoreMetrics>()));
            services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>());
            services.AddSingleton<IReadModelStore>(sp => sp.GetRequiredService<PostgresEventStore>());
            services.AddSingleton(sp => new PostgresEngineLock(options.Postgres!, sp.GetRequiredService<ILogger<PostgresEngineLock>>()));
        }
        else
        {
            services.AddSingleton(sp => new SqliteEventStore(Path.GetFullPath(options.DataDir), sp.GetRequiredService<StoreMetrics>()));
            services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<SqliteEventStore>());
            services.AddSingleton<IReadModelStore>(sp => sp.GetRequiredService<SqliteEventStore>());
        }
        services.AddSingleton(sp =>
        {
            var model = new OrderReadModel();
            sp.GetRequiredService<IEventStore>().Subscribe(model.OnCommitted);
            return model;
        });
        services.AddSingleton(sp =>
        {
            var feed = new Kitchen.KitchenFeed();
            sp.GetRequiredService<IEventStore>().Subscribe(feed.OnCommitted);
            return feed;
        });
        services.AddSingleton(sp =>
        {
            var feed = new Delivery.CourierFeed();
            sp.GetRequiredService<IEventStore>().Subscribe(feed.OnCommitted);
            return feed;
        });
        services.AddSingleton(sp =>
        {
            var decisions = new Operations.DispatchDecisions();
            sp.GetRequiredService<IEventStore>().Subscribe(decisions.OnCommitted);
            return decisions;
        });
        services.AddSingleton(sp =>
        {
            var metrics = new Operations.OpsMetrics(catalog, sp.GetRequiredService<ScaledTimeProvider>());
            sp.GetRequiredService<IEventStore>().Subscribe(metrics.OnCommitted);
            return metrics;
        });
        services.AddSingleton<IEngineObserver, OrderReplayObserver>();
        services.AddSingleton<IEngineObserver>(sp => sp.GetRequiredService<Operations.DispatchDecisions>());
        services.AddSingleton<IEngineObserver>(sp => sp.GetRequiredService<Operations.OpsMetrics>());
        services.AddSingleton<IEngineObserver, IdempotencyReplayObserver>();
        services.AddSingleton(sp => new IdempotencyGate(sp.GetService<PostgresEventStore>() is { } postgres ? postgres.FindPlacedOrderAsync : null));
        services.AddSingleton(new Delivery.HandoffGuard(TimeProvider.System)); // real time: what stops guessing is how long it takes
        services.AddSingleton<EngineHost>();
        services.AddSingleton<SummaryProjector>();
        services.AddSingleton<Observability.OperationsSampler>();
        services.AddSingleton<Observability.DispatchProbe>();
        services.AddSingleton<Observability.BrigadeMetrics>();
        services.AddSingleton(sp => new Observability.PrometheusExporter(sp.GetRequiredService<Observability.BrigadeMetrics>()));
        services.AddSingleton<Observability.DomainLog>();
        services.AddSingleton(Payments.PaymentSecrets.FromOptions(options));
        services.AddSingleton<Payments.IPaymentProvider, Payments.LocalPaymentProvider>();
        services.AddSingleton<Payments.PaymentWebhooks>();
        services.AddSingleton<Payments.PaymentCoordinator>();
        services.AddSingleton<Payments.PaymentReleaser>();
        services.AddSingleton<Alerts.AlertNotifier>();
        services.AddSingleton<Alerts.AlertMonitor>();
        // Failures come from the log at start-up too, so a failedOrders window survives a restart (the monitor itself needs the engine).
        services.AddSingleton<Alerts.RecentFailures>();
        services.AddSingleton<IEngineObserver>(sp => sp.GetRequiredService<Alerts.RecentFailures>());
        if (!string.IsNullOrWhiteSpace(options.Telemetry.OtlpEndpoint)) services.AddSingleton(Observability.OtlpExport.Create(options.Telemetry));

        // Start order matters: the log opens, the engine recovers from it, then the rest follows.
        services.AddHostedService<StoreLifetime>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddHostedService(sp => sp.GetRequiredService<SummaryProjector>());
        services.AddHostedService<Housekeeping>();
        services.AddHostedService<Delivery.TrackingPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<Alerts.AlertNotifier>());
        services.AddHostedService(sp => sp.GetRequiredService<Alerts.AlertMonitor>());
        services.AddHostedService<Operations.OpsSampler>();
        if (options.Demo) services.AddHostedService<Operations.DemoTraffic>();
        if (!string.IsNullOrWhiteSpace(options.RabbitMq))
        {
            services.AddSingleton(new RabbitMqRelayOptions(new Uri(options.RabbitMq)));
            services.AddSingleton<RabbitMqRelay>();
            services.AddHostedService(sp => sp.GetRequiredService<RabbitMqRelay>());
        }

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.MaxDepth = 16;
        });
        // A body or value the framework cannot bind is thrown, not just answered 400, so the problem
        // below can say what was wrong and where (the JSON path), instead of only "malformed".
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            // Problems the framework raises itself (routing, binding) get a detail that says what to do.
            var p = ctx.ProblemDetails;
            var request = ctx.HttpContext.Request;
            if (p.Status == 503 && !ctx.HttpContext.Response.Headers.ContainsKey("Retry-After")) ctx.HttpContext.Response.Headers.RetryAfter = "2";
            if (ctx.Exception is BadHttpRequestException { StatusCode: 400 } bad)
                p.Detail ??= bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
            if (ctx.Exception is Npgsql.NpgsqlException && p.Status == 503) p.Detail ??= "The event log cannot be reached right now; retry shortly.";
            p.Detail ??= p.Status switch
            {
                400 => "The request is malformed.",
                404 => $"There is nothing at {request.Path}.",
                405 => $"{request.Method} is not allowed on {request.Path}.",
                413 => "The request body is too large.",
                503 => "The engine is not available right now (stopping, or rebuilding from the log); retry shortly.",
                415 => $"Send the body as application/json, not '{request.ContentType ?? "(none)"}'.",
                _ => p.Title,
            };
            p.Type ??= "urn:brigade:problem:" + (p.Status switch { 404 => "not-found", 405 => "method-not-allowed", 415 => "unsupported-media-type", 413 => "body-too-large", _ => "http-" + p.Status });
        });
        // After the default writer: answers, as problem+json, the clients whose Accept that one declines.
        services.AddSingleton<IProblemDetailsWriter, Http.ProblemJsonWriter>();
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Brigade";
            doc.Info.Description = "Order-to-door: ordering, kitchens, dispatch.";
            return Task.CompletedTask;
        }));
        services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"]);

        configure?.Invoke(builder);
        var app = builder.Build();
        // Followers of the durable events: metrics, structured logs, alert rules, held payments of ended orders.
        var log = app.Services.GetRequiredService<IEventStore>();
        log.Subscribe(app.Services.GetRequiredService<Payments.PaymentReleaser>().OnCommitted);
        log.Subscribe(app.Services.GetRequiredService<Observability.BrigadeMetrics>().OnCommitted);
        log.Subscribe(app.Services.GetRequiredService<Observability.DomainLog>().OnCommitted);
        log.Subscribe(app.Services.GetRequiredService<Alerts.AlertMonitor>().OnCommitted);
        app.Services.GetRequiredService<Observability.PrometheusExporter>();
        app.Services.GetService<OpenTelemetry.Metrics.MeterProvider>();

        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = StatusOf,
            // A client's malformed or aborted request is its problem, and an engine that is stopping or
            // rebuilding is a wait, not an error of ours to log.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException or OperationCanceledException or EngineUnavailableException,
        });
        app.UseStatusCodePages();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseWebDashboard();
        app.UseMiddleware<Observability.HttpMetricsMiddleware>();
        app.UseBrigadeLimits(options.Limits);

        // One document; its one path, so any other name is the usual 404 problem rather than the OpenAPI middleware's plain text.
        app.MapOpenApi("/openapi/v1.json");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapAuth();
        app.MapOperations();
        Payments.PaymentWebhooks.Map(app);
        app.MapCatalog();
        app.MapOrders();
        app.MapKitchen();
        Delivery.CourierEndpoints.MapCouriers(app);
        Routing.OutletEndpoints.MapOutlets(app);
        Operations.OpsEndpoints.MapOpsFeeds(app);
        return app;
    }

    /// <summary>The status a request that threw is answered with (the exception handler's choice, which the HTTP metrics record too).</summary>
    public static int StatusOf(Exception e) => e switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        EngineUnavailableException => StatusCodes.Status503ServiceUnavailable,
        // PostgreSQL cannot be reached (down, restarting, failing over): a wait, like an engine rebuild.
        Npgsql.NpgsqlException { IsTransient: true } => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}

/// <summary>Ready when the event log answers and the engine loop runs.</summary>
public sealed class ReadinessCheck(IEventStore store, EngineHost engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!engine.IsRunning) return HealthCheckResult.Unhealthy("the engine is not running");
        return await store.PingAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"the {store.Name} event log does not answer");
    }
}

/// <summary>Feeds replayed order events to the read model at start-up.</summary>
public sealed class OrderReplayObserver(OrderReadModel orders) : IEngineObserver
{
    public void Replayed(IDomainEvent e)
    {
        if (e is IOrderEvent o) orders.Replay(o);
    }

    public void Recovered(BrigadeEngine engine, long lastPosition) => orders.ReadFromLogUpTo(lastPosition);

    public void Rebuilt(BrigadeEngine engine, long lastPosition)
    {
        orders.ReadFromLogUpTo(lastPosition);
        orders.CatchUp(engine.Orders.Values);
    }
}
