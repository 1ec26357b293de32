using Brigade.Hosting;
using Microsoft.Extensions.Configuration;

namespace Brigade.Tests.Api;

/// <summary>A key under <c>Brigade</c> that no setting reads (a misspelt one) stops start-up instead of leaving its setting at the default.</summary>
public class UnknownSettingsTests
{
    [Theory]
    [InlineData("Brigade:TimeScael", "Brigade:TimeScael is not a setting; did you mean Brigade:TimeScale?")]
    [InlineData("Brigade:Catalgo", "Brigade:Catalgo is not a setting; did you mean Brigade:Catalog?")]
    [InlineData("Brigade:Limits:Burts", "Brigade:Limits:Burts is not a setting; did you mean Brigade:Limits:Burst?")]
    [InlineData("Brigade:limit:burst", "Brigade:limit:burst is not a setting; did you mean Brigade:Limits:burst?")]
    [InlineData("Brigade:Burst", "Brigade:Burst is not a setting; did you mean Brigade:Limits:Burst?")]
    [InlineData("Brigade:Demo:OrdersPerHour", "Brigade:Demo:OrdersPerHour is not a setting; did you mean Brigade:DemoTraffic:OrdersPerHour?")]
    [InlineData("Brigade:Alerts:Rules:0:Threshhold", "Brigade:Alerts:Rules:0:Threshhold is not a setting; did you mean Brigade:Alerts:Rules:0:Threshold?")]
    [InlineData("Brigade:WebhookSecret", "Brigade:WebhookSecret is not a setting; did you mean Brigade:Payments:WebhookSecret or Brigade:Alerts:WebhookSecret?")]
    // Read by the server from other settings, not a setting itself.
    [InlineData("Brigade:EffectiveTimeScale", "Brigade:EffectiveTimeScale is not a setting")]
    [InlineData("Brigade:Kitchen:Ovens", "Brigade:Kitchen:Ovens is not a setting")]
    public void Refuses_to_start_with_a_key_no_setting_reads_and_names_the_one_most_likely_meant(string key, string says)
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-settings-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["Brigade:DataDir"] = dir, ["Brigade:Alerts:Rules:0:Kind"] = "failedOrders", [key] = "5" };

        var e = Assert.Throws<SettingsException>(() => BrigadeServer.Build(settings));

        Assert.Equal(says, e.Message);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Names_every_unknown_key_at_once()
    {
        var settings = new Dictionary<string, string?> { ["Brigade:TimeScael"] = "5", ["Brigade:Limits:Brust"] = "5", ["Brigade:DataDir"] = "./data" };

        var e = Assert.Throws<SettingsException>(() => BrigadeOptions.Bind(Configuration(settings)));

        Assert.Contains("Brigade:TimeScael is not a setting", e.Message, StringComparison.Ordinal);
        Assert.Contains("Brigade:Limits:Brust is not a setting; did you mean Brigade:Limits:Burst?", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_is_known_in_any_case_and_keys_outside_the_section_are_left_to_others()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Brigade:DataDir"] = "./data", ["brigade:catalog"] = "menu.json", ["Brigade:TimeScale"] = "2", ["BRIGADE:DEMO"] = "true",
            ["Brigade:DemoTraffic:OrdersPerHour"] = "10", ["Brigade:DemoTraffic:PickupShare"] = "0.5", ["Brigade:DemoTraffic:CollectAfterSeconds"] = "60", ["Brigade:DemoTraffic:Seed"] = "7",
            ["Brigade:Store"] = "postgres", ["Brigade:Postgres"] = "Host=db;Username=u;Database=d", ["Brigade:RabbitMq"] = "amqp://mq/",
            ["Brigade:Auth:SigningKey"] = new string('k', 32), ["Brigade:Auth:ClockSkewSeconds"] = "10", ["Brigade:Auth:GuestTokens"] = "false", ["Brigade:Auth:GuestTokenMinutes"] = "60",
            ["Brigade:Limits:RequestsPerSecond"] = "5", ["Brigade:Limits:Burst"] = "5", ["Brigade:Limits:GuestTokensPerMinute"] = "5", ["Brigade:Limits:CourierLocationsPerSecond"] = "5",
            ["Brigade:Limits:CourierLocationBurst"] = "5", ["Brigade:Limits:MaxBodyBytes"] = "4096", ["Brigade:Limits:RequestTimeoutSeconds"] = "5", ["Brigade:Limits:TrustedProxies:0"] = "10.0.0.0/8",
            ["Brigade:Payments:Required"] = "true", ["Brigade:Payments:Restaurants:0"] = "pizza-parlour", ["Brigade:Payments:WebhookSecret"] = "s", ["Brigade:Payments:WebhookToleranceSeconds"] = "60",
            ["Brigade:Payments:TimeoutMinutes"] = "5", ["Brigade:Payments:LocalCallbacks"] = "false", ["Brigade:Payments:LocalDeclineAboveCents"] = "100",
            ["Brigade:Telemetry:OtlpEndpoint"] = "http://collector:4317", ["Brigade:Telemetry:OtlpProtocol"] = "grpc",
            ["Brigade:Alerts:EvaluateEverySeconds"] = "5", ["Brigade:Alerts:Webhooks:0"] = "https://ops.example/hook", ["Brigade:Alerts:WebhookSecret"] = "s",
            ["Brigade:Alerts:Rules:0:Name"] = "failures", ["Brigade:Alerts:Rules:0:Kind"] = "failedOrders", ["Brigade:Alerts:Rules:0:Threshold"] = "5", ["Brigade:Alerts:Rules:0:WindowMinutes"] = "5",
            ["Brigade:DeviceHeartbeatOutlets:0"] = "pizza-north",
            ["Logging:LogLevel:Default"] = "Debug", ["Brigades:Anything"] = "x",
        };

        var options = BrigadeOptions.Bind(Configuration(settings));

        Assert.Equal("menu.json", options.Catalog);
        Assert.Equal(100, options.Payments.LocalDeclineAboveCents);
        Assert.Equal(["pizza-north"], options.DeviceHeartbeatOutlets);
    }

    [Fact]
    public void The_shipped_appsettings_file_is_read_without_complaint()
    {
        var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: false).Build();

        Assert.Equal("./data", BrigadeOptions.Bind(configuration).DataDir);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
