using Brigade.Auth;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Http;
using Brigade.Orders;
using Brigade.Routing;

namespace Brigade.Routing;

public sealed record PauseRequest(string? Reason, bool? MoveQueued);

public sealed record OutletStatus(string OutletId, string RestaurantId, string Name, double Lat, double Lon, OutletHealth Health, TimeSpan? CourierEta, int OpenOrders);

public sealed record RoutePreview(string? ChosenOutletId, string Reason, IReadOnlyList<RouteCandidate> Candidates);

/// <summary>Outlets' health and the router: list, pause and resume, device heartbeats, simulated power cuts, route previews.</summary>
public static class OutletEndpoints
{
    public static RouteGroupBuilder MapOutlets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/outlets").WithTags("Outlets and routing").RequireAuthorization();

        group.MapGet("/", (EngineHost engine) => engine.QueryAsync((e, now) =>
                e.Catalog.Outlets.Select(o => Status(e, o, now)).ToList()))
            .AddEndpointFilter(Access.AdminOnly).WithName("ListOutlets").WithSummary("Every outlet with its health and courier availability").Produces<List<OutletStatus>>();
        group.MapGet("/{outletId}", async (string outletId, EngineHost engine) =>
                await engine.QueryAsync((e, now) => e.Catalog.FindOutlet(outletId) is { } o ? Status(e, o, now) : null) is { } status
                    ? Results.Ok(status) : Problems.NotFound($"There is no outlet '{outletId}'."))
            .AddEndpointFilter(Access.StaffOfRouteOutlet).WithName("GetOutlet").Produces<OutletStatus>();

        group.MapPost("/{outletId}/pause", (string outletId, PauseRequest? body, HttpContext http, EngineHost engine) =>
                Limits.BadText("reason", body?.Reason) is { } bad ? Task.FromResult(bad)
                    : Run(engine, (e, now, o) => e.PauseOutlet(outletId, Caller.From(http).Subject, body?.Reason ?? "", body?.MoveQueued ?? false, now, o)))
            .AddEndpointFilter(Access.StaffOfRouteOutlet).WithName("PauseOutlet").WithSummary("Stop new orders (staff, admin); with moveQueued, orders not yet started move to other outlets");
        group.MapPost("/{outletId}/resume", (string outletId, HttpContext http, EngineHost engine) =>
                Run(engine, (e, now, o) => e.ResumeOutlet(outletId, Caller.From(http).Subject, now, o)))
            .AddEndpointFilter(Access.StaffOfRouteOutlet).WithName("ResumeOutlet");
        group.MapPost("/{outletId}/heartbeat", (string outletId, EngineHost engine) =>
                Run(engine, (e, now, o) => e.OutletHeartbeat(outletId, now, o)))
            .AddEndpointFilter(Access.StaffOfRouteOutlet).WithName("OutletHeartbeat").WithSummary("A heartbeat from the outlet's device (outlets configured for device heartbeats)");
        group.MapPost("/{outletId}/power/cut", (string outletId, HttpContext http, EngineHost engine) =>
                Run(engine, (e, now, o) => e.SetOutletPower(outletId, false, Caller.From(http).Subject, now, o)))
            .AddEndpointFilter(Access.AdminOnly).WithName("CutPower").WithSummary("Simulate a power cut (admin): the outlet's heartbeats stop and it will be found silent");
        group.MapPost("/{outletId}/power/restore", (string outletId, HttpContext http, EngineHost engine) =>
                Run(engine, (e, now, o) => e.SetOutletPower(outletId, true, Caller.From(http).Subject, now, o)))
            .AddEndpointFilter(Access.AdminOnly).WithName("RestorePower");

        app.MapGet("/api/restaurants/{restaurantId}/route", (string restaurantId, double? lat, double? lon, string? items, EngineHost engine) =>
        {
            var lines = (items ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseLine).ToList();
            if (lines.Count == 0 || lines.Any(l => l is null))
                return Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["items"] = ["Give items as item:quantity, comma-separated, e.g. items=margherita:1,garlic-bread:2."] }));
            // The limits of placing the order: a preview is weighed on the engine thread, and anyone may ask for one.
            if (lines.Count > OrderRequestValidator.MaxLines)
                return Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["items"] = [$"At most {OrderRequestValidator.MaxLines} lines per order, not {lines.Count}."] }));
            if (lines.Sum(l => l!.Quantity) is var units && units > OrderRequestValidator.MaxUnits)
                return Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["items"] = [$"At most {OrderRequestValidator.MaxUnits} items in one order, not {units}."] }));
            GeoPoint? to = null;
            if (lat is not null || lon is not null)
            {
                if (lat is not { } la || lon is not { } lo || !GeoPoint.IsValid(la, lo))
                    return Task.FromResult(Problems.Invalid(new Dictionary<string, string[]> { ["position"] = ["lat and lon must both be given, within ±90 and ±180."] }));
                to = new GeoPoint(la, lo);
            }
            return Preview(restaurantId, to, lines!, engine);
        }).AllowAnonymous().WithTags("Outlets and routing").WithName("PreviewRoute")
            .WithSummary("Which outlet the router would choose for an order now, and why, with every candidate's estimate").Produces<RoutePreview>();
        return group;
    }

    private static Task<IResult> Preview(string restaurantId, GeoPoint? to, List<OrderLine?> lines, EngineHost engine) =>
        engine.QueryAsync((e, now) =>
        {
            if (e.Catalog.FindRestaurant(restaurantId) is not { } r) return Problems.NotFound($"There is no restaurant '{restaurantId}'.");
            if (lines.FirstOrDefault(l => r.FindItem(l!.MenuItemId) is null) is { } unknown)
                return Problems.Invalid(new Dictionary<string, string[]> { ["items"] = [$"{r.Id} has no menu item '{unknown.MenuItemId}'."] });
            var plan = e.Route(r, to, lines!, now);
            return TypedResults.Ok(new RoutePreview(plan.Ranked.Count > 0 ? plan.Ranked[0].Id : null, plan.Ranked.Count > 0 ? plan.Reason : plan.OutsideEveryZone ? "outside every delivery zone" : "no outlet can take it", plan.Candidates));
        });

    private static OrderLine? ParseLine(string text)
    {
        var parts = text.Split(':');
        var qty = parts.Length > 1 && int.TryParse(parts[1], out var q) ? q : parts.Length == 1 ? 1 : 0;
        return qty is >= 1 and <= OrderRequestValidator.MaxQuantity ? new OrderLine(parts[0].Trim(), qty) : null;
    }

    internal static OutletStatus Status(BrigadeEngine e, Catalog.Outlet o, DateTimeOffset now) =>
        new(o.Id, o.Restaurant.Id, o.Name, o.Location.Lat, o.Location.Lon, e.Router.HealthOf(o.Id, now), e.Delivery.CourierEtaTo(o.Id), e.KitchenOf(o.Id)!.OpenOrders);

    private static async Task<IResult> Run(EngineHost engine, Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult> command)
    {
        var result = await engine.SendAsync(command);
        return result.Outcome == Outcome.Ok ? TypedResults.NoContent() : Problems.NotDone(result, "outlet");
    }
}
