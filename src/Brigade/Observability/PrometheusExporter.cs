using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Brigade.Observability;

/// <summary>
/// Listens to the Brigade meters (System.Diagnostics.Metrics) and the runtime's own
/// (<c>System.Runtime</c>: collections, pause time, heap, allocations, CPU time, thread pool, lock
/// contention, exceptions, JIT) and writes what they measured in the Prometheus text format
/// (version 0.0.4): counters as <c>_total</c>, histograms with cumulative buckets, gauges read at
/// scrape time. Names follow Prometheus conventions: dots become underscores, units become
/// suffixes (<c>s</c> → <c>_seconds</c>). The runtime's instruments, but for the exception count,
/// are observed at scrape time, so they cost nothing per request.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>The runtime's meter (.NET 9 and later).</summary>
    public const string RuntimeMeterName = "System.Runtime";

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
    private static readonly double[] CountBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private readonly Lock _scrape = new();

    /// <param name="scope">Only meters with this scope, the shared event-log meter and the runtime's meter.</param>
    public PrometheusExporter(object scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!(ReferenceEquals(instrument.Meter.Scope, scope) || instrument.Meter.Name is Storage.StoreMetrics.MeterName or RuntimeMeterName)) return;
            _series[instrument] = new Series(instrument);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _series.TryRemove(instrument, out Series? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var series)) series.Record(tags, value);
    }

    public string Scrape()
    {
        lock (_scrape)
        {
            foreach (var s in _series.Values) if (s.IsObservable) s.ResetGauges();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var s in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal)) s.Write(text);
            return text.ToString();
        }
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<(string, string)>(tags.Length);
        foreach (var t in tags) pairs.Add((Sanitize(t.Key), Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""));
        pairs.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return string.Join(",", pairs.Select(p => $"{p.Item1}=\"{Escape(p.Item2)}\""));
    }

    /// <summary>A label value as the text format wants it: backslash, double quote and line feed escaped.</summary>
    private static string Escape(string value) => EscapeHelp(value).Replace("\"", "\\\"", StringComparison.Ordinal);

    /// <summary>HELP text as the text format wants it: backslash and line feed escaped (a double quote stays as it is).</summary>
    private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++) if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] != '_') chars[i] = '_';
        return new string(chars);
    }

    public static string NameOf(Instrument instrument)
    {
        var name = Sanitize(instrument.Name);
        var suffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            "1" => "_ratio",
            _ => "",
        };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal)) name += suffix;
        if (IsCounter(instrument)) name += "_total";
        return name;
    }

    // Levels the runtime publishes as observable counters although they go up and down (the
    // OpenTelemetry conventions call them up-down counters): exported as gauges.
    private static readonly HashSet<string> RuntimeLevels = ["dotnet.thread_pool.thread.count", "dotnet.thread_pool.queue.length"];

    private static bool IsCounter(Instrument instrument) =>
        instrument is Counter<long> or Counter<double> or Counter<int> or ObservableCounter<long> or ObservableCounter<double>
        && !(instrument.Meter.Name == RuntimeMeterName && RuntimeLevels.Contains(instrument.Name));

    private static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();

    private sealed class Series(Instrument instrument)
    {
        private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);
        // The same cells by the tags as measured: a label set seen before is found without building
        // its text, so a measurement allocates nothing (it runs once or more per request).
        private readonly ConcurrentDictionary<TagSet, Cell> _byTags = new();
        private readonly Kind _kind = instrument switch
        {
            Histogram<double> or Histogram<long> or Histogram<int> => Kind.Histogram,
            _ when IsCounter(instrument) => Kind.Counter,
            UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> => Kind.Sum,
            _ => Kind.Gauge,
        };
        private readonly double[] _bounds = instrument.Unit == "s" ? SecondsBuckets : CountBuckets;

        public string Name { get; } = NameOf(instrument);
        public bool IsObservable => instrument.IsObservable;

        public void ResetGauges()
        {
            _byTags.Clear();
            _cells.Clear();
        }

        public void Record(ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
        {
            Cell? cell;
            if (tags.Length > TagSet.Max) cell = CellFor(Labels(tags));
            else
            {
                var key = new TagSet(tags);
                if (!_byTags.TryGetValue(key, out cell))
                {
                    // Tags in another order are the same labels, so both keys lead to one cell.
                    cell = CellFor(Labels(tags));
                    _byTags.TryAdd(key, cell);
                }
            }
            lock (cell)
            {
                switch (_kind)
                {
                    case Kind.Histogram:
                        var i = 0;
                        while (i < _bounds.Length && value > _bounds[i]) i++;
                        cell.Buckets![i]++;
                        cell.Sum += value;
                        cell.Count++;
                        break;
                    case Kind.Gauge:
                        cell.Sum = value;
                        break;
                    default:
                        // Observable counters report their running total; the others report increments.
                        cell.Sum = instrument.IsObservable ? value : cell.Sum + value;
                        break;
                }
            }
        }

        public void Write(StringBuilder text)
        {
            if (_cells.IsEmpty) return;
            if (!string.IsNullOrEmpty(instrument.Description)) text.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(instrument.Description)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(_kind switch { Kind.Histogram => "histogram", Kind.Counter => "counter", _ => "gauge" }).Append('\n');
            foreach (var (labels, cell) in _cells.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                lock (cell)
                {
                    if (_kind != Kind.Histogram)
                    {
                        text.Append(Name).Append(Braces(labels)).Append(' ').Append(Number(cell.Sum)).Append('\n');
                        continue;
                    }
                    long cumulative = 0;
                    for (var i = 0; i <= _bounds.Length; i++)
                    {
                        cumulative += cell.Buckets![i];
                        var le = i < _bounds.Length ? Number(_bounds[i]) : "+Inf";
                        text.Append(Name).Append("_bucket{").Append(labels).Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
                    }
                    text.Append(Name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Number(cell.Sum)).Append('\n');
                    text.Append(Name).Append("_count").Append(Braces(labels)).Append(' ').Append(cell.Count).Append('\n');
                }
            }
        }

        private Cell CellFor(string labels) => _cells.GetOrAdd(labels, _ => new Cell(_kind == Kind.Histogram ? new long[_bounds.Length + 1] : null));

        private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";
    }

    /// <summary>Up to <see cref="Max"/> tags as measured, compared by key and value (boxed numbers by value).</summary>
    private readonly struct TagSet : IEquatable<TagSet>
    {
        public const int Max = 4;
        private readonly int _count;
        private readonly string? _k0, _k1, _k2, _k3;
        private readonly object? _v0, _v1, _v2, _v3;

        public TagSet(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            _count = tags.Length;
            if (tags.Length > 0) (_k0, _v0) = (tags[0].Key, tags[0].Value);
            if (tags.Length > 1) (_k1, _v1) = (tags[1].Key, tags[1].Value);
            if (tags.Length > 2) (_k2, _v2) = (tags[2].Key, tags[2].Value);
            if (tags.Length > 3) (_k3, _v3) = (tags[3].Key, tags[3].Value);
        }

        public bool Equals(TagSet other) =>
            _count == other._count &&
            string.Equals(_k0, other._k0, StringComparison.Ordinal) && Equals(_v0, other._v0) &&
            string.Equals(_k1, other._k1, StringComparison.Ordinal) && Equals(_v1, other._v1) &&
            string.Equals(_k2, other._k2, StringComparison.Ordinal) && Equals(_v2, other._v2) &&
            string.Equals(_k3, other._k3, StringComparison.Ordinal) && Equals(_v3, other._v3);

        public override bool Equals(object? obj) => obj is TagSet other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_count, _v0, _v1, _v2, _v3);
    }

    private sealed class Cell(long[]? buckets)
    {
        public long[]? Buckets { get; } = buckets;
        public double Sum { get; set; }
        public long Count { get; set; }
    }

    private enum Kind { Counter, Sum, Gauge, Histogram }
}
