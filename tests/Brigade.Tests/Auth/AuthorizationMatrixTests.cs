using System.Net;
using System.Net.Http.Json;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Auth;

/// <summary>
/// Every endpoint against every kind of caller: anonymous, two customers, staff of two outlets, two
/// couriers and an administrator. Customers see only their own orders (others' are 404), staff act
/// only at their outlet, couriers only as themselves, admins everywhere.
/// </summary>
public class AuthorizationMatrixTests
{
    private enum Who { Anonymous, Customer1, Customer2, Staff1, Staff2, Courier1, Courier2, Admin }

    /// <summary>Allowed: anything but 401/403 (and, where others get 404, not 404). Hidden: 404. Forbidden: 403.</summary>
    private enum Expect { Allowed, Hidden, Forbidden, Unauthenticated }

    /// <param name="SeeButMayNot">Callers who may see the object but not do this: 403.</param>
    private sealed record Row(string Method, string Pattern, string Url, string? Body, Who[] Allowed, Expect Denied, bool Stream = false, Who[]? SeeButMayNot = null);

    private static readonly Who[] Everyone = [Who.Anonymous, Who.Customer1, Who.Customer2, Who.Staff1, Who.Staff2, Who.Courier1, Who.Courier2, Who.Admin];
    private static readonly Who[] Tokens = [Who.Customer1, Who.Customer2, Who.Staff1, Who.Staff2, Who.Courier1, Who.Courier2, Who.Admin];

    private static List<Row> Rows(string order) =>
    [
        // Public: the catalog, health, metrics, the API description, guest tokens.
        new("GET", "/api/restaurants/", "/api/restaurants", null, Everyone, Expect.Allowed),
        new("GET", "/api/restaurants/{id}", "/api/restaurants/pizza-parlor", null, Everyone, Expect.Allowed),
        new("GET", "/api/restaurants/{id}/menu", "/api/restaurants/pizza-parlor/menu", null, Everyone, Expect.Allowed),
        new("GET", "/api/restaurants/{restaurantId}/route", "/api/restaurants/pizza-parlor/route?items=margherita:1", null, Everyone, Expect.Allowed),
        new("GET", "/health/live", "/health/live", null, Everyone, Expect.Allowed),
        new("GET", "/health/ready", "/health/ready", null, Everyone, Expect.Allowed),
        new("GET", "/metrics", "/metrics", null, Everyone, Expect.Allowed),
        new("GET", "/openapi/v1.json", "/openapi/v1.json", null, Everyone, Expect.Allowed),
        new("POST", "/api/auth/guest", "/api/auth/guest", null, Everyone, Expect.Allowed),
        // Orders: customers place; the order's customer, its outlet's staff and admins see it.
        new("POST", "/api/orders/", "/api/orders", """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""",
            [Who.Customer1, Who.Customer2, Who.Admin], Expect.Forbidden),
        // Listing: each customer their own, each outlet's staff theirs (tested in OrderListTests); couriers use the courier API.
        new("GET", "/api/orders/", "/api/orders", null, [Who.Customer1, Who.Customer2, Who.Staff1, Who.Staff2, Who.Admin], Expect.Forbidden),
        new("GET", "/api/orders/{id}", $"/api/orders/{order}", null, [Who.Customer1, Who.Staff1, Who.Admin], Expect.Hidden),
        new("GET", "/api/orders/{id}/events", $"/api/orders/{order}/events", null, [Who.Customer1, Who.Staff1, Who.Admin], Expect.Hidden),
        new("GET", "/api/orders/{id}/stream", $"/api/orders/{order}/stream", null, [Who.Customer1, Who.Staff1, Who.Admin], Expect.Hidden, Stream: true),
        new("POST", "/api/orders/{id}/collect", $"/api/orders/{order}/collect", null, [Who.Staff1, Who.Admin], Expect.Hidden, SeeButMayNot: [Who.Customer1]),
        new("POST", "/api/orders/{id}/cancel", $"/api/orders/{order}/cancel", null, [Who.Customer1, Who.Staff1, Who.Admin], Expect.Hidden),
        // The kitchen display: staff of that outlet.
        .. Kitchen("GET", "", null, stream: false),
        .. Kitchen("GET", "/stream", null, stream: true),
        .. Kitchen("POST", "/tasks/{taskId:long}/start", """{"chefId":"nobody"}""", url: "/tasks/999/start"),
        .. Kitchen("POST", "/chefs/{chefId}/next", null, url: "/chefs/nobody/next"),
        .. Kitchen("POST", "/tasks/{taskId:long}/bump", """{"token":1}""", url: "/tasks/999/bump"),
        .. Kitchen("POST", "/tasks/{taskId:long}/heartbeat", """{"token":1}""", url: "/tasks/999/heartbeat"),
        .. Kitchen("POST", "/chefs", """{"id":"temp","skills":["pizza"],"standby":true}"""),
        .. Kitchen("POST", "/chefs/{chefId}/clock-in", null, url: "/chefs/nobody/clock-in"),
        .. Kitchen("POST", "/chefs/{chefId}/clock-out", null, url: "/chefs/nobody/clock-out"),
        .. Kitchen("POST", "/chefs/{chefId}/sick", null, url: "/chefs/nobody/sick"),
        .. Kitchen("POST", "/chefs/{chefId}/back", null, url: "/chefs/nobody/back"),
        .. Kitchen("POST", "/equipment/{equipmentId}/units/{unit:int}/broken", null, url: "/equipment/none/units/0/broken"),
        .. Kitchen("POST", "/equipment/{equipmentId}/units/{unit:int}/fixed", null, url: "/equipment/none/units/0/fixed"),
        // Outlets: health for admins; an outlet's own staff pause, resume and heartbeat it; power drills are admin's.
        new("GET", "/api/outlets/", "/api/outlets", null, [Who.Admin], Expect.Forbidden),
        new("GET", "/api/outlets/{outletId}", "/api/outlets/pizza-north", null, [Who.Staff1, Who.Admin], Expect.Forbidden),
        new("POST", "/api/outlets/{outletId}/pause", "/api/outlets/pizza-north/pause", """{"reason":"test"}""", [Who.Staff1, Who.Admin], Expect.Forbidden),
        new("POST", "/api/outlets/{outletId}/resume", "/api/outlets/pizza-north/resume", null, [Who.Staff1, Who.Admin], Expect.Forbidden),
        new("POST", "/api/outlets/{outletId}/heartbeat", "/api/outlets/pizza-north/heartbeat", null, [Who.Staff1, Who.Admin], Expect.Forbidden),
        new("POST", "/api/outlets/{outletId}/power/cut", "/api/outlets/pizza-south/power/cut", null, [Who.Admin], Expect.Forbidden),
        new("POST", "/api/outlets/{outletId}/power/restore", "/api/outlets/pizza-south/power/restore", null, [Who.Admin], Expect.Forbidden),
        // Couriers: only themselves.
        .. Courier("GET", "/", null),
        .. Courier("POST", "/shift/start", """{"lat":52.52,"lon":13.40}"""),
        .. Courier("POST", "/locations", """{"lat":52.521,"lon":13.401}"""),
        .. Courier("GET", "/offers/stream", null, stream: true),
        .. Courier("GET", "/ws", null),
        .. Courier("POST", "/offers/{offerId}/accept", null, "/offers/none/accept"),
        .. Courier("POST", "/offers/{offerId}/decline", null, "/offers/none/decline"),
        .. Courier("POST", "/arrived", null),
        .. Courier("POST", "/orders/{orderId}/pickup", null, $"/orders/{order}/pickup"),
        .. Courier("POST", "/orders/{orderId}/deliver", """{"handoffCode":"0000"}""", $"/orders/{order}/deliver"),
        .. Courier("POST", "/shift/end", null),
        // Operations: admins.
        new("GET", "/api/dispatch/", "/api/dispatch", null, [Who.Admin], Expect.Forbidden),
        new("GET", "/api/dispatch/stream", "/api/dispatch/stream", null, [Who.Admin], Expect.Forbidden, Stream: true),
        new("GET", "/api/audit", $"/api/audit?orderId={order}", null, [Who.Admin], Expect.Forbidden),
        new("GET", "/api/alerts", "/api/alerts", null, [Who.Admin], Expect.Forbidden),
        new("GET", "/api/dispatch/decisions", "/api/dispatch/decisions?limit=5", null, [Who.Admin], Expect.Forbidden),
        new("GET", "/api/dispatch/decisions/stream", "/api/dispatch/decisions/stream", null, [Who.Admin], Expect.Forbidden, Stream: true),
        new("GET", "/api/ops/summary", "/api/ops/summary", null, [Who.Admin], Expect.Forbidden),
        new("GET", "/api/ops/summary/stream", "/api/ops/summary/stream", null, [Who.Admin], Expect.Forbidden, Stream: true),
    ];

    private static IEnumerable<Row> Kitchen(string method, string pattern, string? body, string? url = null, bool stream = false) =>
        [new(method, "/api/outlets/{outletId}/kitchen" + (pattern.Length == 0 ? "/" : pattern), "/api/outlets/pizza-north/kitchen" + (url ?? pattern), body, [Who.Staff1, Who.Admin], Expect.Forbidden, stream)];

    private static IEnumerable<Row> Courier(string method, string pattern, string? body, string? url = null, bool stream = false) =>
        [new(method, "/api/couriers/{courierId}" + pattern, "/api/couriers/rider-1" + (url ?? (pattern == "/" ? "" : pattern)), body, [Who.Courier1, Who.Admin], Expect.Forbidden, stream)];

    [Fact]
    public async Task Every_endpoint_allows_exactly_the_callers_it_should()
    {
        await using var app = await TestApp.StartAsync();
        var clients = new Dictionary<Who, HttpClient>
        {
            [Who.Anonymous] = app.Anonymous,
            [Who.Customer1] = app.ClientAs("customer", "cust-1"),
            [Who.Customer2] = app.ClientAs("customer", "cust-2"),
            [Who.Staff1] = app.ClientAs("staff", "staff-1", "pizza-north"),
            [Who.Staff2] = app.ClientAs("staff", "staff-2", "pizza-south"),
            [Who.Courier1] = app.ClientAs("courier", "rider-1"),
            [Who.Courier2] = app.ClientAs("courier", "rider-2"),
            [Who.Admin] = app.Client,
        };
        // Customer 1's order, accepted at pizza-north (staff 1's outlet).
        using var placed = await clients[Who.Customer1].SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = TestApp.Json("""{"restaurantId":"pizza-parlor","outletId":"pizza-north","items":[{"menuItemId":"margherita","quantity":1}]}"""),
            Headers = { { "Idempotency-Key", "matrix" } },
        });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var order = (await placed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;

        var failures = new List<string>();
        foreach (var row in Rows(order))
        {
            foreach (var who in Everyone)
            {
                var status = await SendAsync(clients[who], row);
                var allowed = row.Allowed.Contains(who);
                var expected = allowed ? Expect.Allowed : who == Who.Anonymous ? Expect.Unauthenticated
                    : row.SeeButMayNot?.Contains(who) == true ? Expect.Forbidden : row.Denied;
                var ok = expected switch
                {
                    Expect.Allowed => status is not (401 or 403) && !(row.Denied == Expect.Hidden && status == 404) && status < 500,
                    Expect.Hidden => status == 404,
                    Expect.Forbidden => status == 403,
                    _ => status == 401,
                };
                if (!ok) failures.Add($"{row.Method} {row.Url} as {who}: {status}, expected {expected}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        foreach (var c in clients.Values) if (c != app.Client && c != app.Anonymous) c.Dispose();
    }

    [Fact]
    public async Task The_matrix_covers_every_endpoint_the_server_maps()
    {
        await using var app = await TestApp.StartAsync();
        var mapped = app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Where(e => !e.Contains("/api/payments/webhook", StringComparison.Ordinal)) // signed, not token-authenticated: its own tests
            .ToHashSet();
        var covered = Rows("x").Select(r => $"{r.Method} {r.Pattern}").ToHashSet();
        Assert.Empty(mapped.Except(covered).Order());
        Assert.Empty(covered.Except(mapped).Order());
    }

    private static async Task<int> SendAsync(HttpClient client, Row row)
    {
        using var request = new HttpRequestMessage(new HttpMethod(row.Method), row.Url);
        if (row.Body is not null) request.Content = TestApp.Json(row.Body);
        if (row.Method == "POST" && row.Url == "/api/orders") request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await client.SendAsync(request, row.Stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cts.Token);
        return (int)response.StatusCode;
    }
}
