using Brigade.Http;
using Brigade.Orders;

namespace Brigade.Auth;

/// <summary>
/// Authorisation per object. Customers see their own orders only (anyone else's is "not found"),
/// staff act on their outlet only, couriers on themselves and the orders assigned to them, and
/// administrators on everything.
/// </summary>
public static class Access
{
    public const string Authenticated = "authenticated";
    public const string Admin = "admin";

    public static IResult Forbidden(string detail) => Problems.Of(403, "forbidden", "Forbidden", detail);

    public static bool CanSee(Caller caller, Order order) => caller.Role switch
    {
        Roles.Admin => true,
        Roles.Customer => order.CustomerId == caller.Subject,
        Roles.Staff => caller.OutletId is not null && order.OutletId == caller.OutletId,
        Roles.Courier => order.CourierId == caller.Subject,
        _ => false,
    };

    /// <summary>
    /// The handoff code proves at the door that the courier met the customer, so it is the customer's
    /// (and an administrator's) only: the courier must be given it, and the outlet has no use for it.
    /// </summary>
    public static bool CanSeeHandoffCode(Caller caller, Order order) => caller.Role switch
    {
        Roles.Admin => true,
        Roles.Customer => order.CustomerId == caller.Subject,
        _ => false,
    };

    public static bool IsStaffOf(Caller caller, string outletId) => caller.IsAdmin || (caller.Role == Roles.Staff && caller.OutletId == outletId);

    public static bool IsCourier(Caller caller, string courierId) => caller.IsAdmin || (caller.Role == Roles.Courier && caller.Subject == courierId);

    /// <summary>Endpoint filter: only staff of the outlet in the route (<c>{outletId}</c>), or an admin.</summary>
    public static async ValueTask<object?> StaffOfRouteOutlet(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var outlet = ctx.HttpContext.Request.RouteValues["outletId"] as string ?? "";
        if (!IsStaffOf(Caller.From(ctx.HttpContext), outlet)) return Forbidden($"Only staff of outlet '{outlet}' (or an admin) may do this.");
        return await next(ctx);
    }

    /// <summary>Endpoint filter: only the courier in the route (<c>{courierId}</c>), or an admin.</summary>
    public static async ValueTask<object?> CourierOfRoute(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var courier = ctx.HttpContext.Request.RouteValues["courierId"] as string ?? "";
        if (!IsCourier(Caller.From(ctx.HttpContext), courier)) return Forbidden($"Only courier '{courier}' (or an admin) may do this.");
        return await next(ctx);
    }

    /// <summary>Endpoint filter: administrators only.</summary>
    public static async ValueTask<object?> AdminOnly(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        if (!Caller.From(ctx.HttpContext).IsAdmin) return Forbidden("Only an administrator may do this.");
        return await next(ctx);
    }
}
