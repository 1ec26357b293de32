using System.Collections.Concurrent;
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

    // Tokens already checked, by their exact text: the signature covers every byte, so the same text
    // is the same token. A hit skips the HMAC and both JSON parses; the clock checks still run.
    // Bounded: cleared when full (a client that sends a fresh token per request gains nothing and loses nothing).
    private readonly ConcurrentDictionary<string, TokenClaims> _checked = new(StringComparer.Ordinal);
    private const int CheckedLimit = 10_000;

    public (TokenClaims? Claims, string? Error) Validate(string token)
    {
        var now = _clock.GetUtcNow();
        if (_checked.TryGetValue(token, out var known))
        {
            if (now > known.ExpiresAt + Skew)
            {
                _checked.TryRemove(token, out _);
                return (null, "the token has expired");
            }
            if (now >= known.IssuedAt - Skew) return (known, null);
        }
        var (claims, error) = Jwt.Validate(token, _key, now, Skew);
        if (claims is not null)
        {
            if (_checked.Count >= CheckedLimit) _checked.Clear();
            _checked[token] = claims;
        }
        return (claims, error);
    }

    public static ClaimsPrincipal Principal(TokenClaims claims)
    {
        var list = new List<Claim> { new("sub", claims.Subject), new("role", claims.Role) };
        if (claims.OutletId is not null) list.Add(new Claim(Caller.OutletClaim, claims.OutletId));
        return new ClaimsPrincipal(new ClaimsIdentity(list, BearerAuthentication.SchemeName, "sub", "role"));
    }
}
