using System.Security.Cryptography;
using Brigade.Hosting;
using Brigade.Http;

namespace Brigade.Auth;

public sealed record TokenResponse(string Token, string Subject, string Role, DateTimeOffset ExpiresAt);

/// <summary><c>POST /api/auth/guest</c>: a short-lived customer token with a fresh subject, for people ordering from the dashboard.</summary>
public static class AuthEndpoints
{
    public const string GuestPolicy = "guest-tokens";

    public static void MapAuth(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/guest", (BrigadeOptions options, TokenService tokens) =>
        {
            if (!options.Auth.GuestTokens) return Problems.Of(403, "guest-tokens-disabled", "Forbidden", "This server does not issue guest tokens; ask for a token.");
            var subject = "guest-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
            var lifetime = TimeSpan.FromMinutes(Math.Clamp(options.Auth.GuestTokenMinutes, 1, 24 * 60));
            var token = tokens.Issue(Roles.Customer, subject, null, lifetime);
            return TypedResults.Ok(new TokenResponse(token, subject, Roles.Customer, DateTimeOffset.UtcNow + lifetime));
        }).AllowAnonymous().RequireRateLimiting(GuestPolicy).WithTags("Auth").WithName("GuestToken")
            .WithSummary("A short-lived customer token with a new random subject (anonymous; rate-limited per address)")
            .Produces<TokenResponse>().ProducesProblem(429);
    }
}
