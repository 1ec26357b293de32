using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Brigade.Http;

/// <summary>
/// Writes a problem the framework raises (binding, routing, status code pages, the exception
/// handler) as <c>application/problem+json</c> when the client's <c>Accept</c> leaves the default
/// writer out: an <c>EventSource</c> sends <c>text/event-stream</c>, a browser <c>text/html</c>,
/// and without this they got a plain-text "Status Code: 415" or an empty body. Registered after the
/// default writer, so it answers only the requests that one declines. The problems the endpoints
/// return themselves already fall back to JSON (<see cref="Problems"/>); an API's errors are
/// problem+json whatever was asked for.
/// </summary>
internal sealed class ProblemJsonWriter(IOptions<ProblemDetailsOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        if (!problem.Extensions.ContainsKey("traceId"))
            problem.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier;
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json", http.RequestAborted));
    }
}
