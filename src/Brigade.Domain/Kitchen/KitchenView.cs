using System.Runtime.InteropServices;
using Brigade.Catalog;

namespace Brigade.Kitchen;

/// <summary>What the kitchen display shows: stations with their tickets, chefs, equipment, stock.</summary>
public sealed record KitchenView(
    string OutletId,
    string Name,
    DateTimeOffset At,
    bool Open,
    bool OffPeak,
    long Version,
    IReadOnlyList<StationView> Stations,
    IReadOnlyList<ChefView> Chefs,
    IReadOnlyList<EquipmentView> Equipment,
    IReadOnlyList<StockView> Stock);

public sealed record StationView(
    string Id,
    string Name,
    string Mode,
    int QueuedTasks,
    double ProjectedWaitSeconds,
    double TargetWaitSeconds,
    int TargetChefs,
    int MinChefs,
    int MaxChefs,
    int ActiveChefs,
    double MeanQueueWaitSeconds,
    IReadOnlyList<TicketView> Tickets,
    int OpenTickets);

/// <summary>A station's load, as sampled for gauges and alerts: tasks waiting, open tickets, and the 90th percentile of ticket age.</summary>
public sealed record StationLoad(string StationId, int QueuedTasks, int OpenTickets, double WaitP90Seconds, double TargetWaitSeconds);

/// <summary>One order's (or one prep batch's) unfinished tasks at one station. A station lists its oldest tickets first, at most <see cref="KitchenEngine.TicketsShown"/>.</summary>
public sealed record TicketView(string Id, string? OrderId, string? Component, long Seq, double AgeSeconds, IReadOnlyList<TaskView> Tasks);

public sealed record TaskView(
    long Id,
    string Name,
    string Item,
    int Unit,
    string Phase,
    string? ChefId,
    string? Equipment,
    int? EquipmentUnit,
    long Token,
    int Attempts,
    DateTimeOffset? StartedAt,
    DateTimeOffset? LeaseUntil,
    double WorkSeconds,
    double EquipmentSeconds,
    bool Attended);

/// <summary>A chef: <c>off</c> (not clocked in), <c>sick</c>, <c>standby</c> (on call, unpaid), <c>idle</c> or <c>busy</c>.</summary>
public sealed record ChefView(
    string Id,
    string Name,
    IReadOnlyList<string> Skills,
    double Speed,
    bool Standby,
    string State,
    long? TaskId,
    double PaidHours,
    double BusyHours,
    int TasksDone);

public sealed record EquipmentView(string Id, string Type, int Capacity, IReadOnlyList<EquipmentUnitView> Units);

public sealed record EquipmentUnitView(int Unit, int InUse, bool Broken);

public sealed record StockView(string Component, int Level, int Par, int InPrep);

public sealed partial class KitchenEngine
{
    /// <summary>The kitchen as the display shows it, at <paramref name="now"/>.</summary>
    /// <summary>Stations in catalog order, and how many order tasks wait at each (queued or blocked): cheap, for sampling.</summary>
    public int StationCount => _stations.Length;
    public string StationId(int index) => _stations[index].Spec.Id;
    public int QueuedTasks(int index) => _stations[index].Queued;

    /// <summary>
    /// Most tickets a station lists in <see cref="Snapshot"/>: its oldest, which are the ones chefs
    /// take next. The rest are counted (<see cref="StationView.OpenTickets"/>). A rush that queues
    /// thousands of tickets must not make each refresh of a display (four a second, on the engine
    /// thread) cost time in proportion to the backlog.
    /// </summary>
    public const int TicketsShown = 200;

    public KitchenView Snapshot(DateTimeOffset now)
    {
        var t = now.UtcTicks;
        // Per station, a max-heap on sequence keeps the oldest tickets seen so far: O(n log TicketsShown).
        var oldest = new PriorityQueue<OpenTicket, long>[_stations.Length];
        var counts = new int[_stations.Length];
        for (var i = 0; i < oldest.Length; i++) oldest[i] = new PriorityQueue<OpenTicket, long>(TicketsShown + 1, NewestFirst);
        ForEachOpenTicket((station, ticket) =>
        {
            counts[station]++;
            var heap = oldest[station];
            if (heap.Count < TicketsShown) heap.Enqueue(ticket, ticket.Seq);
            else if (ticket.Seq < heap.Peek().Seq) heap.EnqueueDequeue(ticket, ticket.Seq);
        });
        var stations = new List<StationView>(_stations.Length);
        foreach (var s in _stations)
        {
            var shown = new OpenTicket[oldest[s.Index].Count];
            for (var i = shown.Length - 1; i >= 0; i--) shown[i] = oldest[s.Index].Dequeue();
            var ticketViews = shown.Select(x =>
            {
                var id = x.Order is { } o ? $"{o.Id}/{s.Spec.Id}" : $"prep-{x.Prep!.Component}-{x.Prep.Seq}";
                var tasks = x.Order?.Tasks ?? x.Prep!.Tasks;
                var unfinished = tasks.Where(k => k.Station == s.Index && k.Phase is not (TaskPhase.Done or TaskPhase.Dropped)).OrderBy(k => k.IndexInOwner);
                return new TicketView(id, x.Order?.Id, x.Prep?.Component, x.Seq, TimeSpan.FromTicks(t - x.QueuedAt).TotalSeconds, unfinished.Select(TaskViewOf).ToList());
            }).ToList();

            var active = 0;
            foreach (var c in _chefs)
                if (c.Home == s.Index && c.Available) active++;
            stations.Add(new StationView(s.Spec.Id, s.Spec.Name, s.Spec.Mode.ToString().ToLowerInvariant(), s.Queued,
                TimeSpan.FromTicks(Math.Min(ProjectedWaitTicks(s), TimeSpan.FromDays(1).Ticks)).TotalSeconds, s.Spec.TargetWait.TotalSeconds,
                s.TargetActive, s.Spec.MinChefs, s.Spec.MaxChefs, active,
                s.Started == 0 ? 0 : TimeSpan.FromTicks(s.WaitTicksTotal / s.Started).TotalSeconds, ticketViews, counts[s.Index]));
        }

        var chefs = _chefs.Select(c =>
        {
            var paid = PaidTicksAt(c, t);
            var busy = c.BusyTicks + (c.Task is { Phase: TaskPhase.Working } w ? Math.Max(0, t - w.StartedAt) : 0);
            var state = !c.OnDuty ? "off" : c.Sick ? "sick" : !c.Active ? "standby" : c.Task is not null ? "busy" : "idle";
            return new ChefView(c.Id, c.Name, c.Skills.Select(i => _stations[i].Spec.Id).ToList(), c.Speed, c.Standby, state, c.Task?.Id,
                TimeSpan.FromTicks(paid).TotalHours, TimeSpan.FromTicks(busy).TotalHours, c.TasksDone);
        }).ToList();

        var equipment = _equipment.Select(e => new EquipmentView(e.Spec.Id, e.Spec.Type, e.Spec.Capacity,
            e.Used.Select((used, u) => new EquipmentUnitView(u, used, e.Broken[u])).ToList())).ToList();

        var stock = new List<StockView>();
        for (var ci = 0; ci < _components.Length; ci++)
            if (_par[ci] > 0 || _stock[ci] > 0) stock.Add(new StockView(_components[ci].Id, _stock[ci], _par[ci], _inPrep[ci]));

        return new KitchenView(OutletId, Outlet.Name, now, Outlet.IsOpen(now), Outlet.OffPeak.Count > 0 && Outlet.IsOffPeak(now), Version,
            stations, chefs, equipment, stock);
    }

    /// <summary>
    /// Each station's load for gauges and alert rules, without building the display: tasks waiting,
    /// open tickets, and the 90th percentile of their ages. One pass over the open orders, and a
    /// linear-time selection for the percentile, so sampling a large backlog stays cheap.
    /// </summary>
    public IReadOnlyList<StationLoad> StationLoads(DateTimeOffset now)
    {
        // Scratch lists kept between samples (the engine is single-threaded): a steady backlog is sampled without allocating.
        var queuedAt = _sampleScratch ??= Enumerable.Range(0, _stations.Length).Select(_ => new List<long>()).ToArray();
        foreach (var list in queuedAt) list.Clear();
        ForEachOpenTicket((station, ticket) => queuedAt[station].Add(ticket.QueuedAt));
        var loads = new StationLoad[_stations.Length];
        foreach (var s in _stations)
        {
            var times = CollectionsMarshal.AsSpan(queuedAt[s.Index]);
            var p90 = 0.0;
            if (times.Length > 0)
            {
                // Ages sorted ascending are queue times sorted descending: the age at rank r (0-based)
                // is the queue time at rank n - 1 - r, oldest first.
                var rank = Math.Clamp((int)Math.Ceiling(0.9 * times.Length) - 1, 0, times.Length - 1);
                p90 = TimeSpan.FromTicks(now.UtcTicks - Selection.Nth(times, times.Length - 1 - rank)).TotalSeconds;
            }
            loads[s.Index] = new StationLoad(s.Spec.Id, s.Queued, times.Length, p90, s.Spec.TargetWait.TotalSeconds);
        }
        return loads;
    }

    /// <summary>Chefs at work (on duty, not sick, not on standby), and how many of them hold a task.</summary>
    public (int Working, int Busy) ChefCounts()
    {
        int working = 0, busy = 0;
        foreach (var c in _chefs)
        {
            if (!c.Available) continue;
            working++;
            if (c.Task is not null) busy++;
        }
        return (working, busy);
    }

    private List<long>[]? _sampleScratch;

    /// <summary>An open ticket: one order's (or prep batch's) unfinished tasks at one station, and when it joined the queue.</summary>
    private readonly record struct OpenTicket(long Seq, long QueuedAt, KOrder? Order, KPrep? Prep);

    private static readonly Comparer<long> NewestFirst = Comparer<long>.Create((a, b) => b.CompareTo(a));

    /// <summary>
    /// Every open ticket, with its station. An order has a ticket wherever it still has unfinished
    /// tasks, which its per-station counts say without touching the tasks. A prep batch's ticket is
    /// as old as its oldest task still open at the station.
    /// </summary>
    private void ForEachOpenTicket(Action<int, OpenTicket> visit)
    {
        foreach (var order in _orders.Values)
        {
            var remaining = order.RemainingByStation;
            for (var s = 0; s < remaining.Length; s++)
                if (remaining[s] > 0) visit(s, new OpenTicket(order.Seq, order.QueuedAt, order, null));
        }
        foreach (var prep in _preps)
        {
            for (var s = 0; s < _stations.Length; s++)
            {
                var queuedAt = long.MaxValue;
                foreach (var task in prep.Tasks)
                    if (task.Station == s && task.Phase is not (TaskPhase.Done or TaskPhase.Dropped)) queuedAt = Math.Min(queuedAt, task.QueuedAt);
                if (queuedAt != long.MaxValue) visit(s, new OpenTicket(prep.Seq, queuedAt, null, prep));
            }
        }
    }

    private TaskView TaskViewOf(KTask k) => new(
        k.Id, k.Step.Name, k.Step.Item, k.ItemUnit, k.Phase.ToString().ToLowerInvariant(),
        k.Chef >= 0 && k.Phase is TaskPhase.Working or TaskPhase.HandsFree ? _chefs[k.Chef].Id : null,
        k.Equipment >= 0 ? _equipment[k.Equipment].Spec.Id : null,
        k.Unit >= 0 ? k.Unit : null,
        k.Token, k.Attempts,
        k.Phase is TaskPhase.Working or TaskPhase.HandsFree ? At(k.StartedAt) : null,
        k.Phase == TaskPhase.Working ? At(k.LeaseUntil) : null,
        k.Step.WorkSeconds, k.Step.EquipmentSeconds, k.Step.Attended);

    /// <summary>The projected wait at a station: its unstarted work over its crew's capacity.</summary>
    public TimeSpan ProjectedWait(string station) =>
        _stationIndex.TryGetValue(station, out var i) ? TimeSpan.FromTicks(Math.Min(ProjectedWaitTicks(_stations[i]), TimeSpan.FromDays(1).Ticks)) : TimeSpan.Zero;

    /// <summary>Paid hours of one chef so far (for cost accounting).</summary>
    public double PaidHours(string chefId, DateTimeOffset now) =>
        Snapshot(now).Chefs.FirstOrDefault(c => c.Id == chefId)?.PaidHours ?? 0;

    public int StockLevel(string component) => _componentIndex.TryGetValue(component, out var ci) ? _stock[ci] : 0;

    public StationMode ModeOf(string station) => _stations[_stationIndex[station]].Spec.Mode;
}
