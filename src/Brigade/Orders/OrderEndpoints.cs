using System.Text.Json;
using Brigade.Auth;
using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Http;
using Brigade.Storage;

namespace Brigade.Orders;

/// <summary>The ordering API: place (idempotently), read, audit, follow by SSE, cancel, collect.</summary>
public static class OrderEndpoints
{
    public const int MaxBodyBytes = 64 * 1024;
    public const int DefaultListed = 50;
    public const int MaxListed = 200;

    public static RouteGroupBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orders").WithTags("Orders").RequireAuthorization();

        group.MapPost("/", PlaceAsync)
            .WithName("PlaceOrder")
            .WithSummary("Place an order (idempotent: send an Idempotency-Key header)")
            .Accepts<PlaceOrderRequest>("application/json")
            .Produces<OrderResponse>(StatusCodes.Status201Created)
            .ProducesProblem(400).ProducesProblem(409).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(429);

        group.MapGet("/", ListAsync).WithName("ListOrders")
            .WithSummary($"Orders, newest first: a customer's own, staff's outlet's; an admin may filter by customerId or outletId (limit 1–{MaxListed}, default {DefaultListed})")
            .Produces<List<OrderResponse>>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(422);

        group.MapGet("/{id}", GetAsync).WithName("GetOrder").WithSummary("An order's current state")
            .Produces<OrderResponse>().ProducesProblem(404);

        group.MapGet("/{id}/events", EventsAsync).WithName("GetOrderEvents").WithSummary("An order's full history: its audit trail")
            .Produces<List<AuditEntry>>().ProducesProblem(404);

        group.MapGet("/{id}/stream", OrderStream.StreamAsync).WithName("StreamOrder")
            .WithSummary("Server-Sent Events: the current state, then one event per change; honours Last-Event-ID")
            .Produces(200, contentType: "text/event-stream").Produces(204).ProducesProblem(404).DisableRequestTimeout();

        group.MapPost("/{id}/cancel", CancelAsync).WithName("CancelOrder").WithSummary("Cancel, allowed until cooking starts")
            .Produces<OrderResponse>().ProducesProblem(404).ProducesProblem(409);

        group.MapPost("/{id}/collect", CollectAsync).WithName("CollectOrder").WithSummary("Hand a ready pickup order over (staff)")
            .Produces<OrderResponse>().ProducesProblem(404).ProducesProblem(409);

        return group;
    }

    private static async Task<IResult> PlaceAsync(HttpContext http, RestaurantCatalog catalog, IdempotencyGate gate, EngineHost engine,
        Payments.PaymentCoordinator payments, OrderReadModel orders)
    {
        var request = http.Request;
        var caller = Caller.From(http);
        if (caller.Role is not (Roles.Customer or Roles.Admin)) return Access.Forbidden("Orders are placed by customers (or an admin).");
        if (!HttpBody.IsJson(request.ContentType)) return Problems.UnsupportedMediaType(request.ContentType);

        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0) return Problems.BadRequest("idempotency-key-missing", "Send an Idempotency-Key header (1–255 characters) so that a retry cannot place the order twice.");
        if (key.Length > 255 || key.Any(c => c < 0x20 || c > 0x7E))
            return Problems.BadRequest("idempotency-key-invalid", "The Idempotency-Key header must be 1–255 printable ASCII characters.");

        if (request.ContentLength > MaxBodyBytes) return Problems.TooLarge(MaxBodyBytes);
        var body = await HttpBody.ReadAsync(request, MaxBodyBytes, http.RequestAborted);
        if (body is null) return Problems.TooLarge(MaxBodyBytes);

        PlaceOrderRequest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, ApiJsonContext.Default.PlaceOrderRequest);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest("malformed-json", $"The body is not valid JSON for an order: {e.Message}");
        }
        if (parsed is null) return Problems.BadRequest("malformed-json", "The body must be a JSON object.");

        var (order, errors) = OrderRequestValidator.Validate(parsed, catalog);
        if (order is null) return Problems.Invalid(errors);

        var hash = order.Hash();
        var gateResult = await gate.EnterAsync(caller.Subject, key, hash);
        switch (gateResult.Outcome)
        {
            case IdempotencyGate.GateOutcome.Mismatch:
                return Problems.Unprocessable("idempotency-key-reused", IdempotencyGate.ReusedMessage);
            case IdempotencyGate.GateOutcome.Busy:
                return Problems.Conflict("idempotency-key-busy", "Another request with this Idempotency-Key is still being processed; retry shortly.");
            case IdempotencyGate.GateOutcome.Replay:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                var existing = await FindAsync(gateResult.OrderId!, http.RequestServices);
                return existing is null
                    ? Problems.Conflict("idempotency-key-busy", "The order for this key is being recorded; retry shortly.")
                    : Render(existing, orders, StatusCodes.Status201Created, caller);
        }

        var claim = gateResult.Claim!;
        string? placedId = null;
        try
        {
            var orderId = Ids.NewOrderId();
            var handoff = order.DeliverTo is null ? null : Ids.NewHandoffCode();
            var result = await engine.SendAsync((e, now, output) =>
                // A rebuild of the engine since this key was claimed may have found an order with it in the
                // log: one whose commit was answered as failed but reached the disk. That order is the answer.
                gate.Placed(caller.Subject, key) is { } placed && e.Orders.TryGetValue(placed.OrderId, out var existing)
                    ? placed.Hash == hash ? EngineResult.Ok(existing) : new EngineResult(Outcome.Invalid, IdempotencyGate.ReusedMessage, Code: "idempotency-key-reused")
                    : e.PlaceOrder(new PlaceOrder(orderId, order.RestaurantId, order.OutletId, order.Lines, order.DeliverTo,
                        caller.Subject, key, hash, handoff, payments.Requires(order.RestaurantId)), now, output));
            if (result.IsOk) placedId = result.Order!.Id;
            if (placedId is not null && placedId != orderId) http.Response.Headers["Idempotent-Replayed"] = "true";
            if (result.IsOk && result.Order!.Payment == Brigade.Payments.PaymentStatus.Pending) await payments.RequestAsync(result.Order, CancellationToken.None);
            return result.Outcome switch
            {
                Outcome.Ok => Render(result.Order!, orders, StatusCodes.Status201Created, caller),
                Outcome.Refused => Problems.TooManyRequests("outlet-full", $"The kitchen cannot take this order now: {result.Message}.",
                    engine.Clock.ToReal(result.RetryAfter)),
                Outcome.Unavailable when result.Code is not null => Problems.Conflict(result.Code, result.Message!),
                Outcome.Unavailable => Problems.Unavailable(result.Message ?? "The engine is not available.", TimeSpan.FromSeconds(2)),
                _ => Problems.Unprocessable(result.Code ?? "order-refused", result.Message ?? "The order cannot be placed."),
            };
        }
        finally
        {
            claim.Complete(placedId);
        }
    }

    /// <summary>
    /// The order-summary read model, newest first, with the state in memory for orders still open.
    /// The table follows the log a batch behind, so the orders placed since the position it is known
    /// to hold are merged from memory: an order whose 201 went out is listed. Whose orders follows
    /// from the token; the filters only narrow what the caller may see.
    /// </summary>
    private static async Task<IResult> ListAsync(string? customerId, string? outletId, string? limit, HttpContext http, OrderReadModel orders,
        IReadModelStore readModels, SummaryProjector projector, CancellationToken ct)
    {
        if (!QueryLimit.TryParse(limit, DefaultListed, MaxListed, out var take, out var problem)) return problem;
        var caller = Caller.From(http);
        if (!string.IsNullOrEmpty(customerId) && !string.IsNullOrEmpty(outletId))
            return Problems.BadRequest("orders-query", "Filter by customerId or by outletId, not both.");
        switch (caller.Role)
        {
            case Roles.Customer:
                if (!string.IsNullOrEmpty(outletId) || (!string.IsNullOrEmpty(customerId) && customerId != caller.Subject))
                    return Access.Forbidden("A customer lists their own orders only.");
                customerId = caller.Subject;
                break;
            case Roles.Staff:
                if (!string.IsNullOrEmpty(customerId) || (!string.IsNullOrEmpty(outletId) && outletId != caller.OutletId) || caller.OutletId is null)
                    return Access.Forbidden("Staff list their own outlet's orders only.");
                outletId = caller.OutletId;
                break;
            case Roles.Admin:
                break;
            default:
                return Access.Forbidden("Couriers follow their orders through the courier API.");
        }
        customerId = NullIfEmpty(customerId);
        outletId = NullIfEmpty(outletId);
        // No customer or outlet id holds U+0000 (token subjects are ids of letters, digits, '-' and '_'),
        // and PostgreSQL's text cannot hold it: the query would fail. None match.
        if ((customerId?.Contains('\0', StringComparison.Ordinal) ?? false) || (outletId?.Contains('\0', StringComparison.Ordinal) ?? false))
            return TypedResults.Ok(new List<OrderResponse>());
        // Read before the rows: they hold at least every order placed up to this position.
        var saved = projector.SavedCheckpoint;
        var rows = await readModels.ListSummariesAsync(customerId, outletId, take, ct);
        var found = new List<Order>(rows.Count);
        foreach (var row in rows)
        {
            var order = orders.Find(row.Id)?.Order ?? JsonSerializer.Deserialize(row.Body, EventJsonContext.Default.Order);
            // The filter is on the row; the order in memory may have moved on (to another outlet, say).
            if (order is not null && Access.CanSee(caller, order)) found.Add(order);
        }

        var recent = new List<Order>();
        // Rarely (starting, the projector behind by more than the ring, a rebuild): every order in memory.
        var candidates = orders.TryPlacedAfter(saved, recent) ? recent : orders.All;
        HashSet<string>? listedIds = null;
        var merged = false;
        foreach (var order in candidates)
        {
            if ((customerId is not null && order.CustomerId != customerId) || (outletId is not null && order.OutletId != outletId) || !Access.CanSee(caller, order)) continue;
            listedIds ??= rows.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            if (!listedIds.Add(order.Id)) continue;
            found.Add(order);
            merged = true;
        }
        if (merged) found = [.. found.OrderByDescending(o => o.Timeline.PlacedAt).Take(take)];

        var listed = new List<OrderResponse>(found.Count);
        foreach (var order in found) listed.Add(OrderResponse.From(OrderResponse.For(caller, order)));
        return TypedResults.Ok(listed);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static async Task<IResult> GetAsync(string id, HttpContext http, OrderReadModel orders)
    {
        var caller = Caller.From(http);
        if (orders.Find(id) is { } view)
        {
            if (!Access.CanSee(caller, view.Order)) return Problems.NotFound($"There is no order '{id}'.");
            var etag = $"\"{view.Order.Version}\"";
            http.Response.Headers.ETag = etag;
            if (http.Request.Headers.IfNoneMatch == etag) return TypedResults.StatusCode(304);
            return ReferenceEquals(OrderResponse.For(caller, view.Order), view.Order)
                ? new JsonBytes(StatusCodes.Status200OK, view.Json)
                : Render(view.Order, orders, StatusCodes.Status200OK, caller);
        }
        var order = await FindAsync(id, http.RequestServices);
        return order is null || !Access.CanSee(caller, order) ? Problems.NotFound($"There is no order '{id}'.") : Render(order, orders, StatusCodes.Status200OK, caller);
    }

    private static async Task<IResult> EventsAsync(string id, HttpContext http, IEventStore store, CancellationToken ct)
    {
        var caller = Caller.From(http);
        if (await FindAsync(id, http.RequestServices) is not { } order || !Access.CanSee(caller, order)) return Problems.NotFound($"There is no order '{id}'.");
        var events = await store.ReadByOrderAsync(id, ct);
        if (events.Count == 0) return Problems.NotFound($"There is no order '{id}'.");
        var withHandoffCode = Access.CanSeeHandoffCode(caller, order);
        return TypedResults.Ok(events.Select(e => new AuditEntry(e.Position, e.StreamId, e.Version, e.Type, e.At, AuditData(e, withHandoffCode))).ToList());
    }

    /// <summary>An event of the audit trail; the order's placing without its handoff code for a caller who may not see it.</summary>
    private static JsonElement AuditData(StoredEvent e, bool withHandoffCode)
    {
        if (withHandoffCode || e.Type != nameof(OrderPlaced) || EventSerializer.Deserialize(e) is not OrderPlaced { HandoffCode: not null } placed)
            return EventSerializer.ToJson(e);
        using var doc = JsonDocument.Parse(EventSerializer.ToWrite(placed with { HandoffCode = null }).Data);
        return doc.RootElement.Clone();
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext http, EngineHost engine)
    {
        var caller = Caller.From(http);
        if (await FindAsync(id, http.RequestServices) is not { } order || !Access.CanSee(caller, order)) return Problems.NotFound($"There is no order '{id}'.");
        if (caller.Role == Roles.Courier) return Access.Forbidden("A courier cannot cancel an order.");
        return await Respond(id, http, engine.SendAsync((e, now, output) => e.CancelOrder(id, "cancelled by " + caller.Role, caller.Subject, now, output)));
    }

    private static async Task<IResult> CollectAsync(string id, HttpContext http, EngineHost engine)
    {
        var caller = Caller.From(http);
        if (await FindAsync(id, http.RequestServices) is not { } order || !Access.CanSee(caller, order)) return Problems.NotFound($"There is no order '{id}'.");
        if (caller.Role is not (Roles.Staff or Roles.Admin)) return Access.Forbidden("Only the outlet's staff hand an order over the counter.");
        return await Respond(id, http, engine.SendAsync((e, now, output) => e.CollectOrder(id, now, output)));
    }

    private static async Task<IResult> Respond(string id, HttpContext http, Task<EngineResult> pending)
    {
        var result = await pending;
        switch (result.Outcome)
        {
            case Outcome.Ok:
                return Render(result.Order!, http.RequestServices.GetRequiredService<OrderReadModel>(), StatusCodes.Status200OK, Caller.From(http));
            case Outcome.Conflict:
                return Problems.Conflict("order-state", result.Message!);
            case Outcome.NotFound:
                // The engine forgets ended orders; the read side still knows them.
                var order = await FindAsync(id, http.RequestServices);
                return order is null
                    ? Problems.NotFound($"There is no order '{id}'.")
                    : Problems.Conflict("order-state", $"Order {id} is {StatusNames.Of(order.Status)} and can no longer change.");
            default:
                return Problems.NotDone(result, "order");
        }
    }

    /// <summary>
    /// The order's API JSON, 201 with its Location or 200. When the read model holds this very state
    /// (it adopts the engine's order as each commit becomes durable) and a reader has rendered it
    /// already, that rendering is reused. The 201 alone does not keep one: most open orders are
    /// never read again, and a rendering held by each is heap the collector copies (a fifth of
    /// what every order promoted to older generations, docs/benchmarks.md).
    /// </summary>
    private static JsonBytes Render(Order order, OrderReadModel orders, int status, Caller caller)
    {
        order = OrderResponse.For(caller, order);
        var json = (orders.Find(order.Id) is { } view && ReferenceEquals(view.Order, order) ? view.RenderedJson : null) ?? OrderResponse.Serialize(order);
        return new JsonBytes(status, json, status == StatusCodes.Status201Created ? $"/api/orders/{order.Id}" : null);
    }

    /// <summary>An order from memory, or from the summary table once it has left memory.</summary>
    internal static async Task<Order?> FindAsync(string id, IServiceProvider services)
    {
        if (services.GetRequiredService<OrderReadModel>().Find(id) is { } view) return view.Order;
        var row = await services.GetRequiredService<IReadModelStore>().GetSummaryAsync(id);
        return row is null ? null : JsonSerializer.Deserialize(row.Body, EventJsonContext.Default.Order);
    }
}
