using System.Globalization;
using Brigade.Engine;

namespace Brigade.Http;

/// <summary>
/// RFC 7807 answers. Every error the API gives is <c>application/problem+json</c> with a stable
/// <c>type</c> (urn:brigade:problem:…), a title, and a detail that says what was wrong.
/// </summary>
public static class Problems
{
    public static IResult Of(int status, string slug, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: "urn:brigade:problem:" + slug, extensions: extensions);

    public static IResult BadRequest(string slug, string detail) => Of(400, slug, "Bad request", detail);

    public static IResult NotFound(string what) => Of(404, "not-found", "Not found", what);

    public static IResult Conflict(string slug, string detail) => Of(409, slug, "Conflict", detail);

    public static IResult TooLarge(long limit) => Of(413, "body-too-large", "Request body too large", $"The body must be at most {limit} bytes.");

    public static IResult UnsupportedMediaType(string? got) =>
        Of(415, "unsupported-media-type", "Unsupported media type", $"Send the body as application/json, not '{got ?? "(none)"}'.");

    /// <summary>422 with one message per offending field, like ASP.NET's validation problems.</summary>
    public static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Of(422, "validation", "The request is invalid", string.Join(" ", errors.SelectMany(e => e.Value)),
            new Dictionary<string, object?> { ["errors"] = errors });

    public static IResult Unprocessable(string slug, string detail) => Of(422, slug, "The request cannot be processed", detail);

    /// <summary>
    /// An engine command that did not go through: 404; 409 for a state that forbids it
    /// (<c>{area}-state</c>) or a lease token that no longer holds; 503 with Retry-After while the
    /// engine cannot take commands; otherwise 422 (<c>{area}-refused</c>).
    /// </summary>
    public static IResult NotDone(EngineResult result, string area) => result.Outcome switch
    {
        Outcome.NotFound => NotFound(result.Message ?? "Not found."),
        Outcome.Stale => Conflict("stale-token", result.Message ?? "That token no longer holds the task."),
        Outcome.Conflict => Conflict(area + "-state", result.Message ?? "Conflict."),
        Outcome.Unavailable => Unavailable(result.Message ?? "The engine is not available.", TimeSpan.FromSeconds(2)),
        _ => Unprocessable(area + "-refused", result.Message ?? "Refused."),
    };

    /// <summary>429 with Retry-After in whole seconds (at least one).</summary>
    public static IResult TooManyRequests(string slug, string detail, TimeSpan retryAfter) =>
        new WithRetryAfter(Of(429, slug, "Too many requests", detail), retryAfter);

    public static IResult Unavailable(string detail, TimeSpan retryAfter) =>
        new WithRetryAfter(Of(503, "unavailable", "Service unavailable", detail), retryAfter);

    private sealed class WithRetryAfter(IResult inner, TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(http);
        }
    }
}
