using System.Diagnostics.Metrics;
using Brigade.Observability;

namespace Brigade.Tests.Observability;

public class PrometheusExporterTests
{
    [Fact]
    public void Measurements_with_the_same_labels_in_any_order_add_up_in_one_series()
    {
        var scope = new object();
        using var meter = new Meter("test.exporter", null, null, scope);
        using var exporter = new PrometheusExporter(scope);
        var counter = meter.CreateCounter<long>("test.calls", "{call}", "Calls");

        for (var i = 0; i < 3; i++) counter.Add(1, new("route", "/a"), new("status", 200));
        counter.Add(2, new("status", 200), new("route", "/a"));
        counter.Add(5, new("route", "/a"), new("status", 404));
        counter.Add(1, new("route", "/b"), new("status", 200));
        counter.Add(7, new("a", 1), new("b", 2), new("c", 3), new("d", 4), new("e", "five"));
        counter.Add(1, new("a", 1), new("b", 2), new("c", 3), new("d", 4), new("e", "five"));

        var lines = exporter.Scrape().Split('\n').Where(l => l.StartsWith("test_calls_total", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "test_calls_total{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"five\"} 8",
            "test_calls_total{route=\"/a\",status=\"200\"} 5",
            "test_calls_total{route=\"/a\",status=\"404\"} 5",
            "test_calls_total{route=\"/b\",status=\"200\"} 1",
        ], lines);
    }

    [Fact]
    public void A_histogram_counts_each_label_set_apart()
    {
        var scope = new object();
        using var meter = new Meter("test.exporter.histogram", null, null, scope);
        using var exporter = new PrometheusExporter(scope);
        var histogram = meter.CreateHistogram<double>("test.latency", "s", "Latency");

        histogram.Record(0.002, new KeyValuePair<string, object?>("route", "/a"));
        histogram.Record(0.2, new KeyValuePair<string, object?>("route", "/a"));
        histogram.Record(0.2, new KeyValuePair<string, object?>("route", "/b"));
        histogram.Record(1);

        var text = exporter.Scrape();
        Assert.Contains("test_latency_seconds_count{route=\"/a\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"0.0025\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_seconds_count{route=\"/b\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_seconds_count 1\n", text, StringComparison.Ordinal);
    }
}
