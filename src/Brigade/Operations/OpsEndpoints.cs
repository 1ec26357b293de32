using Brigade.Auth;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Brigade.Engine;
using Brigade.Http;
using Brigade.Observability;

namespace Brigade.Operations;

/// <summary>
/// Read-only figures for the admin pages: the router's recent decisions (for the dispatcher's map)
/// and the operations summary (orders per minute, station waits, courier utilisation), each as a
/// GET and as Server-Sent Events.
/// </summary>
public static class OpsEndpoints
{
    public const int DefaultDecisions = 50;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapOpsFeeds(IEndpointRouteBuilder app)
    {
        // Admin only, like the dispatcher map and the operations page they feed.
        var admin = app.MapGroup("").RequireAuthorization().AddEndpointFilter(Access.AdminOnly);
        admin.MapGet("/api/dispatch/decisions", (string? limit, DispatchDecisions decisions) =>
                QueryLimit.TryParse(limit, DefaultDecisions, DispatchDecisions.Capacity, out var n, out var problem) ? Results.Ok(decisions.Latest(n)) : problem)
            .WithTags("Dispatch").WithName("ListRoutingDecisions")
            .WithSummary($"The router's latest decisions, newest first: which outlet took each order, and why (limit 1–{DispatchDecisions.Capacity}, default {DefaultDecisions})")
            .Produces<List<RoutingDecision>>().ProducesProblem(422);
        admin.MapGet("/api/dispatch/decisions/stream", async (string? limit, HttpContext http, DispatchDecisions decisions, BrigadeMetrics meters) =>
            {
                if (!QueryLimit.TryParse(limit, DefaultDecisions, DispatchDecisions.Capacity, out var n, out var problem))
                {
                    await problem.ExecuteAsync(http);
                    return;
                }
                await StreamAsync(http, meters, "dispatch-decisions", "decisions", () => decisions.Changed.Next, () => decisions.Latest(n), ApiJsonContext.Default.ListRoutingDecision);
            })
            .WithTags("Dispatch").WithName("StreamRoutingDecisions")
            .WithSummary("Server-Sent Events: the latest decisions now, then again whenever the router decides").Produces(200, contentType: "text/event-stream").DisableRequestTimeout();

        var ops = admin.MapGroup("/api/ops").WithTags("Operations");
        ops.MapGet("/summary", async (OpsMetrics metrics, EngineHost engine) =>
            {
                metrics.Touch();
                if (!metrics.HasSamples) metrics.Add(await metrics.SampleAsync(engine));
                return metrics.Summary();
            })
            .WithName("GetOpsSummary")
            .WithSummary("Orders per minute over the last hour of kitchen time, and recent samples of station waits and courier utilisation").Produces<OpsSummary>();
        ops.MapGet("/summary/stream", async (HttpContext http, OpsMetrics metrics, EngineHost engine, BrigadeMetrics meters) =>
            {
                using var watching = metrics.Watch();
                if (!metrics.HasSamples) metrics.Add(await metrics.SampleAsync(engine));
                await StreamAsync(http, meters, "ops-summary", "summary", () => metrics.Changed.Next, metrics.Summary, ApiJsonContext.Default.OpsSummary);
            })
            .WithName("StreamOpsSummary")
            .WithSummary($"Server-Sent Events: the summary now, then after every sample (every {OpsMetrics.SampleEvery.TotalSeconds:0} s while watched)")
            .Produces(200, contentType: "text/event-stream").DisableRequestTimeout();
        return app;
    }

    /// <summary>
    /// The current value now, then again after each change (at most twice a second); a keep-alive
    /// comment while nothing changes, never the same value again. Counted in
    /// <c>brigade_sse_subscribers</c> (label <paramref name="kind"/>) while open, like every other live stream.
    /// </summary>
    private static async Task StreamAsync<T>(HttpContext http, BrigadeMetrics meters, string kind, string name, Func<Task> nextChange, Func<T> current, JsonTypeInfo<T> type)
    {
        using var counted = meters.Subscribed(kind);
        var ct = http.RequestAborted;
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var changed = nextChange();
                await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(current(), type)}\n\n", ct);
                await response.Body.FlushAsync(ct);
                while (true)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    var woke = await Task.WhenAny(changed, Task.Delay(KeepAlive, idle.Token));
                    await idle.CancelAsync(); // no timer left behind when a change came first
                    ct.ThrowIfCancellationRequested();
                    if (woke == changed) break;
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                }
                await Task.Delay(500, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }
}
