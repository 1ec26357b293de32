using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Brigade.Http;
using Brigade.Orders;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Brigade.Tests.Api;

/// <summary>
/// Rules of the ordering API that its other tests leave open: the edges of each limit, the
/// idempotency key's scope and replay header, conditional reads, media types, stream resumption,
/// and the shape of its problems.
/// </summary>
public class OrderApiRulesTests
{
    private const string PickupLatte = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1}]}""";
    private const string PickupEspresso = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""";
    private const string Soup = """{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""";

    [Fact]
    public async Task An_Idempotency_Key_of_exactly_255_characters_is_accepted()
    {
        await using var app = await TestApp.StartAsync();

        using var response = await app.PostOrderAsync(PickupLatte, new string('k', 255));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("key\u007F")]
    [InlineData("schlüssel")]
    [InlineData("key\u0001")]
    public async Task An_Idempotency_Key_with_a_character_outside_printable_ASCII_is_400(string key)
    {
        await using var app = await TestApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = TestApp.Json(PickupLatte) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        using var response = await app.Client.SendAsync(request);

        var problem = await ProblemAssert.IsProblem(response, 400);
        Assert.Equal("urn:brigade:problem:idempotency-key-invalid", problem.GetProperty("type").GetString());
        Assert.Equal(0, await OrderApiTests.CountPlacedAsync(app));
    }

    [Fact]
    public async Task A_replayed_order_says_so_in_the_Idempotent_Replayed_header_and_the_first_answer_does_not()
    {
        await using var app = await TestApp.StartAsync();

        using var first = await app.PostOrderAsync(PickupLatte, "replay-key");
        using var again = await app.PostOrderAsync(PickupLatte, "replay-key");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(["true"], again.Headers.GetValues("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Idempotency_keys_are_per_customer_so_two_customers_may_use_the_same_key()
    {
        await using var app = await TestApp.StartAsync();
        using var ann = app.ClientAs(Roles.Customer, "ann");
        using var bob = app.ClientAs(Roles.Customer, "bob");

        using var fromAnn = await TestApp.PostOrderAsync(ann, PickupLatte, "shared-key");
        using var fromBob = await TestApp.PostOrderAsync(bob, PickupEspresso, "shared-key");
        using var bobAgain = await TestApp.PostOrderAsync(bob, PickupLatte, "other-shared-key");
        using var annAgain = await TestApp.PostOrderAsync(ann, PickupLatte, "other-shared-key");

        Assert.Equal(HttpStatusCode.Created, fromAnn.StatusCode);
        Assert.Equal(HttpStatusCode.Created, fromBob.StatusCode);
        Assert.Equal(HttpStatusCode.Created, bobAgain.StatusCode);
        Assert.Equal(HttpStatusCode.Created, annAgain.StatusCode);
        Assert.False(annAgain.Headers.Contains("Idempotent-Replayed"), "ann's key is not bob's");
        Assert.NotEqual(await IdOf(bobAgain), await IdOf(annAgain));
        Assert.Equal(4, await OrderApiTests.CountPlacedAsync(app));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.brigade.order+json")]
    [InlineData("APPLICATION/JSON")]
    public async Task A_json_body_is_accepted_under_any_json_media_type(string mediaType)
    {
        await using var app = await TestApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(PickupLatte)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", mediaType);
        request.Headers.Add("Idempotency-Key", "media");

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_body_of_exactly_the_limit_is_read_and_one_byte_more_is_413()
    {
        await using var app = await TestApp.StartAsync();
        var atLimit = PickupLatte + new string(' ', OrderEndpoints.MaxBodyBytes - PickupLatte.Length);

        using var fits = await app.PostOrderAsync(atLimit, "at-limit");
        using var over = await app.PostOrderAsync(atLimit + " ", "over-limit");

        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        await ProblemAssert.IsProblem(over, 413);
        Assert.Equal(1, await OrderApiTests.CountPlacedAsync(app));
    }

    [Fact]
    public async Task A_read_carries_the_version_as_ETag_and_answers_304_until_the_order_changes()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(Soup)).GetProperty("id").GetString()!;

        using var first = await app.Client.GetAsync($"/api/orders/{id}");
        var version = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt64();
        var etag = first.Headers.ETag;
        Assert.Equal($"\"{version.ToString(CultureInfo.InvariantCulture)}\"", etag?.Tag);

        using var unchanged = await GetIfNoneMatchAsync(app.Client, $"/api/orders/{id}", etag!);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());

        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();
        using var changed = await GetIfNoneMatchAsync(app.Client, $"/api/orders/{id}", etag!);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        Assert.Equal("cancelled", JsonDocument.Parse(await changed.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_validation_problem_lists_each_message_under_the_field_it_is_about()
    {
        await using var app = await TestApp.StartAsync();

        using var response = await app.PostOrderAsync("""{"restaurantId":"corner-coffee","items":[{"menuItemId":"latte","quantity":1},{"menuItemId":"latte","quantity":0}]}""", "invalid");

        var problem = await ProblemAssert.IsProblem(response, 422);
        Assert.Equal("urn:brigade:problem:validation", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        Assert.Equal(["items[1].quantity"], errors.EnumerateObject().Select(p => p.Name));
        Assert.Contains("from 1 to 99", errors.GetProperty("items[1].quantity")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_line_quantity_and_unit_limits_are_inclusive()
    {
        Assert.Empty(Validate(Lines(OrderRequestValidator.MaxLines, 1)));
        Assert.Equal(["items"], Validate(Lines(OrderRequestValidator.MaxLines + 1, 1)).Keys);

        Assert.Empty(Validate(Lines(1, OrderRequestValidator.MaxQuantity)));
        Assert.Equal(["items[0].quantity"], Validate(Lines(1, OrderRequestValidator.MaxQuantity + 1)).Keys);

        // 99 + 99 + 2 = 200 units, the most one order may hold; one more is too many, though each line is within its own limit.
        Assert.Empty(Validate(Lines(2, 99).Append(new OrderLineRequest { MenuItemId = "latte", Quantity = 2 })));
        var tooMany = Validate(Lines(2, 99).Append(new OrderLineRequest { MenuItemId = "latte", Quantity = 3 }));
        Assert.Equal(["items"], tooMany.Keys);
        Assert.Contains("201", tooMany["items"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Status_names_are_the_api_s_camelCase_json_names_for_every_status()
    {
        var api = new JsonSerializerOptions { Converters = { new CamelCaseEnum<OrderStatus>() } };
        foreach (var status in Enum.GetValues<OrderStatus>())
            Assert.Equal(JsonSerializer.Serialize(status, api), $"\"{StatusNames.Of(status)}\"");
        Assert.Equal(Enum.GetValues<OrderStatus>().Length, StatusNames.Count);
        Assert.Equal("courierAssigned", StatusNames.Of(OrderStatus.CourierAssigned));
        Assert.Equal("pickedUp", StatusNames.Of(OrderStatus.PickedUp));
    }

    [Fact]
    public async Task The_stream_resumes_from_a_lastEventId_query_value_as_from_the_header()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(Soup)).GetProperty("id").GetString()!;
        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();
        var final = (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("version").GetInt64();

        var (_, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream?lastEventId=1");
        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body)) messages.Add(m);

        Assert.Equal("2", messages[0].Id);
        Assert.DoesNotContain(messages, m => m.Data.GetProperty("change").GetString() == "snapshot");
        Assert.Equal(final - 1, messages.Count);
        Assert.Equal("cancelled", messages[^1].Event);
    }

    [Fact]
    public async Task Resuming_a_finished_order_from_its_last_event_is_204_which_stops_the_client_reconnecting()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(Soup)).GetProperty("id").GetString()!;
        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();
        var final = (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("version").GetInt64();

        var (response, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream", lastEventId: final.ToString(CultureInfo.InvariantCulture));
        var messages = new List<SseMessage>();
        await foreach (var m in Sse.ReadAsync(body)) messages.Add(m);

        // A browser's EventSource reconnects whenever a stream closes, with the last id it saw: an
        // empty 200 would have it reconnect for ever. A 204 is what tells it to stop.
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(messages);
    }

    [Fact]
    public async Task A_stream_resumed_with_nothing_new_sends_its_headers_at_once_not_with_the_first_keep_alive()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(Soup)).GetProperty("id").GetString()!;
        var version = (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("version").GetInt64();

        var (response, body) = await Sse.OpenAsync(app.Client, $"/api/orders/{id}/stream", lastEventId: version.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Only once the stream is open does the order change: the first line is that change, not a
        // keep-alive comment that had to come first to carry the headers.
        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();

        using var reader = new StreamReader(body);
        Assert.Equal($"id: {version + 1}", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task Cancelling_an_order_the_engine_has_forgotten_is_409_naming_its_final_status()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(Soup)).GetProperty("id").GetString()!;
        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();
        var forgotten = 0;
        await app.Service<Brigade.Engine.EngineHost>().SendAsync((e, now, output) =>
        {
            forgotten = e.ForgetTerminalOrders(DateTimeOffset.MaxValue);
            return Brigade.Engine.EngineResult.Ok();
        });
        Assert.Equal(1, forgotten);

        using var again = await app.Client.PostAsync($"/api/orders/{id}/cancel", null);

        var problem = await ProblemAssert.IsProblem(again, 409);
        Assert.Equal("urn:brigade:problem:order-state", problem.GetProperty("type").GetString());
        Assert.Contains("cancelled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_finished_order_leaves_memory_only_once_nobody_follows_it_and_is_still_served_from_the_summary()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        var id = (await app.PlaceAsync(Soup)).GetProperty("id").GetString()!;
        (await app.Client.PostAsync($"/api/orders/{id}/cancel", null)).Dispose();
        await app.Service<SummaryProjector>().CatchUpAsync();
        var orders = app.Service<OrderReadModel>();

        var following = orders.Subscribe(id);
        Assert.Equal(0, orders.Evict(DateTimeOffset.MaxValue));
        Assert.NotNull(orders.Find(id));
        following.Dispose();
        Assert.Equal(1, orders.Evict(DateTimeOffset.MaxValue));
        Assert.Null(orders.Find(id));

        var served = await app.GetJsonAsync($"/api/orders/{id}");
        Assert.Equal("cancelled", served.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_order_whose_201_went_out_is_in_its_customers_list_while_the_summary_table_is_behind()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        using var cara = app.ClientAs("customer", "cara");
        var first = await PlaceAsAsync(cara, Soup, "k-first");
        await SummarizedEventuallyAsync(app, first);

        // The projector falls behind (here it stops): the table no longer follows the log.
        await app.Service<SummaryProjector>().StopAsync(CancellationToken.None);
        var second = await PlaceAsAsync(cara, Soup, "k-second");

        Assert.Equal([second, first], await ListAsync(cara));
        using var admin = await app.Client.GetAsync("/api/orders?customerId=cara");
        Assert.Contains(second, (await admin.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        using var dave = app.ClientAs("customer", "dave");
        Assert.Empty(await ListAsync(dave));
    }

    [Fact]
    public async Task An_order_written_although_its_201_came_only_on_the_retry_is_listed_while_the_summary_table_is_behind()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen);
        using var cara = app.ClientAs("customer", "cara");
        await app.Service<SummaryProjector>().StopAsync(CancellationToken.None);

        // The placing reaches the disk but its answer is lost: no listener hears it, the engine
        // rebuilds from the log, and the retry with the same key gets that order.
        app.Service<Brigade.Storage.SqliteEventStore>().LoseNextAcknowledgements = 1;
        using (var lost = await TestApp.PostOrderAsync(cara, Soup, "k-lost")) await ProblemAssert.IsProblem(lost, 503);
        var id = await PlaceAsAsync(cara, Soup, "k-lost");

        Assert.Equal([id], await ListAsync(cara));
    }

    private static async Task<string> PlaceAsAsync(HttpClient client, string body, string key)
    {
        using var response = await TestApp.PostOrderAsync(client, body, key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await IdOf(response);
    }

    private static async Task<List<string>> ListAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/orders");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(o => o.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>Wait (at most 30 s) until the summary projector has saved the order's row.</summary>
    private static async Task SummarizedEventuallyAsync(TestApp app, string id)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await app.Service<Brigade.Storage.IReadModelStore>().GetSummaryAsync(id) is null)
        {
            if (limit.IsCancellationRequested) Assert.Fail($"order {id} was never summarized");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(0, "1")]
    [InlineData(0.2, "1")]
    [InlineData(1.2, "2")]
    [InlineData(30, "30")]
    public async Task Retry_After_is_whole_seconds_rounded_up_and_at_least_one(double seconds, string expected)
    {
        await using var app = await TestApp.StartAsync();
        var http = new DefaultHttpContext { RequestServices = app.App.Services };
        http.Response.Body = new MemoryStream();

        await Problems.TooManyRequests("outlet-full", "Full.", TimeSpan.FromSeconds(seconds)).ExecuteAsync(http);

        Assert.Equal(429, http.Response.StatusCode);
        Assert.Equal(expected, http.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task Keys_are_swept_only_when_strictly_older_than_the_cutoff()
    {
        var gate = new IdempotencyGate();
        var at = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        gate.Remember("c", "k", "h", "order-1", at);

        Assert.Equal(0, gate.Sweep(at));
        Assert.Equal("order-1", (await gate.EnterAsync("c", "k", "h")).OrderId);
        Assert.Equal(1, gate.Sweep(at.AddTicks(1)));
    }

    private static Task<HttpResponseMessage> GetIfNoneMatchAsync(HttpClient client, string url, EntityTagHeaderValue etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.IfNoneMatch.Add(etag);
        return client.SendAsync(request);
    }

    private static async Task<string> IdOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

    private static IEnumerable<OrderLineRequest?> Lines(int count, int quantity) =>
        Enumerable.Range(0, count).Select(_ => (OrderLineRequest?)new OrderLineRequest { MenuItemId = "latte", Quantity = quantity });

    private static Dictionary<string, string[]> Validate(IEnumerable<OrderLineRequest?> lines) =>
        OrderRequestValidator.Validate(new PlaceOrderRequest { RestaurantId = "corner-coffee", Items = lines.ToList() }, TestCatalogs.Demo).Errors;
}
