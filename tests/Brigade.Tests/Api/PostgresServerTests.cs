using System.Net.Http.Json;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Storage.Postgres;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary>The real server composition on a real PostgreSQL database (Brigade:Store = postgres).</summary>
public sealed class PostgresServerTests : IAsyncLifetime
{
    private const string Pizza = """{"restaurantId":"pizza-parlor","outletId":"pizza-south","items":[{"menuItemId":"pepperoni","quantity":2}]}""";
    private const string Espresso = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""";
    private PostgresDatabase _db = null!;

    public async Task InitializeAsync() => _db = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Dictionary<string, string?> OnPostgres() => new()
    {
        ["Brigade:Store"] = "postgres",
        ["Brigade:Postgres"] = _db.ConnectionString,
    };

    [Fact]
    public async Task Orders_survive_a_restart_and_the_kitchen_carries_on_with_them()
    {
        await using var app = await TestApp.StartAsync(timeScale: 300, extra: OnPostgres());
        Assert.IsType<PostgresEventStore>(app.Service<IEventStore>());
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await app.PlaceAsync(Pizza, $"restart-{i}")).GetProperty("id").GetString()!);

        await app.RestartAsync();

        foreach (var id in ids) Assert.Equal(id, (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("id").GetString());
        for (var i = 0; i < 5; i++) Assert.Equal(ids[i], (await app.PlaceAsync(Pizza, $"restart-{i}")).GetProperty("id").GetString());
        foreach (var id in ids) await app.WaitForStatusAsync(id, "ready", TimeSpan.FromSeconds(60));
        Assert.Equal(5, await OrderApiTests.CountPlacedAsync(app));
        Assert.Equal(5L, await _db.ScalarAsync("SELECT count(*) FROM events WHERE type = 'OrderPlaced'"));
        var trail = await app.GetJsonAsync($"/api/orders/{ids[0]}/events");
        Assert.Equal("OrderPlaced", trail[0].GetProperty("type").GetString());
        Assert.Equal("pepperoni", trail[0].GetProperty("data").GetProperty("lines")[0].GetProperty("menuItemId").GetString());
    }

    [Fact]
    public async Task The_order_summary_read_model_is_projected_into_postgres_and_rebuilt_identically()
    {
        await using var app = await TestApp.StartAsync(timeScale: 6000, extra: OnPostgres());
        await SummaryRebuild.AssertRebuiltIdenticallyAsync(app);
        Assert.Equal(6L, await _db.ScalarAsync("SELECT count(*) FROM order_summaries WHERE status = 'ready'"));
    }

    [Fact]
    public async Task Text_with_a_nul_character_is_a_422_problem_and_the_server_carries_on()
    {
        await using var app = await TestApp.StartAsync(extra: OnPostgres());
        using var staff = app.ClientAs("staff", "staff-1", "pizza-south");

        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/pizza-north/pause", new { reason = "oven\0cleaning" }), 422);
        await ProblemAssert.IsProblem(await staff.PostAsJsonAsync("/api/outlets/pizza-south/kitchen/chefs", new { id = "c\0", skills = new[] { "oven" } }), 422);
        await ProblemAssert.IsProblem(await staff.PostAsJsonAsync("/api/outlets/pizza-south/kitchen/chefs", new { id = "c9", name = "N\0", skills = new[] { "oven" } }), 422);
        await ProblemAssert.IsProblem(await staff.PostAsJsonAsync("/api/outlets/pizza-south/kitchen/chefs", new { id = "c9", skills = new[] { "ov\0en" } }), 422);
        await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/couriers/rider-1/shift/start", new { lat = 52.5, lon = 13.4, name = "R\0" }), 422);

        Assert.NotEqual("paused", (await app.GetJsonAsync("/api/outlets/pizza-north")).GetProperty("health").GetProperty("status").GetString());
        await app.PlaceAsync(Espresso);
    }

    [Fact]
    public async Task Listing_orders_filtered_by_a_customer_or_outlet_with_a_nul_character_finds_none_instead_of_failing()
    {
        await using var app = await TestApp.StartAsync(extra: OnPostgres());
        var placed = await app.PlaceAsync(Pizza);

        // A path cannot hold U+0000 (the server refuses it), but a query string can, and PostgreSQL's text cannot.
        foreach (var filter in new[] { "customerId=test-admin%00", "outletId=pizza-south%00" })
        {
            using var listed = await app.Client.GetAsync($"/api/orders?{filter}");
            var text = await listed.Content.ReadAsStringAsync();
            Assert.True(listed.StatusCode == System.Net.HttpStatusCode.OK, $"{filter}: {(int)listed.StatusCode} {text}");
            Assert.Equal("[]", text);
        }
        Assert.Equal(placed.GetProperty("id").GetString(), (await app.GetJsonAsync("/api/orders?customerId=test-admin"))[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_signed_webhook_whose_ids_hold_a_nul_character_is_a_404_problem_as_on_sqlite_not_a_500()
    {
        await using var app = await TestApp.StartAsync(extra: OnPostgres());
        // JSON may escape U+0000; the provider's ids are looked up in the log before anything is decided.
        var body = """{"id":"evt\u0000","type":"payment.declined","orderId":"gone\u0000","paymentId":"pay_1"}"""u8.ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/payments/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(Brigade.Http.WebhookSignature.Header,
            Brigade.Http.WebhookSignature.Sign(app.Service<Brigade.Payments.PaymentSecrets>().WebhookSecret, DateTimeOffset.UtcNow, body));

        using var response = await app.Anonymous.SendAsync(request);

        await ProblemAssert.IsProblem(response, 404);
        await app.PlaceAsync(Espresso);
    }

    [Fact]
    public async Task An_idempotency_key_reused_after_the_gate_forgot_it_gets_its_order_or_a_422_not_a_503()
    {
        await using var app = await TestApp.StartAsync(extra: OnPostgres());
        var first = (await app.PlaceAsync(Espresso, "old-key")).GetProperty("id").GetString();
        // What housekeeping does once the key is older than the retention window; the unique index still holds it.
        app.Service<IdempotencyGate>().Sweep(DateTimeOffset.MaxValue);

        using var same = await app.PostOrderAsync(Espresso, "old-key");
        using var other = await app.PostOrderAsync(Pizza, "old-key");

        Assert.Equal(System.Net.HttpStatusCode.Created, same.StatusCode);
        Assert.Equal(first, (await same.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString());
        Assert.Equal("urn:brigade:problem:idempotency-key-reused", (await ProblemAssert.IsProblem(other, 422)).GetProperty("type").GetString());
        Assert.Equal(1L, await _db.ScalarAsync("SELECT count(*) FROM events WHERE type = 'OrderPlaced'"));
        await app.PlaceAsync(Espresso, "new-key");
    }

    [Fact]
    public async Task A_second_server_process_on_the_same_database_refuses_to_start_and_says_why()
    {
        await using var app = await TestApp.StartAsync(extra: OnPostgres());
        var dir = Path.Combine(Path.GetTempPath(), "brigade-second-" + Guid.NewGuid().ToString("N"));
        try
        {
            var error = await Record.ExceptionAsync(() => ServerProcess.StartAsync(dir, "--store", "postgres", "--postgres", _db.ConnectionString));

            var exited = Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("brigade serve: The engine of PostgreSQL database", exited.Message, StringComparison.Ordinal);
            Assert.Contains("only one Brigade engine may write a database", exited.Message, StringComparison.Ordinal);
            // The first server is untouched.
            await app.PlaceAsync(Espresso);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_server_pointed_at_a_postgres_database_that_does_not_exist_says_so_without_a_stack_trace()
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-nodb-" + Guid.NewGuid().ToString("N"));
        var missing = new Npgsql.NpgsqlConnectionStringBuilder(_db.ConnectionString) { Database = _db.Name + "_missing" }.ConnectionString;
        try
        {
            var (code, _, error) = await Processes.RunAsync("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), "serve", "--data-dir", dir, "--store", "postgres", "--postgres", missing]);

            Assert.Equal(2, code);
            Assert.Contains($"brigade serve: cannot open the event log on PostgreSQL (database '{_db.Name}_missing'", error, StringComparison.Ordinal);
            Assert.Contains("does not exist", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_postgres_store_without_a_connection_string_is_refused_with_a_message()
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-noconn-" + Guid.NewGuid().ToString("N"));
        try
        {
            var error = await Record.ExceptionAsync(() => ServerProcess.StartAsync(dir, "--store", "postgres"));

            Assert.Contains("brigade serve: the postgres store needs a connection string", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
