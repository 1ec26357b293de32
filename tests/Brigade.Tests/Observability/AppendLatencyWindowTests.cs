using Brigade.Alerts;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Observability;

/// <summary>The append latencies the eventLogAppendP99 alert looks at: those of the last few minutes, not the last few appends however old.</summary>
public class AppendLatencyWindowTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_latency_window_forgets_samples_older_than_its_period()
    {
        var clock = new ManualClock(Start);
        var window = new LatencyWindow(64, TimeSpan.FromMinutes(5), clock);
        for (var i = 0; i < 3; i++) window.Add(0.5);
        Assert.Equal(0.5, window.Quantile(0.99));

        clock.Advance(TimeSpan.FromMinutes(3));
        for (var i = 0; i < 10; i++) window.Add(0.001);
        Assert.Equal(0.5, window.Quantile(0.99)); // the slow ones are 3 minutes old: still in

        clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        Assert.Equal(0.001, window.Quantile(0.99)); // the slow ones are past 5 minutes, the fast ones not

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, window.Quantile(0.99)); // nothing in the last 5 minutes
    }

    [Fact]
    public void The_latency_window_keeps_only_its_newest_samples_when_they_are_more_than_it_holds()
    {
        var clock = new ManualClock(Start);
        var window = new LatencyWindow(4, TimeSpan.FromMinutes(5), clock);
        window.Add(9);
        for (var i = 1; i <= 4; i++) window.Add(i);

        Assert.Equal(4, window.Quantile(0.99));
        Assert.Equal(1, window.Quantile(0.01));
    }

    [Fact]
    public async Task The_append_p99_alert_resolves_once_the_slow_appends_are_older_than_the_window()
    {
        var clock = new ManualClock(Start);
        await using var app = await TestApp.StartAsync(
            extra: new Dictionary<string, string?>
            {
                ["Brigade:Alerts:EvaluateEverySeconds"] = "3600",
                ["Brigade:Alerts:Rules:0:Name"] = "slow-log",
                ["Brigade:Alerts:Rules:0:Kind"] = "eventLogAppendP99",
                ["Brigade:Alerts:Rules:0:Threshold"] = "1",
            },
            services: s => s.AddSingleton(new StoreMetrics(clock)));
        var monitor = app.Service<AlertMonitor>();
        var metrics = app.Service<StoreMetrics>();

        // A few appends that took seconds (a stalled disk), then the log goes quiet.
        for (var i = 0; i < 3; i++) metrics.CommitDurable(TimeSpan.FromSeconds(2));
        await monitor.EvaluateAsync();
        Assert.Contains(monitor.Active, a => a.Rule == "slow-log");

        clock.Advance(StoreMetrics.RecentPeriod - TimeSpan.FromMinutes(1));
        await monitor.EvaluateAsync();
        Assert.Contains(monitor.Active, a => a.Rule == "slow-log");

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await monitor.EvaluateAsync();
        Assert.DoesNotContain(monitor.Active, a => a.Rule == "slow-log");
    }
}
