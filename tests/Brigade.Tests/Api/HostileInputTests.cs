using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>
/// Every endpoint the server maps, taken from its route table (so a new one is covered the day it
/// is added), fed input no client should send: odd route values, broken or mistyped bodies, the
/// wrong media type, bad query values. Bad input is the client's problem, so each answer must be a
/// 4xx (or a 2xx where the input is harmless), never a 5xx and never a hang, and every error must be
/// <c>application/problem+json</c>.
/// </summary>
public partial class HostileInputTests
{
    private static readonly string[] RouteValues =
    [
        "nope",
        new string('x', 300),
        "%0A",
        "%F0%9F%8D%95%C3%BC",
        "..%2F..%2Fetc",
        "-1",
        "99999999999999999999",
        "%20",
    ];

    private static readonly (string Body, string ContentType)[] Bodies =
    [
        ("", "application/json"),
        ("{", "application/json"),
        ("null", "application/json"),
        ("[]", "application/json"),
        ("\"text\"", "application/json"),
        ("{}", "application/json"),
        ("""{"lat":"north","lon":[],"reason":7,"chefId":{},"token":"x","skills":"pizza","items":{}}""", "application/json"),
        ("""{"lat":1e400,"lon":-1e400,"token":1e400,"quantity":1e400}""", "application/json"),
        (new string('[', 200) + new string(']', 200), "application/json"),
        ("""{"reason":"a"}""", "text/plain"),
        ("\u00ff\u00fe", "application/json"),
    ];

    private static readonly string[] Queries = ["?limit=-1", "?limit=abc", "?limit=99999999999", "?since=yesterday", "?orderId=", "?items=::", "?items=margherita:-5", "?lat=x&lon=y"];

    [Fact]
    public async Task No_endpoint_answers_bad_input_with_a_server_error_or_a_body_that_is_not_a_problem()
    {
        await using var app = await TestApp.StartAsync();
        var endpoints = app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .Distinct()
            .ToList();
        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} endpoints mapped");

        var failures = new List<string>();
        var sent = 0;
        foreach (var (method, pattern) in endpoints)
        {
            var parameters = Parameter().Count(pattern);
            // A stream with nothing in its path to get wrong would (rightly) stream forever.
            if (parameters == 0 && IsStream(pattern)) continue;

            var requests = new List<(string Url, string? Body, string? ContentType)>();
            if (parameters > 0)
                foreach (var value in RouteValues) requests.Add((Fill(pattern, value), method == "POST" ? "{}" : null, "application/json"));
            var url = Fill(pattern, "nope");
            if (method == "POST")
                foreach (var (body, type) in Bodies) requests.Add((url, body, type));
            else if (!IsStream(pattern))
                foreach (var q in Queries) requests.Add((url + q, null, null));

            foreach (var (target, body, type) in requests)
            {
                sent++;
                var (status, mediaType) = await SendAsync(app.Client, method, target, body, type);
                if (status is null) failures.Add($"{method} {target} [{Describe(body)}]: no answer within 10 s");
                else if (status >= 500) failures.Add($"{method} {target} [{Describe(body)}]: {status}");
                else if (status >= 400 && mediaType != "application/problem+json") failures.Add($"{method} {target} [{Describe(body)}]: {status} as {mediaType ?? "no body"}");
            }
        }
        Assert.True(sent > 500, $"only {sent} requests sent");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("/api/outlets/pizza-north/kitchen/chefs", """{"id":"x","skills":["pizza"],"speed":"fast"}""", "$.speed")]
    [InlineData("/api/outlets/pizza-north/kitchen/tasks/1/bump", """{"token":"seven"}""", "$.token")]
    [InlineData("/api/couriers/ann/shift/start", """{"lat":52.5,"lon":13.4""", "LineNumber")]
    public async Task A_body_the_framework_cannot_read_gets_a_400_that_says_where_it_is_wrong(string url, string body, string where)
    {
        await using var app = await TestApp.StartAsync();

        using var response = await app.Client.PostAsync(url, TestApp.Json(body));

        var problem = await ProblemAssert.IsProblem(response, 400);
        Assert.Contains(where, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/event-stream")]
    [InlineData("text/html")]
    [InlineData("image/png")]
    public async Task A_problem_the_framework_raises_is_problem_json_whatever_the_client_accepts(string accept)
    {
        await using var app = await TestApp.StartAsync();
        var requests = new (HttpMethod Method, string Url, string? Body, string? ContentType, int Status)[]
        {
            (HttpMethod.Post, "/api/couriers/ann/shift/start", """{"lat":52.5}""", "text/plain", 415),
            (HttpMethod.Post, "/api/couriers/ann/shift/start", """{"lat":52.5""", "application/json", 400),
            (HttpMethod.Get, "/api/no-such-thing", null, null, 404),
            (HttpMethod.Delete, "/api/restaurants", null, null, 405),
        };
        foreach (var (method, url, body, contentType, status) in requests)
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.ParseAdd(accept);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType!);

            using var response = await app.Client.SendAsync(request);

            await ProblemAssert.IsProblem(response, status);
        }
    }

    private static async Task<(int? Status, string? MediaType)> SendAsync(HttpClient client, string method, string url, string? body, string? contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }
        if (url.StartsWith("/api/orders", StringComparison.Ordinal) && method == "POST") request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException)
        {
            return (null, null);
        }
    }

    private static bool IsStream(string pattern) => pattern.EndsWith("/stream", StringComparison.Ordinal) || pattern.EndsWith("/ws", StringComparison.Ordinal);

    private static string Fill(string pattern, string value) => Parameter().Replace(pattern, value).TrimEnd('/') is { Length: > 0 } url ? url : "/";

    private static string Describe(string? body) => body is null ? "no body" : body.Length > 40 ? body[..40] + "…" : body;

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
