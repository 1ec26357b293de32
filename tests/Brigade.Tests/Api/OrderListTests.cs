using System.Net;
using System.Text.Json;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary><c>GET /api/orders</c>: the order-summary read model, as each role may see it.</summary>
public class OrderListTests
{
    private const string North = """{"restaurantId":"pizza-parlor","outletId":"pizza-north","items":[{"menuItemId":"margherita","quantity":1}],"deliverTo":{"lat":52.53,"lon":13.41}}""";
    private const string South = """{"restaurantId":"pizza-parlor","outletId":"pizza-south","items":[{"menuItemId":"margherita","quantity":1}]}""";

    private static async Task<string> PlaceAs(HttpClient client, string body)
    {
        using var response = await TestApp.PostOrderAsync(client, body, Guid.NewGuid().ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The listed ids, once <paramref name="count"/> are listed (summaries follow the log a batch behind).</summary>
    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string url, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync(url);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var listed = JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
            if (listed.Count >= count || DateTime.UtcNow > deadline) return listed;
            await Task.Delay(20);
        }
    }

    private static List<string> Ids(List<JsonElement> orders) => orders.Select(o => o.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task A_customer_lists_their_own_orders_newest_first_with_their_handoff_codes()
    {
        await using var app = await TestApp.StartAsync();
        using var ann = app.ClientAs("customer", "ann");
        using var bob = app.ClientAs("customer", "bob");
        var first = await PlaceAs(ann, North);
        await PlaceAs(bob, North);
        var second = await PlaceAs(ann, South);

        var listed = await ListAsync(ann, "/api/orders", 2);

        Assert.Equal([second, first], Ids(listed));
        Assert.False(string.IsNullOrEmpty(listed[1].GetProperty("handoffCode").GetString()));
        Assert.Equal([second], Ids(await ListAsync(ann, "/api/orders?limit=1", 1)));
        Assert.Equal([second, first], Ids(await ListAsync(ann, "/api/orders?customerId=ann", 2)));
        await ProblemAssert.IsProblem(await ann.GetAsync("/api/orders?customerId=bob"), 403);
        await ProblemAssert.IsProblem(await ann.GetAsync("/api/orders?outletId=pizza-north"), 403);
    }

    [Fact]
    public async Task Staff_list_their_outlets_orders_without_handoff_codes_and_admins_filter_as_they_like()
    {
        await using var app = await TestApp.StartAsync();
        using var ann = app.ClientAs("customer", "ann");
        using var bob = app.ClientAs("customer", "bob");
        var annNorth = await PlaceAs(ann, North);
        var bobNorth = await PlaceAs(bob, North);
        var annSouth = await PlaceAs(ann, South);
        using var staff = app.ClientAs("staff", "kim", "pizza-north");

        var north = await ListAsync(staff, "/api/orders", 2);

        Assert.Equal([bobNorth, annNorth], Ids(north));
        Assert.All(north, o => Assert.Equal(JsonValueKind.Null, o.GetProperty("handoffCode").ValueKind));
        Assert.Equal([bobNorth, annNorth], Ids(await ListAsync(staff, "/api/orders?outletId=pizza-north", 2)));
        await ProblemAssert.IsProblem(await staff.GetAsync("/api/orders?outletId=pizza-south"), 403);
        await ProblemAssert.IsProblem(await staff.GetAsync("/api/orders?customerId=ann"), 403);

        Assert.Equal([annSouth, bobNorth, annNorth], Ids(await ListAsync(app.Client, "/api/orders", 3)));
        Assert.Equal([annSouth, annNorth], Ids(await ListAsync(app.Client, "/api/orders?customerId=ann", 2)));
        Assert.Equal([annSouth], Ids(await ListAsync(app.Client, "/api/orders?outletId=pizza-south", 1)));
        await ProblemAssert.IsProblem(await app.Client.GetAsync("/api/orders?customerId=ann&outletId=pizza-south"), 400);
        using var courier = app.ClientAs("courier", "cal");
        await ProblemAssert.IsProblem(await courier.GetAsync("/api/orders"), 403);
    }

    [Fact]
    public async Task Orders_that_left_memory_are_listed_from_the_summary_table_with_their_final_state()
    {
        await using var app = await TestApp.StartAsync(timeScale: 600);
        using var ann = app.ClientAs("customer", "ann");
        var id = await PlaceAs(ann, South);
        await app.WaitForStatusAsync(id, "ready");
        using (var collect = await app.ClientAs("staff", "kim", "pizza-south").PostAsync($"/api/orders/{id}/collect", null))
            Assert.Equal(HttpStatusCode.OK, collect.StatusCode);

        await app.RestartAsync();
        using var again = app.ClientAs("customer", "ann");
        var listed = await ListAsync(again, "/api/orders", 1);

        Assert.Equal([id], Ids(listed));
        Assert.Equal("collected", listed[0].GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/api/orders?limit=0")]
    [InlineData("/api/orders?limit=201")]
    [InlineData("/api/orders?limit=ten")]
    public async Task A_list_limit_out_of_range_is_a_422(string url)
    {
        await using var app = await TestApp.StartAsync();

        await ProblemAssert.IsProblem(await app.Client.GetAsync(url), 422);
    }
}
