using System.Text.Json;
using Brigade.Engine;
using Brigade.Http;
using Brigade.Kitchen;

namespace Brigade.Kitchen;

public sealed record StartTaskRequest(string? ChefId);

public sealed record TokenRequest(long? Token);

public sealed record AddChefRequest(string? Id, string? Name, List<string>? Skills, double? Speed, bool? Standby);

/// <summary>
/// A started task's lease. <c>At</c> is the kitchen clock when it started and <c>TimeScale</c> how
/// many times real time that clock runs, so a display knows how long the lease lasts in real time
/// (<c>(LeaseUntil - At) / TimeScale</c>) and can heartbeat in time even when that is well under a second.
/// </summary>
public sealed record TaskLease(long TaskId, long Token, DateTimeOffset? LeaseUntil, DateTimeOffset At, double TimeScale);

/// <summary>
/// The kitchen display API (outlet staff): the kitchen's state, live; chefs starting, heartbeating
/// and bumping tasks; staff recording chefs and equipment coming and going.
/// </summary>
public static class KitchenEndpoints
{
    public static RouteGroupBuilder MapKitchen(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/outlets/{outletId}/kitchen").WithTags("Kitchen display")
            .RequireAuthorization().AddEndpointFilter(Auth.Access.StaffOfRouteOutlet);

        group.MapGet("/", GetAsync).WithName("GetKitchen").WithSummary("Stations, tickets with their ages, chefs, equipment and stock")
            .Produces<KitchenView>().ProducesProblem(404);
        group.MapGet("/stream", KitchenStream.StreamAsync).WithName("StreamKitchen")
            .WithSummary("Server-Sent Events: the kitchen view, again after every change").Produces(200, contentType: "text/event-stream").DisableRequestTimeout();

        group.MapPost("/tasks/{taskId:long}/start", (string outletId, long taskId, StartTaskRequest body, EngineHost engine, ScaledTimeProvider clock) =>
                Start(outletId, body.ChefId, taskId, engine, clock))
            .WithName("StartTask").WithSummary("A chef starts this task; answers the lease and its fencing token").Produces<TaskLease>();
        group.MapPost("/chefs/{chefId}/next", (string outletId, string chefId, EngineHost engine, ScaledTimeProvider clock) => Start(outletId, chefId, null, engine, clock))
            .WithName("StartNextTask").WithSummary("A chef starts the next task their skills allow, FIFO").Produces<TaskLease>();
        group.MapPost("/tasks/{taskId:long}/bump", (string outletId, long taskId, TokenRequest body, EngineHost engine) =>
                WithToken(body, token => Run(outletId, engine, (k, now, o) => k.CompleteTask(taskId, token, now, o))))
            .WithName("BumpTask").WithSummary("The chef is done with the task (their token must still hold it)");
        group.MapPost("/tasks/{taskId:long}/heartbeat", (string outletId, long taskId, TokenRequest body, EngineHost engine) =>
                WithToken(body, token => Run(outletId, engine, (k, now, o) => k.Heartbeat(taskId, token, now, o))))
            .WithName("HeartbeatTask").WithSummary("The holder is still on it: extend the lease");

        group.MapPost("/chefs", (string outletId, AddChefRequest body, EngineHost engine) =>
        {
            if (string.IsNullOrWhiteSpace(body.Id) || body.Skills is not { Count: > 0 and <= 32 } || body.Skills.Any(string.IsNullOrWhiteSpace))
                return Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["chef"] = ["A chef needs an id and one to 32 station skills."] }));
            if ((Limits.BadText("id", body.Id) ?? Limits.BadText("name", body.Name) ?? body.Skills.Select(s => Limits.BadText("skills", s)).FirstOrDefault(r => r is not null)) is { } bad)
                return Task.FromResult(bad);
            return Run(outletId, engine, (k, now, o) => k.AddChef(body.Id, body.Name ?? body.Id, body.Skills, body.Speed ?? 1, body.Standby ?? false, now, o));
        }).WithName("AddChef").WithSummary("Add a chef to the roster (standby or active)");
        group.MapPost("/chefs/{chefId}/clock-in", (string outletId, string chefId, EngineHost engine) => Run(outletId, engine, (k, now, o) => k.ClockIn(chefId, now, o)))
            .WithName("ClockIn");
        group.MapPost("/chefs/{chefId}/clock-out", (string outletId, string chefId, EngineHost engine) => Run(outletId, engine, (k, now, o) => k.ClockOut(chefId, now, o)))
            .WithName("ClockOut");
        group.MapPost("/chefs/{chefId}/sick", (string outletId, string chefId, EngineHost engine) => Run(outletId, engine, (k, now, o) => k.MarkSick(chefId, now, o)))
            .WithName("MarkChefSick");
        group.MapPost("/chefs/{chefId}/back", (string outletId, string chefId, EngineHost engine) => Run(outletId, engine, (k, now, o) => k.MarkRecovered(chefId, now, o)))
            .WithName("MarkChefBack");
        group.MapPost("/equipment/{equipmentId}/units/{unit:int}/broken", (string outletId, string equipmentId, int unit, EngineHost engine) =>
            Run(outletId, engine, (k, now, o) => k.BreakEquipment(equipmentId, unit, now, o))).WithName("EquipmentBroken");
        group.MapPost("/equipment/{equipmentId}/units/{unit:int}/fixed", (string outletId, string equipmentId, int unit, EngineHost engine) =>
            Run(outletId, engine, (k, now, o) => k.FixEquipment(equipmentId, unit, now, o))).WithName("EquipmentFixed");

        return group;
    }

    private static async Task<IResult> GetAsync(string outletId, EngineHost engine)
    {
        var view = await engine.QueryAsync((e, now) => e.KitchenOf(outletId)?.Snapshot(now));
        return view is null ? Problems.NotFound($"There is no outlet '{outletId}'.") : TypedResults.Ok(view);
    }

    private static async Task<IResult> Start(string outletId, string? chefId, long? taskId, EngineHost engine, ScaledTimeProvider clock)
    {
        if (string.IsNullOrWhiteSpace(chefId))
            return Problems.Invalid(new Dictionary<string, string[]> { ["chefId"] = ["Name the chef who starts the task."] });
        DateTimeOffset? leaseUntil = null;
        var at = default(DateTimeOffset);
        var result = await engine.SendAsync((e, now, output) =>
        {
            at = now;
            var r = e.AtKitchen(outletId, now, output, (k, o) => k.StartTask(chefId, taskId, now, o));
            if (r.IsOk) leaseUntil = output.OfType<TaskStarted>().LastOrDefault(s => s.TaskId == r.TaskId)?.LeaseUntil;
            return r;
        });
        return result.IsOk ? TypedResults.Ok(new TaskLease(result.TaskId, result.Token, leaseUntil, at, clock.Scale)) : Problems.NotDone(result, "kitchen");
    }

    private static Task<IResult> WithToken(TokenRequest body, Func<long, Task<IResult>> run) =>
        body.Token is { } token ? run(token) : Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["token"] = ["Send the fencing token you were given when the task started."] }));

    private static async Task<IResult> Run(string outletId, EngineHost engine, Func<KitchenEngine, DateTimeOffset, List<IDomainEvent>, KitchenResult> command)
    {
        var result = await engine.SendAsync((e, now, output) => e.AtKitchen(outletId, now, output, (k, o) => command(k, now, o)));
        return result.IsOk ? TypedResults.NoContent() : Problems.NotDone(result, "kitchen");
    }
}

/// <summary>
/// <c>GET /api/outlets/{id}/kitchen/stream</c>: the kitchen view now, then again whenever the
/// kitchen's events become durable (at most four times a second), with a keep-alive comment
/// while nothing happens.
/// </summary>
public static class KitchenStream
{
    public static async Task StreamAsync(string outletId, HttpContext http, EngineHost engine, KitchenFeed feed, Observability.BrigadeMetrics metrics)
    {
        var ct = http.RequestAborted;
        // Follow first, then look: a change that becomes durable after the first view was taken
        // (even before that view is given to us) then wakes the stream instead of being missed.
        using var changes = feed.Subscribe(outletId);
        var first = await engine.QueryAsync((e, now) => e.KitchenOf(outletId)?.Snapshot(now));
        if (first is null)
        {
            await Problems.NotFound($"There is no outlet '{outletId}'.").ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var counted = metrics.Subscribed("kitchen");
        var view = first;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await http.Response.WriteAsync($"id: {view.Version}\nevent: kitchen\ndata: {JsonSerializer.Serialize(view, ApiJsonContext.Default.KitchenView)}\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
                // While nothing changes, only a keep-alive comment: never the last view again, whose clock would have stood still.
                while (true)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    wait.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        await changes.WaitAsync(wait.Token);
                        break;
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        await http.Response.WriteAsync(": keep-alive\n\n", ct);
                        await http.Response.Body.FlushAsync(ct);
                    }
                }
                await Task.Delay(250, ct);
                view = await engine.QueryAsync((e, now) => e.KitchenOf(outletId)!.Snapshot(now));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        catch (EngineUnavailableException)
        {
            // The engine is stopping or rebuilding: end the stream; the display's EventSource reconnects.
        }
    }
}

/// <summary>Tells kitchen-display streams that an outlet's kitchen changed (its events are durable).</summary>
public sealed class KitchenFeed
{
    private readonly Dictionary<string, List<SemaphoreSlim>> _subscribers = new(StringComparer.Ordinal);

    public void OnCommitted(IReadOnlyList<Storage.CommittedEvent> batch)
    {
        HashSet<string>? touched = null;
        foreach (var ce in batch)
            if (ce.Event.Source is IKitchenEvent k) (touched ??= new(StringComparer.Ordinal)).Add(k.OutletId);
        if (touched is null) return;
        lock (_subscribers)
            foreach (var outlet in touched)
                if (_subscribers.TryGetValue(outlet, out var list))
                    foreach (var s in list)
                        if (s.CurrentCount == 0) s.Release();
    }

    /// <summary>How many streams follow this outlet's kitchen right now.</summary>
    public int SubscriberCount(string outletId)
    {
        lock (_subscribers) return _subscribers.TryGetValue(outletId, out var list) ? list.Count : 0;
    }

    public Subscription Subscribe(string outletId)
    {
        var signal = new SemaphoreSlim(0);
        lock (_subscribers)
        {
            if (!_subscribers.TryGetValue(outletId, out var list)) _subscribers[outletId] = list = [];
            list.Add(signal);
        }
        return new Subscription(signal, () =>
        {
            lock (_subscribers)
                if (_subscribers.TryGetValue(outletId, out var list) && list.Remove(signal) && list.Count == 0)
                    _subscribers.Remove(outletId); // a stream for an unknown outlet subscribes too: no key is kept for it
            signal.Dispose();
        });
    }

    public sealed class Subscription(SemaphoreSlim signal, Action dispose) : IDisposable
    {
        public Task WaitAsync(CancellationToken ct) => signal.WaitAsync(ct);
        public void Dispose() => dispose();
    }
}
