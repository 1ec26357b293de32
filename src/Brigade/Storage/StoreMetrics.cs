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

    /// <summary>How far back <see cref="Recent"/> looks: appends older than this say nothing about the log now.</summary>
    public static readonly TimeSpan RecentPeriod = TimeSpan.FromMinutes(5);

    private readonly LatencyWindow _recent;

    public StoreMetrics()
        : this(TimeProvider.System)
    {
    }

    /// <param name="clock">Real time (append latencies are real durations), or a test's clock.</param>
    internal StoreMetrics(TimeProvider clock) => _recent = new LatencyWindow(4096, RecentPeriod, clock);

    /// <summary>Recent append latencies, for alert rules (p99 over the last <see cref="RecentPeriod"/>).</summary>
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

/// <summary>
/// The samples of the last <see cref="Period"/>, up to a fixed number: a ring of values, each with
/// when it was taken, so that a few slow appends followed by silence do not hold a quantile up for
/// ever. Adding takes no lock and allocates nothing (the log's writer thread adds every commit):
/// a slot, a clock read, two stores. Quantiles are computed on demand over a copy of the samples
/// still in the period.
/// </summary>
public sealed class LatencyWindow
{
    private readonly double[] _samples;
    private readonly long[] _stamps; // the clock's timestamp when each sample was added
    private readonly TimeProvider _clock;
    private readonly long _periodTicks; // the period in the clock's timestamp units
    private long _count;

    public LatencyWindow(int capacity, TimeSpan period, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(clock);
        _samples = new double[capacity];
        _stamps = new long[capacity];
        _clock = clock;
        Period = period;
        _periodTicks = (long)(period.TotalSeconds * clock.TimestampFrequency);
    }

    public TimeSpan Period { get; }

    public void Add(double value)
    {
        var stamp = _clock.GetTimestamp();
        var i = (int)((Interlocked.Increment(ref _count) - 1) % _samples.Length);
        _samples[i] = value;
        // The stamp goes last and is read first: a reader that sees this stamp sees this value. One
        // that reads a slot being overwritten may pair the new value with the old stamp, and count
        // it or not once; a quantile over thousands of samples does not notice.
        Volatile.Write(ref _stamps[i], stamp);
    }

    /// <summary>The <paramref name="q"/> quantile of the samples taken within the period; 0 if there are none.</summary>
    public double Quantile(double q)
    {
        var n = (int)Math.Min(Interlocked.Read(ref _count), _samples.Length);
        if (n == 0) return 0;
        var since = _clock.GetTimestamp() - _periodTicks;
        var copy = new double[n];
        var m = 0;
        for (var i = 0; i < n; i++)
            if (Volatile.Read(ref _stamps[i]) >= since) copy[m++] = _samples[i];
        if (m == 0) return 0;
        Array.Sort(copy, 0, m);
        return copy[Math.Clamp((int)Math.Ceiling(q * m) - 1, 0, m - 1)];
    }
}
