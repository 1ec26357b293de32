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
    IReadOnlyList<TicketView> Tickets);

/// <summary>One order's (or one prep batch's) tasks at one station, oldest first.</summary>
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

    public KitchenView Snapshot(DateTimeOffset now)
    {
        var t = now.UtcTicks;
        var stations = new List<StationView>(_stations.Length);
        foreach (var s in _stations)
        {
            // Group the station's open tasks into tickets: one per order (or prep batch), FIFO by sequence.
            var tickets = new SortedDictionary<long, (KOrder? Order, KPrep? Prep, List<KTask> Tasks)>();
            foreach (var task in _tasks.Values)
            {
                if (task.Station != s.Index || task.Phase is TaskPhase.Done or TaskPhase.Dropped) continue;
                var key = task.Seq;
                if (!tickets.TryGetValue(key, out var ticket)) tickets[key] = ticket = (task.Order, task.Prep, []);
                ticket.Tasks.Add(task);
            }
            var ticketViews = tickets.Values.Select(x =>
            {
                var first = x.Tasks.Min(k => k.QueuedAt);
                var queuedAt = x.Order?.QueuedAt ?? first;
                var id = x.Order is { } o ? $"{o.Id}/{s.Spec.Id}" : $"prep-{x.Prep!.Component}-{x.Prep.Seq}";
                return new TicketView(id, x.Order?.Id, x.Prep?.Component, x.Order?.Seq ?? x.Prep!.Seq, TimeSpan.FromTicks(t - queuedAt).TotalSeconds,
                    x.Tasks.OrderBy(k => k.IndexInOwner).Select(TaskViewOf).ToList());
            }).ToList();

            var active = 0;
            foreach (var c in _chefs)
                if (c.Home == s.Index && c.Available) active++;
            stations.Add(new StationView(s.Spec.Id, s.Spec.Name, s.Spec.Mode.ToString().ToLowerInvariant(), s.Queued,
                TimeSpan.FromTicks(Math.Min(ProjectedWaitTicks(s), TimeSpan.FromDays(1).Ticks)).TotalSeconds, s.Spec.TargetWait.TotalSeconds,
                s.TargetActive, s.Spec.MinChefs, s.Spec.MaxChefs, active,
                s.Started == 0 ? 0 : TimeSpan.FromTicks(s.WaitTicksTotal / s.Started).TotalSeconds, ticketViews));
        }

        var chefs = _chefs.Select(c =>
        {
            var paid = c.PaidTicks + (c.Paid ? Math.Max(0, t - Math.Max(c.PaidSince, _epoch == 0 ? t : _epoch)) : 0);
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

    private TaskView TaskViewOf(KTask k) => new(
        k.Id, k.Spec.Name, k.Spec.Item, k.Spec.Unit, k.Phase.ToString().ToLowerInvariant(),
        k.Chef >= 0 && k.Phase is TaskPhase.Working or TaskPhase.HandsFree ? _chefs[k.Chef].Id : null,
        k.Equipment >= 0 ? _equipment[k.Equipment].Spec.Id : null,
        k.Unit >= 0 ? k.Unit : null,
        k.Token, k.Attempts,
        k.Phase is TaskPhase.Working or TaskPhase.HandsFree ? At(k.StartedAt) : null,
        k.Phase == TaskPhase.Working ? At(k.LeaseUntil) : null,
        k.Spec.WorkSeconds, k.Spec.EquipmentSeconds, k.Spec.Attended);

    /// <summary>The projected wait at a station: its unstarted work over its crew's capacity.</summary>
    public TimeSpan ProjectedWait(string station) =>
        _stationIndex.TryGetValue(station, out var i) ? TimeSpan.FromTicks(Math.Min(ProjectedWaitTicks(_stations[i]), TimeSpan.FromDays(1).Ticks)) : TimeSpan.Zero;

    /// <summary>Paid hours of one chef so far (for cost accounting).</summary>
    public double PaidHours(string chefId, DateTimeOffset now) =>
        Snapshot(now).Chefs.FirstOrDefault(c => c.Id == chefId)?.PaidHours ?? 0;

    public int StockLevel(string component) => _componentIndex.TryGetValue(component, out var ci) ? _stock[ci] : 0;

    public StationMode ModeOf(string station) => _stations[_stationIndex[station]].Spec.Mode;
}
