using System.Threading.RateLimiting;
using Brigade.Auth;
using Brigade.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;

namespace Brigade.Http;

/// <summary>
/// What one client may ask of the server: requests per second (per token subject, or per address
/// when anonymous), answered 429 with Retry-After when exceeded; body size (413); a time limit per
/// request (streams excepted). JSON depth is limited by the serializer options, array sizes by each
/// request's validation.
/// </summary>
public static class Limits
{
    /// <summary>The longest free text a client may store in the log: a name, a pause reason.</summary>
    public const int MaxTextLength = 200;

    /// <summary>
    /// A 422 naming <paramref name="field"/> when its text is longer than <see cref="MaxTextLength"/>,
    /// or holds the character U+0000 (which PostgreSQL cannot store); else null.
    /// </summary>
    public static IResult? BadText(string field, string? text) => text switch
    {
        { Length: > MaxTextLength } => Problems.Invalid(new Dictionary<string, string[]> { [field] = [$"At most {MaxTextLength} characters, not {text.Length}."] }),
        not null when text.Contains('\0', StringComparison.Ordinal) => Problems.Invalid(new Dictionary<string, string[]> { [field] = ["The character U+0000 is not allowed."] }),
        _ => null,
    };

    public static void AddBrigadeLimits(this IServiceCollection services, LimitsOptions limits)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (ctx, _) =>
            {
                var retry = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var r) ? r : TimeSpan.FromSeconds(1);
                return new ValueTask(Problems.TooManyRequests("rate-limited", "Too many requests from this client; slow down and retry after the time in Retry-After.", retry)
                    .ExecuteAsync(ctx.HttpContext));
            };
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Request.Path.StartsWithSegments("/api")
                    ? RateLimitPartition.GetTokenBucketLimiter(ClientKey(http), _ => Bucket(limits.RequestsPerSecond, limits.Burst))
                    : RateLimitPartition.GetNoLimiter("not-api"));
            o.AddPolicy(AuthEndpoints.GuestPolicy, http => RateLimitPartition.GetFixedWindowLimiter(Address(http), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.GuestTokensPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
        });
        services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = TimeSpan.FromSeconds(limits.RequestTimeoutSeconds),
            TimeoutStatusCode = StatusCodes.Status408RequestTimeout,
            WriteTimeoutResponse = http => Problems.Of(408, "request-timeout", "Request timeout",
                $"The request did not complete within {limits.RequestTimeoutSeconds} s; it may be retried (with the same Idempotency-Key for orders).").ExecuteAsync(http),
        });
        services.AddSingleton(new CourierLocationLimiter(limits));
    }

    /// <summary>Body size first (413 before anything reads it), then authentication, rate limits, authorisation and timeouts.</summary>
    public static void UseBrigadeLimits(this WebApplication app, LimitsOptions limits)
    {
        if (limits.TrustedProxies.Count > 0)
        {
            // Behind a reverse proxy every client arrives from the proxy's address: without this, all
            // anonymous clients would share one rate limit. Only the named proxies are believed.
            var forwarded = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
                ForwardLimit = null,
            };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in limits.TrustedProxyNetworks()) forwarded.KnownIPNetworks.Add(network);
            app.UseForwardedHeaders(forwarded);
        }
        var max = limits.MaxBodyBytes;
        app.Use((http, next) =>
        {
            if (http.Request.ContentLength > max) return Problems.TooLarge(max).ExecuteAsync(http);
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = max;
            return next(http);
        });
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseRequestTimeouts();
    }

    public static TokenBucketRateLimiterOptions Bucket(double perSecond, int burst)
    {
        // Below one per second, one token comes back every 1/rate seconds. Both are validated positive (LimitsOptions.Validate).
        return perSecond >= 1
            ? new TokenBucketRateLimiterOptions { TokenLimit = burst, TokensPerPeriod = (int)Math.Ceiling(perSecond), ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true }
            : new TokenBucketRateLimiterOptions { TokenLimit = burst, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(1 / perSecond), QueueLimit = 0, AutoReplenishment = true };
    }

    /// <summary>The token's subject; an anonymous client is its address.</summary>
    public static string ClientKey(HttpContext http) =>
        http.User is BrigadePrincipal known ? known.ClientKey
        : http.User.Identity?.IsAuthenticated == true ? "sub:" + Caller.From(http).Subject : Address(http);

    private static string Address(HttpContext http) => "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}

/// <summary>Each courier's position reports (HTTP requests and WebSocket messages alike) share one token bucket.</summary>
public sealed class CourierLocationLimiter(LimitsOptions limits) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(courierId =>
        RateLimitPartition.GetTokenBucketLimiter(courierId, _ => Limits.Bucket(limits.CourierLocationsPerSecond, limits.CourierLocationBurst)));

    public bool TryAcquire(string courierId, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(courierId);
        if (lease.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var r) ? r : TimeSpan.FromSeconds(1);
        return false;
    }

    public void Dispose() => _limiter.Dispose();
}
