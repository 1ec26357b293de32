using System.Net;
using System.Text.Json;
using Brigade.Alerts;
using Brigade.Engine;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>Alerts in the log, however many: what is firing after a restart, and the history paged back to the first.</summary>
public class AlertHistoryTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A data directory whose log holds an alert of rule <c>gone</c> (no longer configured) that fired
    /// first and never resolved, then <paramref name="pairs"/> alerts of rule <c>flappy</c>, each fired
    /// and resolved: more alert events than any one read of the log returns.
    /// </summary>
    private static async Task<string> LogWithManyAlertsAsync(int pairs)
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-test-" + Guid.NewGuid().ToString("N"));
        var store = new SqliteEventStore(dir);
        await using (store)
        {
            await store.InitializeAsync();
            await store.CommitAsync(new Commit([EventSerializer.ToWrite(
                new AlertFired("alert-old", "gone", AlertKinds.OutletSilent, "k9", "outlet k9 is silent (no heartbeat)", 1, 0, Start))]));
            for (var first = 0; first < pairs; first += 1000)
            {
                var batch = new List<EventToWrite>();
                for (var i = first; i < Math.Min(first + 1000, pairs); i++)
                {
                    var at = Start.AddMinutes(i + 1);
                    batch.Add(EventSerializer.ToWrite(new AlertFired($"alert-{i}", "flappy", AlertKinds.OutletSilent, "k1", "outlet k1 is silent (no heartbeat)", 1, 0, at)));
                    batch.Add(EventSerializer.ToWrite(new AlertResolved($"alert-{i}", "flappy", "k1", "outlet k1 is silent (no heartbeat): no longer the case", at.AddSeconds(30))));
                }
                await store.CommitAsync(new Commit(batch));
            }
        }
        return dir;
    }

    private static void Delete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task An_alert_that_fired_before_ten_thousand_other_alert_events_is_known_as_firing_after_a_restart()
    {
        var dir = await LogWithManyAlertsAsync(pairs: 5_100);
        try
        {
            // Rule "gone" is no longer configured: the alert it left firing resolves, which only an alert known as firing can.
            await using var app = await TestApp.StartAsync(dataDir: dir, extra: new Dictionary<string, string?>
            {
                ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
                ["Brigade:Alerts:Rules:0:Name"] = "flappy",
                ["Brigade:Alerts:Rules:0:Kind"] = "outletSilent",
            });
            await app.Service<AlertMonitor>().EvaluateAsync();

            var gone = await app.Service<IEventStore>().ReadStreamAsync("alerts-gone");
            Assert.Equal(["AlertFired", "AlertResolved"], gone.Select(e => e.Type));
            var resolved = Assert.IsType<AlertResolved>(EventSerializer.Deserialize(gone[1]));
            Assert.Equal("alert-old", resolved.AlertId);
            Assert.DoesNotContain(app.Service<AlertMonitor>().Active, a => a.Rule == "gone");
        }
        finally
        {
            Delete(dir);
        }
    }

    [Fact]
    public async Task The_alert_history_pages_back_to_the_first_alert_through_the_before_cursor()
    {
        const int pairs = 5_100;
        var dir = await LogWithManyAlertsAsync(pairs);
        try
        {
            await using var app = await TestApp.StartAsync(dataDir: dir, extra: new Dictionary<string, string?> { ["Brigade:Alerts:EvaluateEverySeconds"] = "3600" });
            await app.Service<AlertMonitor>().EvaluateAsync(); // no rules: the one "gone" left firing resolves

            var pages = new List<List<JsonElement>>();
            string url = "/api/alerts?limit=1000";
            while (true)
            {
                var response = await app.GetJsonAsync(url);
                pages.Add([.. response.GetProperty("recent").EnumerateArray()]);
                var next = response.GetProperty("nextBefore");
                if (next.ValueKind == JsonValueKind.Null) break;
                Assert.True(pages.Count <= 10, "the history never ended");
                url = $"/api/alerts?limit=1000&before={next.GetInt64()}";
            }

            // Newest last within a page, and each page older than the one before it: together, every alert once, in the order fired.
            Assert.Equal(6, pages.Count);
            Assert.All(pages.Take(5), p => Assert.Equal(1000, p.Count));
            var all = pages.AsEnumerable().Reverse().SelectMany(p => p).ToList();
            Assert.Equal(["alert-old", .. Enumerable.Range(0, pairs).Select(i => $"alert-{i}")], all.Select(a => a.GetProperty("alertId").GetString()));
            Assert.All(all, a => Assert.Equal("resolved", a.GetProperty("state").GetString()));
            Assert.Equal(Start.AddMinutes(1).AddSeconds(30), all[1].GetProperty("resolvedAt").GetDateTimeOffset());
            Assert.Equal("gone", all[0].GetProperty("rule").GetString());
            Assert.Equal(JsonValueKind.String, all[0].GetProperty("resolvedAt").ValueKind);
        }
        finally
        {
            Delete(dir);
        }
    }

    [Fact]
    public async Task An_alert_firing_when_the_page_ends_is_listed_as_firing_and_one_resolved_after_it_as_resolved()
    {
        await using var app = await TestApp.StartAsync(extra: new Dictionary<string, string?> { ["Brigade:Alerts:EvaluateEverySeconds"] = "3600" });
        // With no rules configured, the round at start-up resolves alerts of rules it does not know:
        // let it run before these are written, not in the middle of them.
        await app.Service<AlertMonitor>().FirstRound.WaitAsync(TimeSpan.FromSeconds(30));
        var store = app.Service<IEventStore>();
        var at = app.Service<EngineHost>().Clock.GetUtcNow();
        var a = await store.CommitAsync(new Commit([EventSerializer.ToWrite(new AlertFired("alert-a", "r1", AlertKinds.OutletSilent, "k1", "silent", 1, 0, at))]));
        var b = await store.CommitAsync(new Commit([EventSerializer.ToWrite(new AlertFired("alert-b", "r2", AlertKinds.OutletSilent, "k2", "silent", 1, 0, at))]));
        var c = await store.CommitAsync(new Commit([EventSerializer.ToWrite(new AlertFired("alert-c", "r3", AlertKinds.OutletSilent, "k3", "silent", 1, 0, at))]));
        await store.CommitAsync(new Commit([EventSerializer.ToWrite(new AlertResolved("alert-a", "r1", "k1", "back", at.AddMinutes(1)))]));

        var older = await app.GetJsonAsync($"/api/alerts?limit=1&before={c.FirstPosition}");
        var oldest = await app.GetJsonAsync($"/api/alerts?limit=5&before={b.FirstPosition}");

        var page = Assert.Single(older.GetProperty("recent").EnumerateArray());
        Assert.Equal(("alert-b", "firing"), (page.GetProperty("alertId").GetString(), page.GetProperty("state").GetString()));
        Assert.Equal(b.FirstPosition, older.GetProperty("nextBefore").GetInt64());
        var first = Assert.Single(oldest.GetProperty("recent").EnumerateArray());
        Assert.Equal(("alert-a", "resolved"), (first.GetProperty("alertId").GetString(), first.GetProperty("state").GetString()));
        Assert.Equal(JsonValueKind.Null, oldest.GetProperty("nextBefore").ValueKind);
        Assert.True(a.FirstPosition < b.FirstPosition);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task A_before_that_is_not_a_log_position_is_a_422_that_says_so(string before)
    {
        await using var app = await TestApp.StartAsync();

        var problem = await ProblemAssert.IsProblem(await app.Client.GetAsync($"/api/alerts?before={Uri.EscapeDataString(before)}"), 422);

        Assert.Contains("before must be a log position", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
