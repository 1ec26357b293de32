using System.Security.Claims;
using Brigade.Hosting;
using Brigade.Http;

namespace Brigade.Auth;

/// <summary>Issues and checks the server's tokens with its signing key.</summary>
public sealed class TokenService
{
    private readonly byte[] _key;
    private readonly TimeProvider _clock;

    public TokenService(byte[] key, TimeSpan skew, TimeProvider? clock = null)
    {
        _key = key;
        Skew = skew > Jwt.MaxSkew ? Jwt.MaxSkew : skew;
        _clock = clock ?? TimeProvider.System;
    }

    public static TokenService FromOptions(BrigadeOptions options, TimeProvider? clock = null) =>
        new(SigningKey.Resolve(options.Auth.SigningKey, options.DataDir), TimeSpan.FromSeconds(options.Auth.ClockSkewSeconds), clock);

    public TimeSpan Skew { get; }

    public string Issue(string role, string subject, string? outletId, TimeSpan lifetime)
    {
        var now = _clock.GetUtcNow();
        return Jwt.Issue(_key, new TokenClaims(subject, role, outletId, now, now + lifetime));
    }

    public (TokenClaims? Claims, string? Error) Validate(string token) => Jwt.Validate(token, _key, _clock.GetUtcNow(), Skew);

    public static ClaimsPrincipal Principal(TokenClaims claims)
    {
        var list = new List<Claim> { new("sub", claims.Subject), new("role", claims.Role) };
        if (claims.OutletId is not null) list.Add(new Claim(Caller.OutletClaim, claims.OutletId));
        return new ClaimsPrincipal(new ClaimsIdentity(list, BearerAuthentication.SchemeName, "sub", "role"));
    }
}
