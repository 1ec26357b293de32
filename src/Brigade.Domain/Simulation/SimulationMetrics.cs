using Brigade.Delivery;
using Brigade.Engine;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Routing;

namespace Brigade.Simulation;

/// <summary>
/// Folds the engine's events into the run's figures: per-order times, per-station waits (from a
/// task becoming startable to a chef starting it), per-interval counts; and samples queue lengths
/// and courier use at every sample tick. Memory stays proportional to open orders and the
/// number of samples, not to the events seen.
/// </summary>
internal sealed class SimulationMetrics
{
    private const double HistogramBinMinutes = 2.5;
    private const int HistogramBins = 48; // 0 to 120 minutes; the last bin holds everything longer
    /// <summary>An order ready no later than this after its first estimate was on time.</summary>
    private static readonly TimeSpan OnTimeGrace = TimeSpan.FromMinutes(1);

    private sealed class OrderTrack
    {
        public DateTimeOffset PlacedAt;
        public bool Delivery;
        public DateTimeOffset? ReadyAt;
    }

    private sealed class TaskTrack
    {
        public int Series;
        public long AvailableAt = -1; // -1 while its previous step has not completed
        public bool Started;
    }

    private readonly Scenario _s;
    private readonly long _interval;
    private readonly Dictionary<string, OrderTrack> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Outlet, long Task), TaskTrack> _tasks = [];
    private readonly Dictionary<(string Outlet, long Task), long> _next = []; // a task -> the step waiting for it
    private readonly Dictionary<(string Outlet, string Station), int> _seriesOf = [];
    private readonly List<string> _seriesKeys = [];
    private readonly List<double> _seriesTarget = [];
    private readonly int[][] _seriesOfKitchen;
    private readonly List<Catalog.Outlet> _outlets;

    private readonly List<int> _placed = [], _delivered = [], _refused = [], _onShift = [];
    private readonly List<double> _utilisation = [];
    private readonly List<List<int>> _queue = [];
    private readonly List<List<double>> _waitSum = [];
    private readonly List<List<int>> _waitCount = [];
    private readonly List<List<double>> _waits = [];
    private readonly List<int> _queueMax = [];

    private readonly List<double> _clickToDoor = [], _readyToDoor = [], _clickToReady = [];
    private readonly Dictionary<string, int> _refusalReasons = new(StringComparer.Ordinal);
    private int _ordersPlaced, _ordersRefused, _deliveredCount, _collected, _cancelled, _failed, _rerouted, _readyOnTime, _readyCount;
    private int _scaleOuts, _scaleIns, _standby, _prep;
    private double _courierHours, _busyCourierHours;
    private DateTimeOffset _lastSample;

    public SimulationMetrics(Scenario s)
    {
        _s = s;
        _interval = s.SampleInterval.Ticks;
        // Only the outlets of restaurants with demand: the others would chart flat zeros.
        var outlets = _outlets = s.Catalog.Outlets.Where(o => s.Mix.Any(m => m.Restaurant == o.Restaurant)).ToList();
        var perOutlet = outlets.Sum(o => o.Stations.Count) <= 12;
        _seriesOfKitchen = new int[outlets.Count][];
        for (var oi = 0; oi < outlets.Count; oi++)
        {
            var o = outlets[oi];
            _seriesOfKitchen[oi] = new int[o.Stations.Count];
            for (var si = 0; si < o.Stations.Count; si++)
            {
                var station = o.Stations[si];
                var key = perOutlet ? $"{o.Id}/{station.Id}" : station.Id;
                var index = _seriesKeys.IndexOf(key);
                if (index < 0)
                {
                    index = _seriesKeys.Count;
                    _seriesKeys.Add(key);
                    _seriesTarget.Add(station.TargetWait.TotalMinutes);
                    _queue.Add([]);
                    _waitSum.Add([]);
                    _waitCount.Add([]);
                    _waits.Add([]);
                    _queueMax.Add(0);
                }
                _seriesOf[(o.Id, station.Id)] = index;
                _seriesOfKitchen[oi][si] = index;
            }
        }
    }

    public int OpenOrders => _open.Count;

    private int Bucket(DateTimeOffset at) => (int)Math.Max(0, (at - _s.Start).Ticks / _interval);

    private static void Bump(List<int> list, int bucket, int by = 1)
    {
        while (list.Count <= bucket) list.Add(0);
        list[bucket] += by;
    }

    private readonly List<string> _notes = [];

    public void Note(string note)
    {
        if (_notes.Count < 100) _notes.Add(note);
    }

    public void Refused(DateTimeOffset at, string reason)
    {
        _ordersRefused++;
        Bump(_refused, Bucket(at));
        _refusalReasons[reason] = _refusalReasons.GetValueOrDefault(reason) + 1;
    }

    public void Observe(IDomainEvent e)
    {
        switch (e)
        {
            case OrderPlaced p:
                _ordersPlaced++;
                _open[p.OrderId] = new OrderTrack { PlacedAt = p.At, Delivery = p.DeliverTo is not null };
                Bump(_placed, Bucket(p.At));
                break;
            case OrderRerouted:
                _rerouted++;
                break;
            case OrderReady r:
                if (_open.TryGetValue(r.OrderId, out var ready))
                {
                    ready.ReadyAt = r.At;
                    _clickToReady.Add((r.At - ready.PlacedAt).TotalMinutes);
                }
                _readyCount++;
                if (r.At <= r.EstimatedAtAcceptance + OnTimeGrace) _readyOnTime++;
                break;
            case OrderDelivered d:
                if (_open.Remove(d.OrderId, out var delivered))
                {
                    _clickToDoor.Add((d.At - delivered.PlacedAt).TotalMinutes);
                    if (delivered.ReadyAt is { } at) _readyToDoor.Add((d.At - at).TotalMinutes);
                }
                _deliveredCount++;
                Bump(_delivered, Bucket(d.At));
                break;
            case OrderCollected c:
                _open.Remove(c.OrderId);
                _collected++;
                break;
            case OrderCancelled c:
                _open.Remove(c.OrderId);
                _cancelled++;
                break;
            case OrderFailed f:
                _open.Remove(f.OrderId);
                _failed++;
                break;
            case OrderRejected r:
                _open.Remove(r.OrderId);
                _failed++;
                break;
            case OrderQueued q:
                Queue(q.OutletId, q.OrderId, q.Tasks, q.At);
                break;
            case TaskStarted t:
                {
                    if (!_tasks.TryGetValue((t.OutletId, t.TaskId), out var task) || task.Started || task.AvailableAt < 0) break;
                    task.Started = true;
                    var wait = TimeSpan.FromTicks(t.At.UtcTicks - task.AvailableAt).TotalMinutes;
                    var b = Bucket(t.At);
                    while (_waitSum[task.Series].Count <= b) { _waitSum[task.Series].Add(0); _waitCount[task.Series].Add(0); }
                    _waitSum[task.Series][b] += wait;
                    _waitCount[task.Series][b]++;
                    _waits[task.Series].Add(wait);
                    break;
                }
            case TaskCompleted c:
                {
                    _tasks.Remove((c.OutletId, c.TaskId));
                    if (c.OrderId is not null && _tasksOfOrder.TryGetValue((c.OutletId, c.OrderId), out var left) && left.Remove(c.TaskId) && left.Count == 0)
                        _tasksOfOrder.Remove((c.OutletId, c.OrderId));
                    if (_next.Remove((c.OutletId, c.TaskId), out var next) && _tasks.TryGetValue((c.OutletId, next), out var after))
                        after.AvailableAt = c.At.UtcTicks;
                    break;
                }
            case OrderWithdrawn or OrderCookingFailed:
                // The order's tasks here will never start; forget them.
                var (outlet, order) = e is OrderWithdrawn w ? (w.OutletId, w.OrderId) : (((OrderCookingFailed)e).OutletId, ((OrderCookingFailed)e).OrderId);
                Forget(outlet, order);
                break;
            case StationScaled sc:
                if (sc.To > sc.From) _scaleOuts++; else _scaleIns++;
                break;
            case ChefActivated:
                _standby++;
                break;
            case StockPrepared:
                _prep++;
                break;
        }
    }

    private readonly Dictionary<(string Outlet, string Order), List<long>> _tasksOfOrder = [];

    private void Queue(string outlet, string order, IReadOnlyList<QueuedTask> tasks, DateTimeOffset at)
    {
        var ids = new List<long>(tasks.Count);
        foreach (var t in tasks)
        {
            var track = new TaskTrack { Series = _seriesOf.GetValueOrDefault((outlet, t.Station)), AvailableAt = t.After == 0 ? at.UtcTicks : -1 };
            _tasks[(outlet, t.Id)] = track;
            if (t.After != 0) _next[(outlet, t.After)] = t.Id;
            ids.Add(t.Id);
        }
        _tasksOfOrder[(outlet, order)] = ids;
    }

    private void Forget(string outlet, string order)
    {
        if (!_tasksOfOrder.Remove((outlet, order), out var ids)) return;
        foreach (var id in ids)
        {
            _tasks.Remove((outlet, id));
            _next.Remove((outlet, id));
        }
    }

    public void Sample(BrigadeEngine engine, InvariantChecker checker, DateTimeOffset now)
    {
        var b = Bucket(now);
        var oi = 0;
        foreach (var outlet in _outlets)
        {
            var kitchen = engine.KitchenOf(outlet.Id)!;
            var series = _seriesOfKitchen[oi++];
            for (var si = 0; si < series.Length; si++)
            {
                var q = _queue[series[si]];
                while (q.Count <= b) q.Add(0);
                q[b] += kitchen.QueuedTasks(si);
            }
        }
        for (var i = 0; i < _queue.Count; i++)
            if (_queue[i].Count > b && _queue[i][b] > _queueMax[i]) _queueMax[i] = _queue[i][b];

        var onShift = checker.CouriersOnShift;
        var busy = Math.Min(onShift, checker.CouriersBusy);
        while (_onShift.Count <= b) { _onShift.Add(0); _utilisation.Add(0); }
        _onShift[b] = onShift;
        _utilisation[b] = onShift == 0 ? 0 : (double)busy / onShift;
        if (_lastSample != default)
        {
            var hours = (now - _lastSample).TotalHours;
            _courierHours += onShift * hours;
            _busyCourierHours += busy * hours;
        }
        _lastSample = now;
    }

    public SimulationResult Result(BrigadeEngine engine, DateTimeOffset end, long events, IReadOnlyList<IncidentMark> incidents, IReadOnlyList<InvariantResult> invariants)
    {
        var buckets = Bucket(end) + 1;
        List<int> Pad(List<int> l) { while (l.Count < buckets) l.Add(0); return l; }
        var stations = new List<StationSummary>();
        var series = new List<StationSeries>();
        for (var i = 0; i < _seriesKeys.Count; i++)
        {
            stations.Add(new StationSummary(_seriesKeys[i], _waits[i].Count, Stats.Of(_waits[i]), _queueMax[i], _seriesTarget[i]));
            var waits = new double?[buckets];
            for (var b = 0; b < Math.Min(buckets, _waitCount[i].Count); b++)
                if (_waitCount[i][b] > 0) waits[b] = _waitSum[i][b] / _waitCount[i][b];
            series.Add(new StationSeries(_seriesKeys[i], Pad(_queue[i]), waits));
        }
        while (_utilisation.Count < buckets) _utilisation.Add(0);

        double paid = 0;
        foreach (var k in engine.Kitchens)
            foreach (var chef in k.Snapshot(end).Chefs) paid += chef.PaidHours;

        var summary = new SimulationSummary(
            _ordersPlaced, _ordersRefused, _deliveredCount, _collected, _cancelled, _failed, _open.Count, _rerouted,
            Stats.Of(_clickToDoor), Stats.Of(_readyToDoor), Stats.Of(_clickToReady),
            _readyCount == 0 ? 0 : (double)_readyOnTime / _readyCount,
            _courierHours, _courierHours == 0 ? 0 : _busyCourierHours / _courierHours,
            paid, _scaleOuts, _scaleIns, _standby, _prep, stations,
            new SortedDictionary<string, int>(_refusalReasons, StringComparer.Ordinal));
        var timeline = new Timeline(_s.SampleInterval.TotalMinutes, Pad(_placed), Pad(_delivered), Pad(_refused), Pad(_onShift), _utilisation, series);
        return new SimulationResult(_s.Name, _s.Variant, _s.Description, _s.Seed, _s.Start, _s.DemandEnd, end, events, summary, timeline,
            Histogram(_clickToDoor), Histogram(_readyToDoor), incidents, invariants, _notes)
        {
            TimeZone = _s.TimeZone.Id,
        };
    }

    private static Histogram Histogram(List<double> minutes)
    {
        var counts = new int[HistogramBins];
        foreach (var m in minutes) counts[Math.Clamp((int)(m / HistogramBinMinutes), 0, HistogramBins - 1)]++;
        return new Histogram(HistogramBinMinutes, counts);
    }
}
