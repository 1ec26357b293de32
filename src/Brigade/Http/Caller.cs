using System.Security.Claims;

namespace Brigade.Http;

public static class Roles
{
    public const string Customer = "customer";
    public const string Staff = "staff";
    public const string Courier = "courier";
    public const string Admin = "admin";
}

/// <summary>Who is calling, from the bearer token: subject, role and, for staff, their outlet. Endpoints that need a token never see <see cref="Anonymous"/>.</summary>
public sealed record Caller(string Subject, string Role, string? OutletId)
{
    public const string OutletClaim = "outlet";
    public static readonly Caller Anonymous = new("anonymous", Roles.Customer, null);

    public bool IsAdmin => Role == Roles.Admin;

    public static Caller From(HttpContext http)
    {
        var user = http.User;
        if (user is Auth.BrigadePrincipal known) return known.Caller;
        if (user.Identity?.IsAuthenticated != true) return Anonymous;
        return new Caller(
            user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.FindFirstValue("sub") ?? "unknown",
            user.FindFirstValue(ClaimTypes.Role) ?? user.FindFirstValue("role") ?? Roles.Customer,
            user.FindFirstValue(OutletClaim));
    }
}
