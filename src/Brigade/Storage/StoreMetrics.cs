using System.Diagnostics.Metrics;

namespace Brigade.Storage;

/// <summary>Event-log instruments: how long a commit takes to become durable, and how many share a batch.</summary>
public sealed class StoreMetrics
{
    public const string MeterName = "Brigade.EventLog";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> AppendLatency = Meter.CreateHistogram<double>(
        "brigade.eventlog.append.duration", "s", "Time from enqueueing a commit to its being durable");
    private static readonly Histogram<int> BatchCommits = Meter.CreateHistogram<int>(
        "brigade.eventlog.batch.commits", "{commit}", "Commits sharing one transaction and fsync");
    private static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>(
        "brigade.eventlog.batch.duration", "s", "Time to write and fsync one batch");
    private static readonly Counter<long> EventsAppended = Meter.CreateCounter<long>(
        "brigade.eventlog.events", "{event}", "Events appended to the log");
    private static readonly Counter<long> ListenerFailures = Meter.CreateCounter<long>(
        "brigade.eventlog.listener.failures", "{failure}", "Commit listeners (read models, feeds, relays) that threw on a durable batch");

    /// <summary>A commit listener threw; the writer carried on. Counted, and written to standard error.</summary>
    internal static void ListenerFailed(string store, Exception e)
    {
        ListenerFailures.Add(1, new KeyValuePair<string, object?>("store", store));
        Console.Error.WriteLine($"brigade: a listener of the {store} log failed on a durable batch and was skipped: {e}");
    }

    private readonly LatencyWindow _recent = new(4096);

    /// <summary>Recent append latencies, for alert rules (p99 over a window).</summary>
    public LatencyWindow Recent => _recent;

    public void CommitDurable(TimeSpan latency)
    {
        AppendLatency.Record(latency.TotalSeconds);
        _recent.Add(latency.TotalSeconds);
    }

    public void BatchWritten(int commits, int events, TimeSpan duration)
    {
        BatchCommits.Record(commits);
        BatchDuration.Record(duration.TotalSeconds);
        EventsAppended.Add(events);
    }
}

/// <summary>A fixed ring of recent samples; quantiles are computed on demand over a copy.</summary>
public sealed class LatencyWindow(int capacity)
{
    private readonly double[] _samples = new double[capacity];
    private long _count;

    public void Add(double value)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        _samples[i % _samples.Length] = value;
    }

    public double Quantile(double q)
    {
        var n = (int)Math.Min(Interlocked.Read(ref _count), _samples.Length);
        if (n == 0) return 0;
        var copy = _samples[..n];
        Array.Sort(copy);
        return copy[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)];
    }
}
