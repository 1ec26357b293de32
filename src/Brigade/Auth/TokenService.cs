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
        // The same bounds Jwt.Validate applies, so a remembered token expires when a fresh check says it does.
        Skew = skew > Jwt.MaxSkew ? Jwt.MaxSkew : skew < TimeSpan.Zero ? TimeSpan.Zero : skew;
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
    // is the same token. A hit skips the HMAC and both JSON parses and hands back the principal made
    // the first time (nothing changes it), so a request with a known token allocates nothing here;
    // the clock checks still run. Bounded: cleared when full (a client that sends a fresh token per
    // request gains nothing and loses nothing).
    private readonly ConcurrentDictionary<string, BrigadePrincipal> _checked = new(StringComparer.Ordinal);
    private const int CheckedLimit = 10_000;

    public (BrigadePrincipal? Principal, string? Error) Validate(ReadOnlySpan<char> token)
    {
        var now = _clock.GetUtcNow();
        var known = _checked.GetAlternateLookup<ReadOnlySpan<char>>();
        if (known.TryGetValue(token, out var principal))
        {
            if (now - Skew > principal.Token.ExpiresAt)
            {
                known.TryRemove(token, out _);
                return (null, "the token has expired");
            }
            if (now + Skew >= principal.Token.IssuedAt) return (principal, null);
        }
        var text = token.ToString();
        var (claims, error) = Jwt.Validate(text, _key, now, Skew);
        if (claims is null) return (null, error);
        if (_checked.Count >= CheckedLimit) _checked.Clear();
        principal = new BrigadePrincipal(claims);
        _checked[text] = principal;
        return (principal, null);
    }
}

/// <summary>
/// The caller a checked token stands for, as ASP.NET Core's principal (claims <c>sub</c>, <c>role</c>
/// and, for staff, <c>outlet</c>) and as the <see cref="Http.Caller"/> the endpoints use.
/// </summary>
public sealed class BrigadePrincipal : ClaimsPrincipal
{
    public BrigadePrincipal(TokenClaims claims)
        : base(new ClaimsIdentity(ClaimsOf(claims), BearerAuthentication.SchemeName, "sub", "role"))
    {
        Token = claims;
        Caller = new Caller(claims.Subject, claims.Role, claims.OutletId);
        ClientKey = "sub:" + claims.Subject;
    }

    public TokenClaims Token { get; }
    public Caller Caller { get; }

    /// <summary>Whose rate-limit bucket this caller's requests draw from.</summary>
    public string ClientKey { get; }

    private static List<Claim> ClaimsOf(TokenClaims claims)
    {
        var list = new List<Claim> { new("sub", claims.Subject), new("role", claims.Role) };
        if (claims.OutletId is not null) list.Add(new Claim(Caller.OutletClaim, claims.OutletId));
        return list;
    }
}
