using Brigade.Alerts;
using Brigade.Auth;
using Brigade.Http;
using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Observability;

/// <summary>What operators read: <c>/metrics</c> (Prometheus, public like health), the audit trail and alerts (admin).</summary>
public static class OperationsEndpoints
{
    public const int MaxAuditEntries = 5000;
    public const int MaxAlerts = 1000;

    public static void MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (PrometheusExporter exporter, OperationsSampler sampler) =>
        {
            await sampler.RefreshAsync();
            return Results.Text(exporter.Scrape(), PrometheusExporter.ContentType);
        }).AllowAnonymous().WithTags("Operations").WithName("Metrics").WithSummary("Metrics in the Prometheus text format");

        var ops = app.MapGroup("/api").WithTags("Operations").RequireAuthorization().AddEndpointFilter(Access.AdminOnly);
        ops.MapGet("/audit", AuditAsync).WithName("Audit")
            .WithSummary($"The event log for one order, outlet (its kitchen and outlet streams) or courier, newest last: give exactly one of orderId, outletId, courierId (limit 1–{MaxAuditEntries}, default 1000)")
            .Produces<List<AuditEntry>>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(422);
        ops.MapGet("/alerts", AlertsAsync)
            .WithName("Alerts").WithSummary($"Alerts firing now, and the newest ones fired (before the log position `before`, if given) with when they fired and resolved (limit 1–{MaxAlerts}, default 100); nextBefore reads the page before")
            .Produces<AlertsResponse>().ProducesProblem(422);
    }

    private static async Task<IResult> AlertsAsync(AlertMonitor monitor, IEventStore store, string? limit, string? before, CancellationToken ct)
    {
        if (!QueryLimit.TryParse(limit, 100, MaxAlerts, out var n, out var problem)) return problem;
        if (!QueryBefore.TryParse(before, out var below, out problem)) return problem;
        var history = await AlertMonitor.HistoryAsync(store, n, below, ct);
        return TypedResults.Ok(new AlertsResponse(monitor.Active, history.Alerts, history.NextBefore));
    }

    private static async Task<IResult> AuditAsync(string? orderId, string? outletId, string? courierId, string? limit, IEventStore store, CancellationToken ct)
    {
        // An empty parameter is one not given (a form sends its unused fields empty).
        if (orderId?.Length == 0) orderId = null;
        if (outletId?.Length == 0) outletId = null;
        if (courierId?.Length == 0) courierId = null;
        var given = new[] { orderId, outletId, courierId }.Count(v => v is not null);
        if (given != 1) return Problems.BadRequest("audit-query", "Give exactly one of orderId, outletId or courierId.");
        var id = orderId ?? outletId ?? courierId!;
        if (!Ids.LooksLikeId(id)) return Problems.BadRequest("audit-query", "An id is 1-64 letters, digits, '-' or '_'.");
        if (!QueryLimit.TryParse(limit, 1000, MaxAuditEntries, out var take, out var problem)) return problem;
        IEnumerable<StoredEvent> events;
        if (orderId is not null)
        {
            events = await store.ReadByOrderAsync(orderId, ct);
        }
        else if (outletId is not null)
        {
            // Only each stream's newest: a busy kitchen's stream holds millions of events.
            var kitchen = await store.ReadStreamTailAsync(new StreamKey(StreamKind.Kitchen, outletId).ToString(), take, ct);
            var outlet = await store.ReadStreamTailAsync(new StreamKey(StreamKind.Outlet, outletId).ToString(), take, ct);
            events = kitchen.Concat(outlet).OrderBy(e => e.Position);
        }
        else
        {
            events = await store.ReadStreamTailAsync(new StreamKey(StreamKind.Courier, courierId!).ToString(), take, ct);
        }
        return TypedResults.Ok(events.TakeLast(take).Select(e => new AuditEntry(e.Position, e.StreamId, e.Version, e.Type, e.At, EventSerializer.ToJson(e))).ToList());
    }
}
