using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Brigade.Alerts;
using Brigade.Engine;
using Brigade.Http;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>What operators see: Prometheus metrics, health, the audit trail, alerts and their webhooks, OTLP configuration.</summary>
public partial class OperationsTests
{
    private const string Espresso = """{"restaurantId":"corner-coffee","outletId":"coffee-central","items":[{"menuItemId":"espresso","quantity":1}]}""";

    [Fact]
    public async Task Metrics_are_served_in_the_prometheus_text_format_without_a_token()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        using var stream = await app.Client.GetAsync($"/api/orders/{id}/stream", HttpCompletionOption.ResponseHeadersRead);

        using var response = await app.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE brigade_orders_total counter", text, StringComparison.Ordinal);
        Assert.Contains("brigade_orders_total{status=\"placed\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("brigade_orders_total{status=\"accepted\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("brigade_routing_decisions_total{kind=\"routed\",outlet=\"coffee-central\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE brigade_http_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("brigade_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/orders/\",status=\"201\",le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("brigade_eventlog_append_duration_seconds_bucket{le=\"+Inf\"}", text, StringComparison.Ordinal);
        Assert.Contains("brigade_eventlog_batch_commits_count", text, StringComparison.Ordinal);
        Assert.Contains("brigade_station_queue_depth{outlet=\"coffee-central\",station=\"espresso\"}", text, StringComparison.Ordinal);
        Assert.Contains("brigade_station_wait_p90_seconds{outlet=\"coffee-central\",station=\"espresso\"}", text, StringComparison.Ordinal);
        Assert.Contains("brigade_chef_utilisation_ratio{outlet=\"coffee-central\"}", text, StringComparison.Ordinal);
        Assert.Contains("brigade_couriers{phase=", text, StringComparison.Ordinal);
        Assert.Contains("brigade_sse_subscribers{kind=\"order\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_heap_total_allocated_bytes_total counter", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_process_cpu_time_seconds_total{cpu_mode=\"user\"} ", text, StringComparison.Ordinal);

        // Every sample is well-formed, and belongs to a family typed once, before it.
        var typed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) { Assert.True(typed.Add(line.Split(' ')[2]), "typed twice: " + line); continue; }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal)) continue;
            Assert.Matches(SampleLine(), line);
            var name = line.Split('{', ' ')[0];
            Assert.True(typed.Contains(name) || typed.Any(f => name.StartsWith(f + "_", StringComparison.Ordinal)), "untyped: " + line);
        }
    }

    [Fact]
    public async Task A_request_that_fails_with_an_error_is_counted_with_the_status_it_was_answered_with()
    {
        await using var app = await TestApp.StartAsync(
            extra: new Dictionary<string, string?> { ["Brigade:Payments:Required"] = "true" },
            services: s => s.AddSingleton<Brigade.Payments.IPaymentProvider, BrokenProvider>());
        using (var failed = await TestApp.PostOrderAsync(app.Client, Espresso, "broken-provider"))
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);

        var text = await app.Anonymous.GetStringAsync("/metrics");
        Assert.Contains("brigade_http_request_duration_seconds_count{method=\"POST\",route=\"/api/orders/\",status=\"500\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("route=\"/api/orders/\",status=\"200\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_with_made_up_methods_share_one_series_instead_of_adding_one_per_method()
    {
        await using var app = await TestApp.StartAsync();
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod($"BREW{i}"), "/api/orders");
            using var _ = await app.Anonymous.SendAsync(request);
        }
        using (var get = await app.Anonymous.GetAsync("/health/live")) Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        // Anyone can send any method token: as a label value it would grow /metrics (and memory) without bound.
        var text = await app.Anonymous.GetStringAsync("/metrics");
        Assert.DoesNotContain("method=\"BREW", text, StringComparison.Ordinal);
        var other = text.Split('\n').Where(l => l.StartsWith("brigade_http_request_duration_seconds_count{method=\"_OTHER\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(20, other);
        Assert.Contains("brigade_http_request_duration_seconds_count{method=\"GET\",route=\"/health/live\",status=\"200\"} 1\n", text, StringComparison.Ordinal);
    }

    /// <summary>A payment provider whose client has a bug: every request throws.</summary>
    private sealed class BrokenProvider : Brigade.Payments.IPaymentProvider
    {
        public string Name => "broken";
        public Task<Brigade.Payments.PaymentAttempt> AuthorizeAsync(Brigade.Payments.PaymentRequest request, CancellationToken ct = default) =>
            throw new InvalidOperationException("the provider's client is broken");
        public Task VoidAsync(string paymentId, string idempotencyKey, CancellationToken ct = default) => Task.CompletedTask;
    }

    [GeneratedRegex("""^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9][0-9.eE+-]*|\+Inf|-Inf|NaN)$""")]
    private static partial Regex SampleLine();

    [Fact]
    public async Task The_decisions_and_ops_summary_streams_count_as_open_subscribers_until_they_close()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (decisionsResponse, decisionsBody) = await Sse.OpenAsync(app.Client, "/api/dispatch/decisions/stream");
        var (summaryResponse, summaryBody) = await Sse.OpenAsync(app.Client, "/api/ops/summary/stream");
        var decisions = Sse.ReadAsync(decisionsBody, cts.Token).GetAsyncEnumerator(cts.Token);
        var summary = Sse.ReadAsync(summaryBody, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await decisions.MoveNextAsync());
        Assert.True(await summary.MoveNextAsync());

        var text = await app.Anonymous.GetStringAsync("/metrics");
        Assert.Contains("brigade_sse_subscribers{kind=\"dispatch-decisions\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("brigade_sse_subscribers{kind=\"ops-summary\"} 1\n", text, StringComparison.Ordinal);

        // Closed by the client: the server notices the abort and stops counting them (bounded wait).
        await decisions.DisposeAsync();
        await summary.DisposeAsync();
        decisionsResponse.Dispose();
        summaryResponse.Dispose();
        for (var i = 0; i < 300 && !(text.Contains("{kind=\"dispatch-decisions\"} 0\n", StringComparison.Ordinal) && text.Contains("{kind=\"ops-summary\"} 0\n", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
            text = await app.Anonymous.GetStringAsync("/metrics");
        }
        Assert.Contains("brigade_sse_subscribers{kind=\"dispatch-decisions\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("brigade_sse_subscribers{kind=\"ops-summary\"} 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_matcher_is_timed_once_an_order_waits_for_a_courier()
    {
        await using var app = await TestApp.StartAsync(timeScale: 60);
        await app.PlaceAsync("""{"restaurantId":"corner-coffee","outletId":"coffee-central","items":[{"menuItemId":"espresso","quantity":1}],"deliverTo":{"lat":52.53,"lon":13.405}}""");

        // Dispatch rounds run on the kitchen clock; wait (bounded) until one has weighed the order.
        string text = "";
        for (var i = 0; i < 300 && !text.Contains("brigade_dispatch_match_duration_seconds_count ", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            text = await app.Anonymous.GetStringAsync("/metrics");
        }
        Assert.Contains("# TYPE brigade_dispatch_match_duration_seconds histogram", text, StringComparison.Ordinal);
        var count = text.Split('\n').Single(l => l.StartsWith("brigade_dispatch_match_duration_seconds_count ", StringComparison.Ordinal));
        Assert.True(long.Parse(count.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 1, count);
    }

    [Fact]
    public async Task Readiness_needs_a_running_engine_and_liveness_does_not()
    {
        await using var app = await TestApp.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous.GetAsync("/health/ready")).StatusCode);
        await app.Service<EngineHost>().StopAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Admins_query_the_audit_trail_per_order_outlet_and_courier()
    {
        await using var app = await TestApp.StartAsync();
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.52, lon = 13.40 });
        await app.Client.PostAsJsonAsync("/api/outlets/coffee-central/pause", new { reason = "audit" });

        static List<string> Types(JsonElement entries) => entries.EnumerateArray().Select(e => e.GetProperty("type").GetString()!).ToList();
        var order = Types(await app.GetJsonAsync($"/api/audit?orderId={id}"));
        Assert.Equal("OrderPlaced", order[0]);
        Assert.Contains("OrderAccepted", order);
        var outlet = await app.GetJsonAsync("/api/audit?outletId=coffee-central");
        Assert.Contains("OrderQueued", Types(outlet));
        Assert.Contains("OutletPaused", Types(outlet));
        Assert.All(outlet.EnumerateArray(), e => Assert.EndsWith("-coffee-central", e.GetProperty("stream").GetString(), StringComparison.Ordinal));
        Assert.Contains("CourierShiftStarted", Types(await app.GetJsonAsync("/api/audit?courierId=ann")));

        await ProblemAssert.IsProblem(await app.Client.GetAsync("/api/audit"), 400);
        await ProblemAssert.IsProblem(await app.Client.GetAsync($"/api/audit?orderId={id}&courierId=ann"), 400);
        using var customer = app.ClientAs("customer", "test-admin");
        await ProblemAssert.IsProblem(await customer.GetAsync($"/api/audit?orderId={id}"), 403);
    }

    [Fact]
    public async Task The_audit_of_an_outlet_gives_its_newest_entries_across_kitchen_and_outlet_streams_up_to_the_limit()
    {
        await using var app = await TestApp.StartAsync();
        await app.PlaceAsync(Espresso);
        await app.Client.PostAsJsonAsync("/api/outlets/coffee-central/pause", new { reason = "first" });
        await app.Client.PostAsync("/api/outlets/coffee-central/resume", null);
        var all = await app.GetJsonAsync("/api/audit?outletId=coffee-central");
        var positions = all.EnumerateArray().Select(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.True(positions.Count >= 4, $"only {positions.Count} entries");

        var newest = await app.GetJsonAsync("/api/audit?outletId=coffee-central&limit=3");

        Assert.Equal(positions.TakeLast(3), newest.EnumerateArray().Select(e => e.GetProperty("position").GetInt64()));
        Assert.Equal("OutletResumed", newest.EnumerateArray().Last().GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/api/audit?outletId=coffee-central&limit=0")]
    [InlineData("/api/audit?outletId=coffee-central&limit=-3")]
    [InlineData("/api/audit?outletId=coffee-central&limit=abc")]
    [InlineData("/api/audit?outletId=coffee-central&limit=5001")]
    [InlineData("/api/alerts?limit=0")]
    [InlineData("/api/alerts?limit=abc")]
    [InlineData("/api/alerts?limit=1001")]
    public async Task A_limit_out_of_range_or_not_a_number_is_a_422_that_names_the_range(string url)
    {
        await using var app = await TestApp.StartAsync();

        var problem = await ProblemAssert.IsProblem(await app.Client.GetAsync(url), 422);

        Assert.Contains("limit must be a whole number from 1 to", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alerts_fire_and_resolve_as_events_are_listed_and_reach_webhooks_signed_and_retried()
    {
        await using var hook = await WebhookReceiver.StartAsync(failFirst: 1);
        await using var app = await TestApp.StartAsync(timeScale: 600, catalogJson: TestCatalogs.TwinJson, extra: new Dictionary<string, string?>
        {
            ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
            ["Brigade:Alerts:Webhooks:0"] = hook.Url,
            ["Brigade:Alerts:Rules:0:Name"] = "outlet-silent",
            ["Brigade:Alerts:Rules:0:Kind"] = "outletSilent",
            ["Brigade:Alerts:Rules:1:Name"] = "slow-log",
            ["Brigade:Alerts:Rules:1:Kind"] = "eventLogAppendP99",
            ["Brigade:Alerts:Rules:1:Threshold"] = "0",
        });
        var monitor = app.Service<AlertMonitor>();
        await app.PlaceAsync("""{"restaurantId":"r","outletId":"k2","items":[{"menuItemId":"pizza","quantity":1}]}""");
        await monitor.EvaluateAsync();
        Assert.Contains(monitor.Active, a => a.Rule == "slow-log");
        Assert.DoesNotContain(monitor.Active, a => a.Rule == "outlet-silent");

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k1/power/cut", null)).StatusCode);
        await Until(async () => (await monitor.EvaluateAsync()).OfType<AlertFired>().Any(f => f.Subject == "k1"), "the silent outlet never raised an alert");
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsync("/api/outlets/k1/power/restore", null)).StatusCode);
        await Until(async () => (await monitor.EvaluateAsync()).OfType<AlertResolved>().Any(r => r.Subject == "k1"), "the alert never resolved");

        var listed = await app.GetJsonAsync("/api/alerts");
        Assert.Contains(listed.GetProperty("active").EnumerateArray(), a => a.GetProperty("rule").GetString() == "slow-log");
        var silent = listed.GetProperty("recent").EnumerateArray().Single(a => a.GetProperty("rule").GetString() == "outlet-silent");
        Assert.Equal("resolved", silent.GetProperty("state").GetString());
        Assert.Equal("k1", silent.GetProperty("subject").GetString());
        var logged = await app.Service<IEventStore>().ReadByStreamPrefixAsync("alerts-outlet-silent", null, 100);
        Assert.Equal(["AlertFired", "AlertResolved"], logged.Select(e => e.Type));
        await ProblemAssert.IsProblem(await app.ClientAs("staff", "kim", "k1").GetAsync("/api/alerts"), 403);

        // Delivered: fired and resolved, each signed with the alert secret; the receiver's first failure was retried.
        var secret = app.Service<AlertNotifier>().Secret;
        await Until(() => Task.FromResult(hook.Received.Any(r => r.Body.Contains("\"resolved\"", StringComparison.Ordinal))), "the resolved alert never reached the webhook");
        Assert.True(hook.Failures >= 1);
        foreach (var r in hook.Received)
            Assert.Null(WebhookSignature.Verify(r.Signature, System.Text.Encoding.UTF8.GetBytes(r.Body), secret, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Contains(hook.Received, r => r.Body.Contains("\"state\":\"firing\"", StringComparison.Ordinal) && r.Body.Contains("\"subject\":\"k1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_orders_rule_counts_the_failures_of_its_whole_window_even_when_it_is_longer_than_an_hour()
    {
        await using var app = await TestApp.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
            ["Brigade:Alerts:Rules:0:Name"] = "failures-today",
            ["Brigade:Alerts:Rules:0:Kind"] = "failedOrders",
            ["Brigade:Alerts:Rules:0:Threshold"] = "1",
            ["Brigade:Alerts:Rules:0:WindowMinutes"] = "180",
        });
        var monitor = app.Service<AlertMonitor>();
        var now = app.Service<EngineHost>().Clock.GetUtcNow();
        monitor.OnCommitted([.. new[] { "o1", "o2" }.Select((id, i) =>
            new CommittedEvent(i + 1, 1, EventSerializer.ToWrite(new Brigade.Orders.OrderFailed(id, "no courier", now - TimeSpan.FromMinutes(90)))))]);

        var fired = (await monitor.EvaluateAsync()).OfType<AlertFired>().SingleOrDefault();
        Assert.NotNull(fired);
        Assert.Equal(2, fired.Value);
    }

    [Fact]
    public async Task A_failed_orders_alert_keeps_firing_across_a_restart_while_its_failures_are_still_in_the_window()
    {
        // Soup made by hand, one attempt: a task whose lease runs out fails its order. The clock moves only when the test moves it.
        const string oneAttempt = """
            {
              "timeZone": "UTC",
              "restaurants": [{
                "id": "r", "name": "Soup Kitchen",
                "menu": [ { "id": "soup", "priceCents": 500, "steps": [ { "station": "stove", "workSeconds": 300 } ] } ],
                "outlets": [{
                  "id": "k", "lat": 52.52, "lon": 13.40, "maxAttempts": 1, "leaseSeconds": 30,
                  "stations": [ { "id": "stove", "mode": "human" } ],
                  "staff": [ { "id": "cook", "skills": ["stove"] } ]
                }]
              }]
            }
            """;
        var rules = new Dictionary<string, string?>
        {
            ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
            ["Brigade:Alerts:Rules:0:Name"] = "any-failure",
            ["Brigade:Alerts:Rules:0:Kind"] = "failedOrders",
            ["Brigade:Alerts:Rules:0:Threshold"] = "0",
            ["Brigade:Alerts:Rules:0:WindowMinutes"] = "10",
        };
        var start = DateTimeOffset.UtcNow;
        var dir = Path.Combine(Path.GetTempPath(), "brigade-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var clock = new ManualClock(start);
            await using (var before = await TestApp.StartAsync(catalogJson: oneAttempt, dataDir: dir, extra: rules, services: s => s.AddSingleton(new ScaledTimeProvider(1, clock))))
            {
                var id = (await before.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""")).GetProperty("id").GetString()!;
                using (var started = await before.Client.PostAsync("/api/outlets/k/kitchen/chefs/cook/next", null))
                    Assert.Equal(HttpStatusCode.OK, started.StatusCode);
                clock.Advance(TimeSpan.FromMinutes(2));
                await before.WaitForStatusAsync(id, "failed");
                await before.Service<AlertMonitor>().EvaluateAsync();
                Assert.Contains(before.Service<AlertMonitor>().Active, a => a.Rule == "any-failure");
            }

            // Restarted moments later: the failure is well within the rule's ten minutes.
            var later = new ManualClock(start + TimeSpan.FromMinutes(3));
            await using var after = await TestApp.StartAsync(catalogJson: oneAttempt, dataDir: dir, extra: rules, services: s => s.AddSingleton(new ScaledTimeProvider(1, later)));
            var monitor = after.Service<AlertMonitor>();
            await monitor.EvaluateAsync();
            Assert.Contains(monitor.Active, a => a.Rule == "any-failure");
            var logged = await after.Service<IEventStore>().ReadByStreamPrefixAsync("alerts-any-failure", null, 100);
            Assert.Equal(["AlertFired"], logged.Select(e => e.Type));

            // Once the failure is older than the window, the alert resolves, as it would have without the restart.
            later.Advance(TimeSpan.FromMinutes(10));
            await monitor.EvaluateAsync(); // (or the round the server ran at start-up, if it ran only now)
            Assert.DoesNotContain(monitor.Active, a => a.Rule == "any-failure");
            logged = await after.Service<IEventStore>().ReadByStreamPrefixAsync("alerts-any-failure", null, 100);
            Assert.Equal(["AlertFired", "AlertResolved"], logged.Select(e => e.Type));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task An_alert_whose_rule_was_taken_out_of_the_configuration_resolves_after_a_restart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var slowLog = new Dictionary<string, string?>
            {
                ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
                ["Brigade:Alerts:Rules:0:Name"] = "slow-log",
                ["Brigade:Alerts:Rules:0:Kind"] = "eventLogAppendP99",
                ["Brigade:Alerts:Rules:0:Threshold"] = "0",
            };
            await using (var before = await TestApp.StartAsync(dataDir: dir, extra: slowLog))
            {
                await before.PlaceAsync(Espresso);
                await before.Service<AlertMonitor>().EvaluateAsync();
                Assert.Contains(before.Service<AlertMonitor>().Active, a => a.Rule == "slow-log");
            }

            // The operator drops the rule (keeping another one) and restarts.
            await using var after = await TestApp.StartAsync(dataDir: dir, extra: new Dictionary<string, string?>
            {
                ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
                ["Brigade:Alerts:Rules:0:Name"] = "outlet-silent",
                ["Brigade:Alerts:Rules:0:Kind"] = "outletSilent",
            });
            var monitor = after.Service<AlertMonitor>();
            await monitor.EvaluateAsync();
            Assert.DoesNotContain(monitor.Active, a => a.Rule == "slow-log");
            var listed = await after.GetJsonAsync("/api/alerts");
            Assert.Equal("resolved", listed.GetProperty("recent").EnumerateArray().Single(a => a.GetProperty("rule").GetString() == "slow-log").GetProperty("state").GetString());
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task An_alert_written_although_its_write_was_answered_as_failed_is_not_fired_a_second_time()
    {
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen, extra: new Dictionary<string, string?>
        {
            ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
            ["Brigade:Alerts:Rules:0:Name"] = "any-failure",
            ["Brigade:Alerts:Rules:0:Kind"] = "failedOrders",
            ["Brigade:Alerts:Rules:0:Threshold"] = "0",
        });
        var monitor = app.Service<AlertMonitor>();
        var engine = app.Service<EngineHost>();
        await monitor.EvaluateAsync(); // nothing failed yet
        monitor.OnCommitted([new CommittedEvent(1, 1, EventSerializer.ToWrite(new Brigade.Orders.OrderFailed("o1", "no courier", engine.Clock.GetUtcNow())))]);

        // As when the connection drops during COMMIT: the alert is on disk, the monitor is told the write failed.
        app.Service<SqliteEventStore>().LoseNextAcknowledgements = 1;
        Assert.Empty(await monitor.EvaluateAsync());
        for (var i = 0; i < 100 && !engine.IsRunning; i++) await Task.Delay(50);
        Assert.True(engine.IsRunning, "the engine did not recover");
        for (var i = 0; i < 3; i++) await monitor.EvaluateAsync();

        var logged = await app.Service<IEventStore>().ReadByStreamPrefixAsync("alerts-any-failure", null, 100);
        Assert.Equal(["AlertFired"], logged.Select(e => e.Type));
        Assert.Single(monitor.Active);
    }

    [Fact]
    public async Task An_audit_query_with_an_empty_parameter_beside_the_one_it_names_reads_that_one()
    {
        // A form or script that sends every field, the unused ones empty.
        await using var app = await TestApp.StartAsync();
        var entries = await app.GetJsonAsync("/api/audit?orderId=&outletId=pizza-north&courierId=");
        Assert.Equal(System.Text.Json.JsonValueKind.Array, entries.ValueKind);
        await ProblemAssert.IsProblem(await app.Client.GetAsync("/api/audit?orderId=&outletId="), 400);
    }

    [Fact]
    public async Task An_unknown_alert_kind_stops_start_up_with_a_message()
    {
        var error = await Record.ExceptionAsync(() => TestApp.StartAsync(extra: new Dictionary<string, string?> { ["Brigade:Alerts:Rules:0:Kind"] = "gremlins" }));
        Assert.Contains("Kind must be one of", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_alert_rules_with_one_name_stop_start_up_with_a_message()
    {
        // One name is one set of alerts: the second rule would resolve what the first fired, round after round.
        var error = await Record.ExceptionAsync(() => TestApp.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Brigade:Alerts:Rules:0:Name"] = "ops",
            ["Brigade:Alerts:Rules:0:Kind"] = "outletSilent",
            ["Brigade:Alerts:Rules:1:Name"] = "ops",
            ["Brigade:Alerts:Rules:1:Kind"] = "eventLogAppendP99",
        }));
        Assert.Contains("Brigade:Alerts:Rules[1]: the name 'ops' is taken by Rules[0]", error?.Message, StringComparison.Ordinal);

        // A rule without a name is named by its kind.
        error = await Record.ExceptionAsync(() => TestApp.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Brigade:Alerts:Rules:0:Kind"] = "outletSilent",
            ["Brigade:Alerts:Rules:1:Kind"] = "outletSilent",
            ["Brigade:Alerts:Rules:1:Threshold"] = "2",
        }));
        Assert.Contains("Brigade:Alerts:Rules[1]: the name 'outletSilent' is taken by Rules[0]", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_configured_the_metrics_are_also_exported()
    {
        await using var app = await TestApp.StartAsync(extra: new Dictionary<string, string?> { ["Brigade:Telemetry:OtlpEndpoint"] = "http://127.0.0.1:4317" });
        Assert.NotNull(app.App.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous.GetAsync("/metrics")).StatusCode);
        await using var without = await TestApp.StartAsync();
        Assert.Null(without.App.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
    }

    private static async Task Until(Func<Task<bool>> condition, string message)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            await Task.Delay(50);
        }
    }

}

/// <summary>A real HTTP endpoint on a free loopback port that records what it is sent; it can fail the first requests.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;
    private int _failures;

    private WebhookReceiver(WebApplication app, string url, int failFirst)
    {
        _app = app;
        Url = url;
        _failuresLeft = failFirst;
    }

    public string Url { get; }
    public ConcurrentQueue<(string Body, string? Signature, string? EventId)> Received { get; } = new();
    public int Failures => Volatile.Read(ref _failures);

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var port = ServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hook", failFirst);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            if (Interlocked.Decrement(ref receiver._failuresLeft) >= 0)
            {
                Interlocked.Increment(ref receiver._failures);
                return Results.StatusCode(500);
            }
            using var reader = new StreamReader(http.Request.Body);
            receiver.Received.Enqueue((await reader.ReadToEndAsync(), http.Request.Headers[WebhookSignature.Header].ToString(), http.Request.Headers["Brigade-Event-Id"].ToString()));
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
