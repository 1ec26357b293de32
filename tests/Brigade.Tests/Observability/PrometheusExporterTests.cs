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

    [Fact]
    public void Help_text_escapes_backslash_and_line_feed_as_the_text_format_requires()
    {
        var scope = new object();
        using var meter = new Meter("test.exporter.help", null, null, scope);
        using var exporter = new PrometheusExporter(scope);
        meter.CreateCounter<long>("test.paths", "{path}", "Paths under C:\\data\nper \"outlet\"").Add(1);

        var lines = exporter.Scrape().Split('\n');

        // A scraper reads \\ as a backslash and \n as a line feed: the text comes back as written (a double quote needs no escape here).
        Assert.Contains("# HELP test_paths_total Paths under C:\\\\data\\nper \"outlet\"", lines);
        Assert.Contains("test_paths_total 1", lines);
    }

    [Fact]
    public void Label_values_escape_backslash_double_quote_and_line_feed()
    {
        var scope = new object();
        using var meter = new Meter("test.exporter.labels", null, null, scope);
        using var exporter = new PrometheusExporter(scope);
        meter.CreateCounter<long>("test.labelled").Add(1, new KeyValuePair<string, object?>("path", "C:\\data\n\"x\""));

        var lines = exporter.Scrape().Split('\n');

        Assert.Contains("test_labelled_total{path=\"C:\\\\data\\n\\\"x\\\"\"} 1", lines);
    }

    [Fact]
    public void The_runtime_s_collections_pauses_allocations_and_cpu_time_are_exported()
    {
        using var exporter = new PrometheusExporter(new object());
        var garbage = new List<byte[]>();
        for (var i = 0; i < 64; i++) garbage.Add(new byte[1024]);
        GC.KeepAlive(garbage);
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);

        var lines = exporter.Scrape().Split('\n');

        double Value(string series) => double.Parse(Assert.Single(lines, l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        // The runtime counts a collection under the oldest generation it collected, and may collect
        // more than asked (alone in a process, the forced gen-0 collection is counted as gen 2).
        Assert.True(new[] { "gen0", "gen1", "gen2" }.Sum(g => Value($"dotnet_gc_collections_total{{gc_heap_generation=\"{g}\"}}")) >= 1);
        Assert.True(Value("dotnet_gc_heap_total_allocated_bytes_total") >= 64 * 1024);
        Assert.True(Value("dotnet_gc_pause_time_seconds_total") >= 0);
        Assert.True(Value("dotnet_process_cpu_time_seconds_total{cpu_mode=\"user\"}") > 0);
        Assert.Contains(lines, l => l.StartsWith("# TYPE dotnet_gc_collections_total counter", StringComparison.Ordinal));
        // Levels that go down are gauges, whatever instrument the runtime made them with.
        Assert.True(Value("dotnet_thread_pool_thread_count") >= 0);
        Assert.Contains("# TYPE dotnet_thread_pool_queue_length gauge", lines);
    }
}
