using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Brigade.Delivery;
using Brigade.Dispatch;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Http;

namespace Brigade.Delivery;

public sealed record ShiftRequest(double? Lat, double? Lon, string? Name);

public sealed record LocationPoint(double? Lat, double? Lon, DateTimeOffset? At);

/// <summary>One point (<c>lat</c>, <c>lon</c>, <c>at</c>) or many (<c>points</c>).</summary>
public sealed record LocationsRequest(double? Lat, double? Lon, DateTimeOffset? At, List<LocationPoint?>? Points);

public sealed record LocationsResult(int Applied, int IgnoredOutOfOrder);

public sealed record DeliverRequest(string? HandoffCode);

/// <summary>The dispatcher's map: couriers on shift, orders waiting for or out with a courier, and every outlet's health.</summary>
public sealed record DispatchView(DateTimeOffset At, IReadOnlyList<CourierView> Couriers, IReadOnlyList<DeliveryJobView> Orders, IReadOnlyList<Routing.OutletStatus> Outlets);

/// <summary>The courier API: shifts, positions, offers, and the road from outlet to door.</summary>
public static class CourierEndpoints
{
    public const int MaxPointsPerRequest = 1000;

    public static RouteGroupBuilder MapCouriers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/couriers/{courierId}").WithTags("Couriers")
            .RequireAuthorization().AddEndpointFilter(Auth.Access.CourierOfRoute);

        group.MapGet("/", async (string courierId, EngineHost engine) =>
            await engine.QueryAsync((e, now) => e.Delivery.CourierOf(courierId, now)) is { } view
                ? Results.Ok(view)
                : Problems.NotFound($"There is no courier '{courierId}'.")).WithName("GetCourier").Produces<CourierView>();

        group.MapPost("/shift/start", (string courierId, ShiftRequest body, EngineHost engine) =>
        {
            if (body.Lat is not { } lat || body.Lon is not { } lon)
                return Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["position"] = ["Send lat and lon: where the courier starts."] }));
            if (Limits.BadText("name", body.Name) is { } bad) return Task.FromResult(bad);
            return Run(engine, (d, now, o) => d.StartShift(courierId, body.Name ?? courierId, lat, lon, now, o));
        }).WithName("StartShift").WithSummary("Come on shift at a position");
        group.MapPost("/shift/end", (string courierId, EngineHost engine) => Run(engine, (d, now, o) => d.EndShift(courierId, now, o)))
            .WithName("EndShift");

        group.MapPost("/locations", ReportAsync).WithName("ReportLocations")
            .WithSummary($"One position, or a batch in 'points' (at most {MaxPointsPerRequest}, each with its 'at'); stale and out-of-order points never move the courier back, and points stamped ahead of the server's clock are ignored")
            .Produces<LocationsResult>().ProducesProblem(422);

        group.MapGet("/offers/stream", CourierStream.StreamAsync).WithName("StreamOffers")
            .WithSummary("Server-Sent Events: the courier's state (offer, job) now and after every change").Produces(200, contentType: "text/event-stream").DisableRequestTimeout();
        group.MapGet("/ws", CourierStream.WebSocketAsync).WithName("CourierSocket")
            .WithSummary("WebSocket: send {lat, lon, at} messages; receive the courier's state (offers) as they change, and {error} for a position refused (with retryAfterSeconds when it may be sent again)").DisableRequestTimeout();

        group.MapPost("/offers/{offerId}/accept", (string courierId, string offerId, EngineHost engine) =>
            Run(engine, (d, now, o) => d.AcceptOffer(courierId, offerId, now, o))).WithName("AcceptOffer");
        group.MapPost("/offers/{offerId}/decline", (string courierId, string offerId, EngineHost engine) =>
            Run(engine, (d, now, o) => d.DeclineOffer(courierId, offerId, now, o))).WithName("DeclineOffer");
        group.MapPost("/arrived", (string courierId, EngineHost engine) => Run(engine, (d, now, o) => d.ArriveAtOutlet(courierId, now, o)))
            .WithName("ArrivedAtOutlet");
        group.MapPost("/orders/{orderId}/pickup", (string courierId, string orderId, EngineHost engine) =>
            Run(engine, (d, now, o) => d.PickUp(courierId, orderId, now, o))).WithName("PickUpOrder");
        group.MapPost("/orders/{orderId}/deliver", DeliverAsync).WithName("DeliverOrder")
            .WithSummary("Hand the order over: the customer's handoff code must match (after 5 wrong codes, 429 for a while); a repeat of a recorded delivery is 204")
            .ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(429);

        var dispatch = app.MapGroup("/api/dispatch").WithTags("Dispatch").RequireAuthorization().AddEndpointFilter(Auth.Access.AdminOnly);
        dispatch.MapGet("/", (EngineHost engine) => engine.QueryAsync(DispatchSnapshot)).WithName("GetDispatch")
            .WithSummary("Couriers on shift, orders waiting for or out with a courier, and outlets with their health").Produces<DispatchView>();
        dispatch.MapGet("/stream", CourierStream.DispatchStreamAsync).WithName("StreamDispatch")
            .WithSummary("Server-Sent Events: the dispatch view every second while anything moves").Produces(200, contentType: "text/event-stream").DisableRequestTimeout();
        return group;
    }

    internal static DispatchView DispatchSnapshot(BrigadeEngine e, DateTimeOffset now) =>
        new(now, e.Delivery.Couriers(now).ToList(), e.Delivery.Jobs().ToList(), e.Catalog.Outlets.Select(o => Routing.OutletEndpoints.Status(e, o, now)).ToList());

    private static async Task<IResult> ReportAsync(string courierId, HttpContext http, EngineHost engine, CourierLocationLimiter limiter)
    {
        if (!HttpBody.IsJson(http.Request.ContentType)) return Problems.UnsupportedMediaType(http.Request.ContentType);
        if (!limiter.TryAcquire(courierId, out var wait))
            return Problems.TooManyRequests("location-rate-limited", $"Courier {courierId} reports positions too often; batch them ('points') or wait.", wait);
        LocationsRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(http.Request.Body, ApiJsonContext.Default.LocationsRequest, http.RequestAborted);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest("malformed-json", $"The body is not valid JSON: {e.Message}");
        }
        if (body is null) return Problems.BadRequest("malformed-json", "The body must be a JSON object.");
        var points = body.Points ?? [new LocationPoint(body.Lat, body.Lon, body.At)];
        if (points.Count == 0) return Problems.Invalid(new Dictionary<string, string[]> { ["points"] = ["Send at least one position."] });
        if (points.Count > MaxPointsPerRequest)
            return Problems.Invalid(new Dictionary<string, string[]> { ["points"] = [$"At most {MaxPointsPerRequest} points per request, not {points.Count}."] });
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (p?.Lat is not { } lat || p.Lon is not { } lon || !GeoPoint.IsValid(lat, lon))
                errors[body.Points is null ? "position" : $"points[{i}]"] = ["lat must be within ±90 and lon within ±180."];
            // Untimed points would all be "now": the first would be taken and the rest ignored as duplicates.
            else if (points.Count > 1 && p.At is null)
                errors[$"points[{i}]"] = ["Each point of a batch needs its time ('at'), so the latest is known."];
        }
        if (errors.Count > 0) return Problems.Invalid(errors);

        var result = await engine.SendAsync((e, now, _) =>
        {
            if (e.Delivery.CourierOf(courierId, now) is not { OnShift: true }) return new EngineResult(Outcome.Conflict, $"{courierId} is not on shift");
            int applied = 0, ignored = 0;
            foreach (var p in points)
            {
                var r = e.Delivery.ReportLocation(courierId, p!.Lat!.Value, p.Lon!.Value, p.At ?? now, now);
                if (r == GeoUpdateResult.Applied) applied++;
                else ignored++;
            }
            return new EngineResult(Outcome.Ok, $"{applied} {ignored}");
        });
        if (!result.IsOk) return result.Outcome == Outcome.Conflict ? Problems.Conflict("not-on-shift", result.Message!) : Problems.Unavailable(result.Message!, TimeSpan.FromSeconds(1));
        var counts = result.Message!.Split(' ');
        return TypedResults.Ok(new LocationsResult(int.Parse(counts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(counts[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task<IResult> DeliverAsync(string courierId, string orderId, DeliverRequest body, EngineHost engine, HandoffGuard guard)
    {
        if (guard.IsBlocked(orderId, out var wait))
            return Problems.TooManyRequests("handoff-attempts", $"Too many wrong handoff codes for order {orderId}; try again later, with the code the customer gives you.", wait);
        var result = await engine.SendAsync((e, now, output) =>
            // The answer to this very request may have been lost: a delivery already recorded for this courier is done, not missing.
            e.Orders.TryGetValue(orderId, out var order) && order.Status == Orders.OrderStatus.Delivered && order.CourierId == courierId
                ? EngineResult.Ok()
                : e.AtDelivery(now, output, (d, o) => d.Deliver(courierId, orderId, body.HandoffCode, now, o)));
        if (result.Outcome == Outcome.Invalid) guard.Missed(orderId); // the only refusal of a well-formed deliver: a wrong code
        if (result.IsOk) guard.Delivered(orderId);
        return result.IsOk ? TypedResults.NoContent() : Problems.NotDone(result, "delivery");
    }

    internal static async Task<IResult> Run(EngineHost engine, Func<DeliveryEngine, DateTimeOffset, List<IDomainEvent>, DeliveryResult> command)
    {
        var result = await engine.SendAsync((e, now, output) => e.AtDelivery(now, output, (d, o) => command(d, now, o)));
        return result.Outcome == Outcome.Ok ? TypedResults.NoContent() : Problems.NotDone(result, "delivery");
    }
}

/// <summary>Live feeds for couriers (SSE and WebSocket) and for the dispatcher's map.</summary>
public static class CourierStream
{
    public static async Task StreamAsync(string courierId, HttpContext http, EngineHost engine, CourierFeed feed, Observability.BrigadeMetrics metrics)
    {
        var ct = http.RequestAborted;
        if (await engine.QueryAsync((e, now) => e.Delivery.CourierOf(courierId, now)) is null)
        {
            await Problems.NotFound($"There is no courier '{courierId}'.").ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        using var changes = feed.Subscribe(courierId);
        using var counted = metrics.Subscribed("courier");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var view = await engine.QueryAsync((e, now) => e.Delivery.CourierOf(courierId, now));
                await http.Response.WriteAsync($"event: {(view?.Offer is null ? "courier" : "offer")}\ndata: {JsonSerializer.Serialize(view, ApiJsonContext.Default.CourierView)}\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                try { await changes.WaitAsync(wait.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { await http.Response.WriteAsync(": keep-alive\n\n", ct); }
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (EngineUnavailableException) { } // the engine is stopping or rebuilding: end the stream; the client reconnects
    }

    /// <summary>What a courier's socket is told of a position the engine could not take (rebuilding, stopping): send it again later.</summary>
    private static readonly byte[] NotTaken = "{\"error\":\"position not taken: the server is unavailable for a moment; send it again\",\"retryAfterSeconds\":1}"u8.ToArray();

    public static async Task WebSocketAsync(string courierId, HttpContext http, EngineHost engine, CourierFeed feed, CourierLocationLimiter limiter, Observability.BrigadeMetrics metrics)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await Problems.BadRequest("websocket-expected", "Open this endpoint as a WebSocket.").ExecuteAsync(http);
            return;
        }
        if (await engine.QueryAsync((e, now) => e.Delivery.CourierOf(courierId, now)) is null)
        {
            await Problems.NotFound($"There is no courier '{courierId}'.").ExecuteAsync(http);
            return;
        }
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        using var changes = feed.Subscribe(courierId);
        using var counted = metrics.Subscribed("courier-websocket");
        var sending = Task.Run(async () =>
        {
            try
            {
                while (!done.IsCancellationRequested)
                {
                    var view = await engine.QueryAsync((e, now) => e.Delivery.CourierOf(courierId, now));
                    await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(view, ApiJsonContext.Default.CourierView), WebSocketMessageType.Text, true, done.Token);
                    await changes.WaitAsync(done.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (WebSocketException) { }
            catch (InvalidOperationException)
            {
                // The engine cannot answer (stopping, or rebuilding after a failed write). Close, so the
                // client reconnects, rather than keep a socket open that will never tell it anything again.
                try { await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "updates unavailable; reconnect", CancellationToken.None); }
                catch (WebSocketException) { }
            }
        });
        var buffer = new byte[4096];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var message = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, done.Token);
                    if (received.MessageType == WebSocketMessageType.Close) break;
                    message.Write(buffer, 0, received.Count);
                    if (message.Length > 64 * 1024) throw new InvalidDataException("message too large");
                }
                while (!received.EndOfMessage);
                if (received.MessageType == WebSocketMessageType.Close) break;
                LocationPoint? point = null;
                try { point = JsonSerializer.Deserialize(message.ToArray(), ApiJsonContext.Default.LocationPoint); }
                catch (JsonException) { }
                if (!limiter.TryAcquire(courierId, out _))
                    await socket.SendAsync("{\"error\":\"too many positions; slow down\"}"u8.ToArray(), WebSocketMessageType.Text, true, done.Token);
                else if (point?.Lat is { } lat && point.Lon is { } lon && GeoPoint.IsValid(lat, lon))
                {
                    var taken = await engine.SendAsync((e, now, _) => { e.Delivery.ReportLocation(courierId, lat, lon, point.At ?? now, now); return EngineResult.Ok(); });
                    // The engine is rebuilding after a failed write (or stopping): the position was not
                    // kept. Say so, as HTTP answers 503 with Retry-After, or the app believes it sent.
                    if (taken.Outcome == Outcome.Unavailable)
                        await socket.SendAsync(NotTaken, WebSocketMessageType.Text, true, done.Token);
                }
                else
                    await socket.SendAsync(Encoding.UTF8.GetBytes("{\"error\":\"send {\\\"lat\\\": .., \\\"lon\\\": .., \\\"at\\\": ..} with a valid position\"}"), WebSocketMessageType.Text, true, done.Token);
            }
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        catch (InvalidDataException)
        {
            await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too large", CancellationToken.None);
        }
        await done.CancelAsync();
        await sending;
    }

    public static async Task DispatchStreamAsync(HttpContext http, EngineHost engine, Observability.BrigadeMetrics metrics)
    {
        var ct = http.RequestAborted;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        using var counted = metrics.Subscribed("dispatch");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var view = await engine.QueryAsync(CourierEndpoints.DispatchSnapshot);
                await http.Response.WriteAsync($"event: dispatch\ndata: {JsonSerializer.Serialize(view, ApiJsonContext.Default.DispatchView)}\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (EngineUnavailableException) { } // the engine is stopping or rebuilding: end the stream; the client reconnects
    }
}

/// <summary>Tells courier streams that a courier's events became durable (an offer, an assignment…).</summary>
public sealed class CourierFeed
{
    private readonly Dictionary<string, List<SemaphoreSlim>> _subscribers = new(StringComparer.Ordinal);

    public void OnCommitted(IReadOnlyList<Storage.CommittedEvent> batch)
    {
        lock (_subscribers)
        {
            if (_subscribers.Count == 0) return;
            foreach (var ce in batch)
            {
                var courier = ce.Event.Source switch
                {
                    ICourierEvent c => c.CourierId,
                    CourierAssigned a => a.CourierId,
                    OrderPickedUp p => p.CourierId,
                    OrderDelivered d => d.CourierId,
                    CourierUnassigned u => u.CourierId,
                    // An order that ends with a courier on it frees that courier without an event of theirs:
                    // the order as it stands after the commit names them.
                    Orders.OrderFailed or Orders.OrderCancelled or Orders.OrderRejected when ce.Event.State is Orders.Order { CourierId: { } held } => held,
                    _ => null,
                };
                if (courier is not null && _subscribers.TryGetValue(courier, out var list))
                    foreach (var s in list)
                        if (s.CurrentCount == 0) s.Release();
            }
        }
    }

    public Kitchen.KitchenFeed.Subscription Subscribe(string courierId)
    {
        var signal = new SemaphoreSlim(0);
        lock (_subscribers)
        {
            if (!_subscribers.TryGetValue(courierId, out var list)) _subscribers[courierId] = list = [];
            list.Add(signal);
        }
        return new Kitchen.KitchenFeed.Subscription(signal, () =>
        {
            lock (_subscribers) _subscribers[courierId].Remove(signal);
            signal.Dispose();
        });
    }
}

/// <summary>Pushes each followed order's courier position and ETA to its SSE subscribers, once a second.</summary>
public sealed partial class TrackingPublisher(EngineHost engine, Orders.OrderReadModel orders, ILogger<TrackingPublisher> log) : BackgroundService
{
    /// <summary>The clock of the rounds' timer: real time, or a test's that says when a round is due.</summary>
    internal TimeProvider Timers { get; init; } = TimeProvider.System;

    /// <summary>Called as each round starts, inside its error handling: where a test makes a round fail.</summary>
    internal Action? RoundStarting { get; init; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), Timers);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await timer.WaitForNextTickAsync(stoppingToken)) return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                RoundStarting?.Invoke();
                var followed = orders.SubscribedOrderIds.ToList();
                if (followed.Count == 0) continue;
                var (at, tracks) = await engine.QueryAsync((e, now) => (now, followed.Select(id => e.Delivery.Track(id, now)).OfType<Tracking>().ToList()));
                foreach (var t in tracks)
                    if (orders.Find(t.OrderId) is { } view)
                        orders.Publish(t.OrderId, new Orders.OrderUpdate(view.Order, "courierLocation", null, at, t));
            }
            catch (InvalidOperationException e)
            {
                LogTrackingSkipped(e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A failing round must not end the service: an unhandled exception here stops the host.
                // A cancellation is the end only when the service is stopping; one from within a round
                // (a query or write that gave up) is a failed round like any other.
                LogTrackingFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Tracking round skipped: {Reason}")]
    private partial void LogTrackingSkipped(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tracking round failed")]
    private partial void LogTrackingFailed(Exception error);
}
