using Brigade.Catalog;
using Brigade.Orders;

namespace Brigade.Kitchen;

public sealed record KitchenOptions
{
    /// <summary>How often the kitchen reviews staffing (standby, autoscaling) and stock when nothing else happens.</summary>
    public TimeSpan ReviewInterval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Largest order, in tasks, one kitchen takes.</summary>
    public int MaxTasksPerOrder { get; init; } = 4096;
}

/// <summary>
/// One outlet's kitchen engine. It splits orders into station tickets, keeps each station's queue
/// FIFO, hands tasks to the least loaded free chef with the skill, holds finite equipment, leases
/// tasks to chefs with fencing tokens, retries, calls in standby chefs, autoscales, refuses what it
/// could not cook in time, and preps stock when idle.
/// <para>
/// It is pure: no I/O and no clock. Every decision takes the time as an argument and produces
/// events; <see cref="Apply"/> is the only thing that changes state, so replaying the events
/// rebuilds the kitchen exactly. The server drives it with a scaled real clock, the simulator
/// with a virtual one.
/// </para>
/// </summary>
public sealed partial class KitchenEngine
{
    private const int LaneReturned = 0;
    private const int LaneNormal = 1;

    private readonly KitchenOptions _options;
    private readonly KStation[] _stations;
    private readonly Dictionary<string, int> _stationIndex = new(StringComparer.Ordinal);
    private readonly KEquipment[] _equipment;
    private readonly Dictionary<string, int> _equipmentIndex = new(StringComparer.Ordinal);
    private readonly List<KChef> _chefs = [];
    private readonly Dictionary<string, KChef> _chefById = new(StringComparer.Ordinal);
    private readonly Dictionary<long, KTask> _tasks = [];
    /// <summary>
    /// The last <see cref="BumpMemory"/> tasks finished at staff-run stations, with the token that
    /// finished them, so a bump repeated after its task is gone (a double tap, a retry after a lost
    /// answer) is answered as done rather than refused. Allocated at the first such task.
    /// </summary>
    private (long TaskId, long Token)[]? _bumped;
    private int _bumpedNext;
    private const int BumpMemory = 256;
    /// <summary>The distinct recipe steps of the tasks queued here (bounded by the catalog), shared by their tasks.</summary>
    private readonly Dictionary<(string Item, string Name, double WorkSeconds, double EquipmentSeconds, bool Attended), StepSpec> _steps = [];
    private readonly Dictionary<string, KOrder> _orders = new(StringComparer.Ordinal);
    /// <summary>Prep batches with tasks still open (few: at most a batch or two per component).</summary>
    private readonly List<KPrep> _preps = [];
    private readonly PreppedComponent[] _components;
    private readonly Dictionary<string, int> _componentIndex = new(StringComparer.Ordinal);
    private readonly int[] _stock;
    private readonly int[] _par;
    private readonly int[] _inPrep;
    private readonly int[] _prepBatches;
    private readonly PriorityQueue<KTimer, TimerKey> _timers = new();
    private long _timerSeq;
    private long _nextTaskId = 1;
    private long _nextSeq = 1;
    private long _nextToken = 1;
    private long _nextReviewAt = long.MinValue;
    // The first moment the kitchen saw (KitchenStarted, or an older log's first event): paid time of
    // chefs on duty from the start counts from here, and reviews fall on whole intervals from here.
    private long _epoch;
    // The next review instant whose quiet spells the fold has yet to sample (see SampleQuiet).
    private long _nextQuietSampleAt = long.MinValue;
    // An idle kitchen skips its periodic reviews until an event arrives (see Advance).
    private bool _dozing;

    /// <summary>Every station's crew at its minimum and stock at par: a review of an idle kitchen would change nothing.</summary>
    private bool IsSettled()
    {
        foreach (var s in _stations)
            if (s.TargetActive > s.Spec.MinChefs) return false;
        for (var ci = 0; ci < _components.Length; ci++)
            if (_stock[ci] + _inPrep[ci] < _par[ci]) return false;
        return true;
    }

    public KitchenEngine(Outlet outlet, KitchenOptions? options = null)
    {
        Outlet = outlet;
        OutletId = outlet.Id;
        _options = options ?? new KitchenOptions();

        _equipment = new KEquipment[outlet.Equipment.Count];
        for (var i = 0; i < _equipment.Length; i++)
        {
            var spec = outlet.Equipment[i];
            _equipment[i] = new KEquipment { Index = i, Spec = spec, Used = new int[spec.Count], Broken = new bool[spec.Count] };
            _equipmentIndex[spec.Id] = i;
        }

        _stations = new KStation[outlet.Stations.Count];
        for (var i = 0; i < _stations.Length; i++)
        {
            var queues = new PriorityQueue<KTask, long>[_equipment.Length + 1];
            for (var q = 0; q < queues.Length; q++) queues[q] = new PriorityQueue<KTask, long>();
            _stations[i] = new KStation { Index = i, Spec = outlet.Stations[i], Queues = queues };
            _stationIndex[outlet.Stations[i].Id] = i;
        }

        foreach (var c in outlet.Staff) AddChefState(c.Id, c.Name, c.Skills, c.Speed, c.Standby, c.OnDuty, 0);
        foreach (var s in _stations)
        {
            var primaries = _chefs.Count(c => c.Home == s.Index && !c.Standby && c.OnDuty);
            s.TargetActive = Math.Clamp(primaries, s.Spec.MinChefs, s.Spec.MaxChefs);
        }

        _components = outlet.Restaurant.Components.ToArray();
        for (var i = 0; i < _components.Length; i++) _componentIndex[_components[i].Id] = i;
        _stock = new int[_components.Length];
        _par = new int[_components.Length];
        _inPrep = new int[_components.Length];
        _prepBatches = new int[_components.Length];
        foreach (var st in outlet.Stock)
        {
            var ci = _componentIndex[st.Component];
            _stock[ci] = st.Initial;
            _par[ci] = st.Par;
        }
    }

    public Outlet Outlet { get; }
    public string OutletId { get; }
    /// <summary>Events applied so far: the version of this kitchen's stream.</summary>
    public long Version { get; private set; }
    public int OpenOrders => _orders.Count;
    public bool HasOrder(string orderId) => _orders.ContainsKey(orderId);
    public bool HasStarted(string orderId) => _orders.TryGetValue(orderId, out var o) && o.Started;

    /// <summary>When the kitchen next needs <see cref="Advance"/>: a chef finishing, equipment done, a lease expiring, a review.</summary>
    public DateTimeOffset NextDueAt
    {
        get
        {
            var due = _dozing ? long.MaxValue : _nextReviewAt;
            if (_timers.TryPeek(out _, out var t) && t.Due < due) due = t.Due;
            return due >= DateTimeOffset.MaxValue.UtcTicks ? DateTimeOffset.MaxValue : At(Math.Max(due, DateTimeOffset.MinValue.UtcTicks));
        }
    }

    // ------------------------------------------------------------------ decisions: orders

    /// <summary>Would the kitchen take these lines now, and when would they be ready? Changes nothing.</summary>
    public Admission Evaluate(IReadOnlyList<OrderLine> lines, DateTimeOffset now) => Plan(lines, now.UtcTicks, out _).Admission;

    /// <summary>Take the order if it can be cooked within the outlet's promise; otherwise refuse it with a retry time.</summary>
    public Admission TryQueueOrder(string orderId, IReadOnlyList<OrderLine> lines, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (_orders.TryGetValue(orderId, out var existing))
            return new Admission(true, At(existing.EstimatedReady), TimeSpan.Zero, null);

        var ticks = now.UtcTicks;
        var (admission, plan) = Plan(lines, ticks, out var stockUse);
        if (!admission.Accepted) return admission;

        var tasks = new QueuedTask[plan.Count];
        var firstId = _nextTaskId;
        for (var i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            tasks[i] = new QueuedTask(firstId + i, _stations[p.Station].Spec.Id, p.Item, p.Unit, p.Step, p.Recipe.Name,
                p.Recipe.Work.TotalSeconds, p.Recipe.Equipment, p.Recipe.EquipmentTime.TotalSeconds, p.Recipe.Attended,
                p.AfterIndex >= 0 ? firstId + p.AfterIndex : 0);
        }
        Emit(output, new OrderQueued(OutletId, orderId, _nextSeq, tasks, admission.EstimatedReadyAt, now));
        foreach (var (ci, takenBy) in stockUse)
            Emit(output, new StockUsed(OutletId, _components[ci].Id, orderId, _stock[ci] - 1, now, takenBy < 0 ? 0 : firstId + takenBy));
        // Every step replaced by stock: nothing is left to cook, and no task will ever complete to say
        // the order is done, so it is cooked now (else it would wait in the kitchen for ever).
        if (plan.Count == 0) Emit(output, new OrderCooked(OutletId, orderId, now));
        Dispatch(ticks, output);
        return admission;
    }

    /// <summary>Remove an order none of whose tasks has started. Its reserved stock goes back on the shelf.</summary>
    public KitchenResult Withdraw(string orderId, string reason, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return KitchenResult.NotFound($"order {orderId} is not in kitchen {OutletId}");
        if (order.Started) return KitchenResult.Conflict($"order {orderId} is already being prepared");
        foreach (var reserved in order.ReservedStock ?? [])
        {
            var ci = _componentIndex[reserved.Component];
            Emit(output, new StockReturned(OutletId, reserved.Component, orderId, _stock[ci] + 1, now));
        }
        Emit(output, new OrderWithdrawn(OutletId, orderId, reason, now));
        Dispatch(now.UtcTicks, output);
        return KitchenResult.Ok();
    }

    // ------------------------------------------------------------------ decisions: the clock

    /// <summary>
    /// Run the kitchen up to <paramref name="now"/>: every timer due by then fires at its own due
    /// time, in order, and freed chefs take their next task at that moment. This is a discrete-event
    /// step, so the server (real clock) and the simulator (virtual clock) get identical results.
    /// </summary>
    public void Advance(DateTimeOffset now, List<IDomainEvent> output)
    {
        var limit = now.UtcTicks;
        // The kitchen's clock starts here. Recorded, so a kitchen rebuilt from its log pays its chefs
        // from the same moment and reviews on the same instants, though nothing else happened then.
        if (_epoch == 0) Emit(output, new KitchenStarted(OutletId, now));
        var interval = _options.ReviewInterval.Ticks;
        while (true)
        {
            var hasTimer = _timers.TryPeek(out var timer, out var key);
            var due = hasTimer ? key.Due : long.MaxValue;
            if (!_dozing && _nextReviewAt <= limit && _nextReviewAt <= due)
            {
                // After a long quiet gap (a restart, a night), skip reviews in which nothing could change.
                var horizon = Math.Min(due, limit);
                if (horizon - _nextReviewAt > interval) _nextReviewAt = horizon - (horizon - _nextReviewAt) % interval;
                var at = _nextReviewAt;
                _nextReviewAt = at + interval;
                var before = output.Count;
                Review(at, output);
                // Nothing to cook, nothing changed, no crew to scale: skip reviews until an event wakes
                // us. Timers still run (stale ones are dropped as they come due), so the kitchen never
                // reports something due that Advance would not take.
                if (output.Count == before && _tasks.Count == 0 && IsSettled()) _dozing = true;
                continue;
            }
            if (!hasTimer || due > limit) break;
            _timers.Dequeue();
            var task = timer.Task;
            if (task.Token != timer.Token) continue;
            switch (timer.Kind)
            {
                case TimerKind.Work when task.Phase == TaskPhase.Working:
                    if (task.Equipment >= 0 && !task.Step.Attended && task.EquipTicks > 0)
                        Emit(output, new TaskHandsFree(OutletId, task.Id, task.Order?.Id, task.Token, At(due)));
                    else
                        Complete(task, due, output);
                    break;
                case TimerKind.Equipment when task.Phase == TaskPhase.HandsFree:
                    Complete(task, due, output);
                    break;
                case TimerKind.Lease when task.Phase == TaskPhase.Working && task.LeaseUntil <= due:
                    Return(task, "lease expired: no heartbeat from " + _chefs[task.Chef].Id, due, output);
                    break;
                default:
                    continue;
            }
            Dispatch(due, output);
        }
    }

    // ------------------------------------------------------------------ decisions: chefs at the pass (kitchen display)

    /// <summary>A (human) chef starts a task: the one named, or the next startable one for their skills.</summary>
    public KitchenResult StartTask(string chefId, long? taskId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_chefById.TryGetValue(chefId, out var chef)) return KitchenResult.NotFound($"no chef {chefId} at {OutletId}");
        if (!chef.OnDuty) return KitchenResult.Conflict($"{chefId} is not clocked in");
        if (chef.Sick) return KitchenResult.Conflict($"{chefId} is marked sick");
        if (!chef.Active) return KitchenResult.Conflict($"{chefId} is on standby, not on the active crew");
        if (chef.Task is not null) return KitchenResult.Conflict($"{chefId} is already working on task {chef.Task.Id}");

        KTask? task = null;
        if (taskId is { } id)
        {
            if (!_tasks.TryGetValue(id, out task)) return KitchenResult.NotFound($"no open task {id} at {OutletId}");
            if (task.Phase != TaskPhase.Queued) return KitchenResult.Conflict($"task {id} is {task.Phase.ToString().ToLowerInvariant()}, not queued");
            if (Array.IndexOf(chef.Skills, task.Station) < 0)
                return KitchenResult.Conflict($"{chefId} has no skill for station {_stations[task.Station].Spec.Id}");
            if (task.Equipment >= 0 && _equipment[task.Equipment].FreeUnit() < 0)
                return KitchenResult.Conflict($"no free {_equipment[task.Equipment].Spec.Id} for task {id}");
        }
        else
        {
            // Customers' tasks at any of the chef's stations first, prep only when there are none:
            // prep is low priority, as it is for simulated chefs, so a batch of stock waiting at the
            // home station must not go before an order waiting at a station the chef is trained for.
            foreach (var s in chef.Skills)
                if ((task = PeekStartable(_stations[s], includePrep: false)) is not null) break;
            if (task is null)
                foreach (var s in chef.Skills)
                    if ((task = PeekStartable(_stations[s], includePrep: true)) is not null) break;
            if (task is null) return KitchenResult.NotFound($"nothing startable for {chefId}");
        }
        if (_stations[task.Station].Spec.Mode == StationMode.Simulated)
            return KitchenResult.Conflict($"station {_stations[task.Station].Spec.Id} is worked by simulated chefs");

        var token = Start(task, chef, now.UtcTicks, output);
        return KitchenResult.Ok(task.Id, token);
    }

    /// <summary>
    /// The chef bumps a task. The fencing token must be the one handed out when the task was started:
    /// a chef whose lease expired and whose task went to someone else cannot complete it.
    /// </summary>
    public KitchenResult CompleteTask(long taskId, long token, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_tasks.TryGetValue(taskId, out var task))
        {
            // The same bump again, for a task it finished: done, and nothing changes.
            if (_bumped is not null && token > 0 && Array.IndexOf(_bumped, (taskId, token)) >= 0) return KitchenResult.Ok(taskId, token);
            return taskId < _nextTaskId ? KitchenResult.Stale($"task {taskId} is no longer open") : KitchenResult.NotFound($"no task {taskId} at {OutletId}");
        }
        if (_stations[task.Station].Spec.Mode == StationMode.Simulated)
            return KitchenResult.Conflict($"station {_stations[task.Station].Spec.Id} is worked by simulated chefs");
        if (task.Token != token)
            return KitchenResult.Stale($"token {token} for task {taskId} was superseded by token {task.Token}");
        // Bumped already, and its equipment still runs: the chef's part is done.
        if (task.Phase == TaskPhase.HandsFree) return KitchenResult.Ok(taskId, token);
        // Handed back (lease expired, chef away, equipment broke) and not yet taken again: the token holds nothing.
        if (task.Phase == TaskPhase.Queued && task.Attempts > 0)
            return KitchenResult.Stale($"token {token} no longer holds task {taskId}: it went back to the queue");
        if (task.Phase != TaskPhase.Working)
            return KitchenResult.Conflict($"task {taskId} is {task.Phase.ToString().ToLowerInvariant()}, not being worked");
        var ticks = now.UtcTicks;
        if (task.Equipment >= 0 && !task.Step.Attended && task.EquipTicks > 0)
            Emit(output, new TaskHandsFree(OutletId, task.Id, task.Order?.Id, task.Token, now));
        else
            Complete(task, ticks, output);
        Dispatch(ticks, output);
        return KitchenResult.Ok(taskId, token);
    }

    /// <summary>The holder of a task is still on it: extend the lease.</summary>
    public KitchenResult Heartbeat(long taskId, long token, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_tasks.TryGetValue(taskId, out var task)) return KitchenResult.Stale($"task {taskId} is no longer open");
        if (_stations[task.Station].Spec.Mode == StationMode.Simulated)
            return KitchenResult.Conflict($"station {_stations[task.Station].Spec.Id} is worked by simulated chefs");
        if (task.Token != token || task.Phase != TaskPhase.Working)
            return KitchenResult.Stale($"token {token} no longer holds task {taskId}");
        Emit(output, new TaskLeaseExtended(OutletId, taskId, task.Order?.Id, token, now + Outlet.Lease, now));
        return KitchenResult.Ok(taskId, token);
    }

    // ------------------------------------------------------------------ decisions: staff changes

    public KitchenResult ClockIn(string chefId, DateTimeOffset now, List<IDomainEvent> output) =>
        ChangeChef(chefId, now, output, c => c.OnDuty ? "already clocked in" : null, c => new ChefClockedIn(OutletId, c.Id, now), null);

    public KitchenResult ClockOut(string chefId, DateTimeOffset now, List<IDomainEvent> output) =>
        ChangeChef(chefId, now, output, c => c.OnDuty ? null : "not clocked in", c => new ChefClockedOut(OutletId, c.Id, now), "clocked out");

    public KitchenResult MarkSick(string chefId, DateTimeOffset now, List<IDomainEvent> output) =>
        ChangeChef(chefId, now, output, c => c.Sick ? "already marked sick" : null, c => new ChefFellSick(OutletId, c.Id, now), "fell sick");

    public KitchenResult MarkRecovered(string chefId, DateTimeOffset now, List<IDomainEvent> output) =>
        ChangeChef(chefId, now, output, c => c.Sick ? null : "not marked sick", c => new ChefRecovered(OutletId, c.Id, now), null);

    public KitchenResult AddChef(string chefId, string name, IReadOnlyList<string> skills, double speed, bool standby, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!CatalogCompiler.IsId(chefId)) return KitchenResult.Invalid($"'{chefId}' is not a valid chef id ({CatalogCompiler.IdRule})");
        if (_chefById.ContainsKey(chefId)) return KitchenResult.Conflict($"chef {chefId} already exists");
        if (skills.Count == 0) return KitchenResult.Invalid("a chef needs at least one station skill");
        foreach (var s in skills)
            if (!_stationIndex.ContainsKey(s)) return KitchenResult.Invalid($"unknown station '{s}'");
        if (!(speed >= ChefSpec.MinSpeed) || speed > ChefSpec.MaxSpeed)
            return KitchenResult.Invalid($"speed must be in [{ChefSpec.MinSpeed}, {ChefSpec.MaxSpeed}], not {speed}");
        Emit(output, new ChefAdded(OutletId, chefId, name, skills, speed, standby, now));
        Reconcile(_chefById[chefId].Home, now.UtcTicks, output);
        Dispatch(now.UtcTicks, output);
        return KitchenResult.Ok();
    }

    public KitchenResult BreakEquipment(string equipmentId, int unit, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_equipmentIndex.TryGetValue(equipmentId, out var ei)) return KitchenResult.NotFound($"no equipment {equipmentId} at {OutletId}");
        var eq = _equipment[ei];
        if (unit < 0 || unit >= eq.Used.Length) return KitchenResult.NotFound($"{equipmentId} has no unit {unit}");
        if (eq.Broken[unit]) return KitchenResult.Conflict($"{equipmentId} unit {unit} is already broken");
        var ticks = now.UtcTicks;
        // Whatever was on the unit goes back to wait for another one.
        var victims = _tasks.Values.Where(t => t.Equipment == ei && t.Unit == unit && t.Phase is TaskPhase.Working or TaskPhase.HandsFree)
            .OrderBy(t => t.Id).ToList();
        foreach (var t in victims)
        {
            // Handing one back can fail its order (its last attempt), which drops the order's other tasks on the unit too.
            if (t.Phase is TaskPhase.Working or TaskPhase.HandsFree) Return(t, $"{equipmentId} unit {unit} broke", ticks, output);
        }
        Emit(output, new EquipmentBroke(OutletId, equipmentId, unit, now));
        Dispatch(ticks, output);
        return KitchenResult.Ok();
    }

    public KitchenResult FixEquipment(string equipmentId, int unit, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_equipmentIndex.TryGetValue(equipmentId, out var ei)) return KitchenResult.NotFound($"no equipment {equipmentId} at {OutletId}");
        var eq = _equipment[ei];
        if (unit < 0 || unit >= eq.Used.Length) return KitchenResult.NotFound($"{equipmentId} has no unit {unit}");
        if (!eq.Broken[unit]) return KitchenResult.Conflict($"{equipmentId} unit {unit} is not broken");
        Emit(output, new EquipmentFixed(OutletId, equipmentId, unit, now));
        Dispatch(now.UtcTicks, output);
        return KitchenResult.Ok();
    }

    private KitchenResult ChangeChef(string chefId, DateTimeOffset now, List<IDomainEvent> output,
        Func<KChef, string?> refusal, Func<KChef, IKitchenEvent> change, string? abandonsTaskBecause)
    {
        if (!_chefById.TryGetValue(chefId, out var chef)) return KitchenResult.NotFound($"no chef {chefId} at {OutletId}");
        if (refusal(chef) is { } why) return KitchenResult.Conflict($"{chefId} is {why}");
        var ticks = now.UtcTicks;
        if (abandonsTaskBecause is not null && chef.Task is { Phase: TaskPhase.Working } task)
            Return(task, $"{chefId} {abandonsTaskBecause}", ticks, output);
        Emit(output, change(chef));
        Reconcile(chef.Home, ticks, output);
        Dispatch(ticks, output);
        return KitchenResult.Ok();
    }

    // ------------------------------------------------------------------ the scheduler

    /// <summary>
    /// Hand queued tasks to free simulated chefs. For each station: while a chef is free, take the
    /// earliest task (by ticket order) whose equipment has a free slot; among free chefs with the
    /// skill, the least loaded (least busy time so far) goes first. An idle chef with nothing to
    /// cook preps stock that is below par.
    /// </summary>
    private void Dispatch(long now, List<IDomainEvent> output)
    {
        // Order tasks first, the oldest ticket first across every station: a chef or an equipment
        // slot that comes free goes to the task that has waited longest, whichever station it is
        // at, so a station sharing an oven with a busier one is not starved by it (taking stations
        // in turn let the first one refill every freed slot).
        while (true)
        {
            KTask? best = null;
            foreach (var station in _stations)
            {
                if (station.Spec.Mode != StationMode.Simulated || station.Queued == 0 || LeastLoadedFreeChef(station.Index) is null) continue;
                var task = PeekStartable(station, includePrep: false);
                if (task is not null && (best is null || task.QueueKey < best.QueueKey)) best = task;
            }
            if (best is null) break;
            Start(best, LeastLoadedFreeChef(best.Station)!, now, output);
        }
        // Then stock: chefs still free prep what is below par.
        foreach (var station in _stations)
        {
            if (station.Spec.Mode != StationMode.Simulated) continue;
            while (LeastLoadedFreeChef(station.Index) is { } chef)
            {
                var task = PeekStartable(station, includePrep: true);
                if (task is null)
                {
                    if (TryQueuePrep(station, now, output)) continue;
                    break;
                }
                Start(task, chef, now, output);
            }
        }
    }

    private long Start(KTask task, KChef chef, long now, List<IDomainEvent> output)
    {
        var unit = task.Equipment >= 0 ? _equipment[task.Equipment].FreeUnit() : -1;
        var token = _nextToken;
        var simulated = _stations[task.Station].Spec.Mode == StationMode.Simulated;
        var leaseUntil = simulated ? now + ChefTicks(task, chef) + Outlet.Lease.Ticks : now + Outlet.Lease.Ticks;
        Emit(output, new TaskStarted(OutletId, task.Id, task.Order?.Id, chef.Id, unit, token, At(leaseUntil), At(now)));
        return token;
    }

    private static long ChefTicks(KTask task, KChef chef)
    {
        var work = (long)(task.WorkTicks / chef.Speed);
        return task.Step.Attended ? work + task.EquipTicks : work;
    }

    /// <summary>
    /// The free chef to give a task at this station: one whose home station it is (their first
    /// skill), the least loaded of them; failing that, the least loaded cross-trained chef.
    /// </summary>
    private KChef? LeastLoadedFreeChef(int station)
    {
        KChef? home = null, other = null;
        foreach (var c in _chefs)
        {
            if (!c.Free || Array.IndexOf(c.Skills, station) < 0) continue;
            if (c.Home == station) { if (home is null || c.BusyTicks < home.BusyTicks) home = c; }
            else if (other is null || c.BusyTicks < other.BusyTicks) other = c;
        }
        return home ?? other;
    }

    /// <summary>The earliest queued task of the station that could start now (its equipment has a free slot).</summary>
    private KTask? PeekStartable(KStation station, bool includePrep)
    {
        KTask? best = null;
        for (var q = 0; q < station.Queues.Length; q++)
        {
            if (q > 0 && _equipment[q - 1].FreeUnit() < 0) continue;
            var head = PeekLive(station.Queues[q]);
            if (head is not null && (best is null || head.QueueKey < best.QueueKey)) best = head;
        }
        if (best is null && includePrep)
        {
            var prep = PeekLive(station.PrepQueue);
            if (prep is not null && (prep.Equipment < 0 || _equipment[prep.Equipment].FreeUnit() >= 0)) best = prep;
        }
        return best;
    }

    /// <summary>Queues use lazy deletion: an entry is live only while its task is queued under the same key.</summary>
    private static KTask? PeekLive(PriorityQueue<KTask, long> queue)
    {
        while (queue.TryPeek(out var task, out var key))
        {
            if (task.Phase == TaskPhase.Queued && task.QueueKey == key) return task;
            queue.Dequeue();
            if (task.QueueKey == key) task.InQueue = false;
        }
        return null;
    }

    private void Complete(KTask task, long at, List<IDomainEvent> output)
    {
        Emit(output, new TaskCompleted(OutletId, task.Id, task.Order?.Id, task.Token, At(at)));
        if (task.Order is { } order)
        {
            if (order.RemainingByStation[task.Station] == 0)
                Emit(output, new TicketCompleted(OutletId, order.Id, _stations[task.Station].Spec.Id, At(at)));
            if (order.Remaining == 0)
                Emit(output, new OrderCooked(OutletId, order.Id, At(at)));
        }
        else if (task.Prep is { Remaining: 0 } prep)
        {
            Emit(output, new StockPrepared(OutletId, prep.Component, prep.Quantity, _stock[prep.ComponentIndex] + prep.Quantity, At(at)));
        }
    }

    private void Return(KTask task, string reason, long at, List<IDomainEvent> output)
    {
        var attempts = task.Attempts + 1;
        Emit(output, new TaskReturned(OutletId, task.Id, task.Order?.Id, task.Token, reason, attempts, At(at)));
        if (task.Order is { } order && attempts >= Outlet.MaxAttempts)
        {
            var station = _stations[task.Station].Spec.Id;
            var why = $"'{task.Step.Name}' for {task.Step.Item} failed {attempts} times (last: {reason})";
            // Stock taken for steps that never started goes back on the shelf, as for a withdrawn
            // order; what a started step has worked on is spoiled with the order.
            foreach (var reserved in order.ReservedStock ?? [])
            {
                if (!IsUnused(reserved)) continue;
                var ci = _componentIndex[reserved.Component];
                Emit(output, new StockReturned(OutletId, reserved.Component, order.Id, _stock[ci] + 1, At(at)));
            }
            Emit(output, new OrderCookingFailed(OutletId, order.Id, station, why, At(at)));
            Emit(output, new KitchenAlertRaised(OutletId, "ticket-failed", $"Ticket {order.Id}/{station} failed: {why}", order.Id, At(at)));
        }
    }

    /// <summary>
    /// A component taken from stock that no step has worked on: no step of its unit follows it, or
    /// the one that does has never started (a task handed back has). Not known for an older log's
    /// reservation, which is then taken as used.
    /// </summary>
    private bool IsUnused(Reservation reserved) => reserved.TakenBy switch
    {
        null => false,
        0 => true,
        { } id => _tasks.TryGetValue(id, out var t) && t.Phase is (TaskPhase.Blocked or TaskPhase.Queued) && t.Attempts == 0,
    };

    // ------------------------------------------------------------------ staffing and stock

    /// <summary>
    /// Periodic review, per station: the autoscaler compares the projected queue wait with the
    /// station's target and moves the target crew size by one, at most once per cooldown; then the
    /// crew is reconciled to the target, calling in standby chefs to cover for absent ones.
    /// </summary>
    private void Review(long now, List<IDomainEvent> output)
    {
        // Quiet spells as of this instant, before anything the review does: a decision only reads them.
        SampleQuiet(now);
        foreach (var s in _stations)
        {
            var spec = s.Spec;
            var wait = ProjectedWaitTicks(s);
            var target = spec.TargetWait.Ticks;
            var cooledDown = s.LastScaledAt == long.MinValue || now - s.LastScaledAt >= spec.Cooldown.Ticks;
            if (wait > target)
            {
                if (s.TargetActive < spec.MaxChefs && cooledDown && HasBench(s.Index))
                    Emit(output, new StationScaled(OutletId, spec.Id, s.TargetActive, s.TargetActive + 1,
                        $"projected wait {Format(wait)} exceeds the {Format(target)} target", At(now)));
            }
            else if (wait <= target / 2 && s.QuietSince != long.MinValue)
            {
                // Stepping down starts a new quiet spell (StationScaled's fold).
                if (s.TargetActive > spec.MinChefs && cooledDown && now - s.QuietSince >= spec.Cooldown.Ticks)
                    Emit(output, new StationScaled(OutletId, spec.Id, s.TargetActive, s.TargetActive - 1,
                        $"projected wait {Format(wait)} stayed under half the {Format(target)} target for {Format(now - s.QuietSince)}", At(now)));
            }
            Reconcile(s.Index, now, output);
            if (spec.Mode == StationMode.Human && s.Queued == 0) TryQueuePrep(s, now, output);
        }
        Dispatch(now, output);
    }

    /// <summary>A chef's paid time up to <paramref name="now"/>: finished stretches, and the one they are on.</summary>
    private long PaidTicksAt(KChef c, long now) =>
        c.PaidTicks + (c.Paid ? Math.Max(0, now - Math.Max(c.PaidSince, _epoch == 0 ? now : _epoch)) : 0);

    /// <summary>Is there a chef on duty, not sick, not active, who could join this station's crew?</summary>
    private bool HasBench(int station)
    {
        foreach (var c in _chefs)
            if (c.Home == station && c.OnDuty && !c.Sick && !c.Active) return true;
        return false;
    }

    /// <summary>Bring the station's available active crew to its target: regulars first, then standbys; stand down standbys first.</summary>
    private void Reconcile(int station, long now, List<IDomainEvent> output)
    {
        var s = _stations[station];
        var active = 0;
        foreach (var c in _chefs)
            if (c.Home == station && c.Available) active++;

        while (active < s.TargetActive)
        {
            KChef? pick = null;
            foreach (var c in _chefs)
            {
                if (c.Home != station || !c.OnDuty || c.Sick || c.Active) continue;
                if (pick is null || (pick.Standby && !c.Standby) || (pick.Standby == c.Standby && c.PaidTicks < pick.PaidTicks)) pick = c;
            }
            if (pick is null) break;
            var absent = _chefs.FirstOrDefault(c => c.Home == station && c.Active && !c.Available);
            var reason = absent is not null
                ? $"covering for {absent.Id} ({(absent.Sick ? "sick" : "off duty")})"
                : $"crew target for {s.Spec.Id} is {s.TargetActive}";
            Emit(output, new ChefActivated(OutletId, pick.Id, s.Spec.Id, reason, At(now)));
            active++;
        }

        while (active > s.TargetActive)
        {
            KChef? pick = null;
            foreach (var c in _chefs)
            {
                if (c.Home != station || !c.Available || c.Task is not null) continue;
                // Every candidate is being paid right now: the stretch they are on counts, or a chef on
                // since the start (no stretch finished yet) would look paid less than one back from sick leave.
                if (pick is null || (!pick.Standby && c.Standby) || (pick.Standby == c.Standby && PaidTicksAt(c, now) > PaidTicksAt(pick, now))) pick = c;
            }
            if (pick is null) break;
            // A standby chef still busy covering goes first, once free (at a later review). Benching a
            // regular instead (one just back, say) would keep the cover on and the regular off for good.
            if (!pick.Standby && _chefs.Any(c => c.Home == station && c.Available && c.Standby && c.Task is not null)) break;
            Emit(output, new ChefStoodDown(OutletId, pick.Id, s.Spec.Id, $"crew target for {s.Spec.Id} is {s.TargetActive}", At(now)));
            active--;
        }
    }

    /// <summary>
    /// Queue a prep batch when a station is idle and a component it starts is below par. Outside
    /// off-peak windows one batch per component is in flight at a time; in them, as many as there
    /// are idle chefs, so quiet hours fill the shelf.
    /// </summary>
    private bool TryQueuePrep(KStation station, long now, List<IDomainEvent> output)
    {
        if (_components.Length == 0) return false;
        var offPeak = Outlet.OffPeak.Count > 0 && Outlet.IsOffPeak(At(now));
        for (var ci = 0; ci < _components.Length; ci++)
        {
            var comp = _components[ci];
            if (comp.Prep.Count == 0 || _stationIndex[comp.Prep[0].Station] != station.Index) continue;
            if (_stock[ci] + _inPrep[ci] >= _par[ci]) continue;
            if (_prepBatches[ci] > 0 && !offPeak) continue;
            if (PeekLive(station.PrepQueue) is not null) continue;
            var tasks = new QueuedTask[comp.Prep.Count];
            for (var i = 0; i < tasks.Length; i++)
            {
                var step = comp.Prep[i];
                var id = _nextTaskId + i;
                tasks[i] = new QueuedTask(id, step.Station, comp.Id, 0, i, step.Name, step.Work.TotalSeconds, step.Equipment,
                    step.EquipmentTime.TotalSeconds, step.Attended, i == 0 ? 0 : id - 1);
            }
            var reason = offPeak ? "off-peak window" : $"{station.Spec.Id} is idle";
            Emit(output, new PrepQueued(OutletId, comp.Id, _nextSeq, tasks, $"{comp.Id} at {_stock[ci]} of par {_par[ci]}; {reason}", At(now)));
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ estimates and admission

    private readonly record struct PlannedTask(int Station, int Equipment, string Item, int Unit, int Step, RecipeStep Recipe, int AfterIndex);

    /// <summary>
    /// Plan an order (tasks, stock to use) and estimate it. The estimate is a fluid approximation of
    /// the queues, O(steps): a station with backlog B (chef-seconds of work not yet started) and
    /// crew capacity C (sum of active chefs' speeds) starts new work after B/C. Each unit's steps
    /// then run in order at the crew's mean speed, waiting for equipment whose own backlog clears at
    /// (working slots) per second. The order is ready when its slowest unit is, and no earlier than
    /// its own work spread over the crew.
    /// </summary>
    /// <param name="stockUse">Each component taken from stock, with the plan index of the task that works on it (the next step of its unit; -1 if none).</param>
    private (Admission Admission, List<PlannedTask> Plan) Plan(IReadOnlyList<OrderLine> lines, long now, out List<(int Component, int TakenBy)> stockUse)
    {
        stockUse = [];
        var plan = new List<PlannedTask>();
        var restaurant = Outlet.Restaurant;
        Span<int> spare = _components.Length <= 64 ? stackalloc int[_components.Length] : new int[_components.Length];
        for (var ci = 0; ci < _components.Length; ci++) spare[ci] = _stock[ci];

        foreach (var line in lines)
        {
            var item = restaurant.FindItem(line.MenuItemId);
            if (item is null)
                return (Admission.Refused($"{restaurant.Id} has no menu item '{line.MenuItemId}'", TimeSpan.Zero, At(now)), plan);
            for (var unit = 0; unit < line.Quantity; unit++)
            {
                var previous = -1;
                var untaken = stockUse.Count; // this unit's stock uses not yet given the task that works on them
                for (var si = 0; si < item.Steps.Count; si++)
                {
                    var step = item.Steps[si];
                    if (step.Produces is not null && _componentIndex.TryGetValue(step.Produces, out var ci) && spare[ci] > 0)
                    {
                        spare[ci]--;
                        stockUse.Add((ci, -1));
                        continue;
                    }
                    var eq = step.Equipment is null ? -1 : _equipmentIndex[step.Equipment];
                    plan.Add(new PlannedTask(_stationIndex[step.Station], eq, item.Id, unit, si, step, previous));
                    previous = plan.Count - 1;
                    for (; untaken < stockUse.Count; untaken++) stockUse[untaken] = (stockUse[untaken].Component, previous);
                }
                if (plan.Count > _options.MaxTasksPerOrder)
                    return (Admission.Refused($"the order needs more than {_options.MaxTasksPerOrder} kitchen tasks", TimeSpan.Zero, At(now)), plan);
            }
        }

        // Per-station load check and the fluid estimate.
        var n = _stations.Length;
        Span<long> own = n <= 32 ? stackalloc long[n] : new long[n];
        Span<int> count = n <= 32 ? stackalloc int[n] : new int[n];
        foreach (var p in plan)
        {
            own[p.Station] += p.Recipe.Attended ? (p.Recipe.Work + p.Recipe.EquipmentTime).Ticks : p.Recipe.Work.Ticks;
            count[p.Station]++;
        }

        long ready = now;
        // The same estimate for an idle kitchen: the order's own work on the crew as it stands, every
        // chain starting at once and every equipment slot free. It leaves out the order's own units
        // contending for the oven, so it is optimistic; only when even it breaks the promise does no
        // wait make room.
        long idle = now;
        for (var s = 0; s < n; s++)
        {
            if (count[s] == 0) continue;
            var st = _stations[s];
            // Bigger than the queue even when it is empty: no wait makes room, so no retry (another outlet may hold it).
            if (count[s] > st.Spec.MaxQueuedTasks)
                return (Admission.Refused($"the order needs {count[s]} tasks at the {st.Spec.Id} station, more than its queue holds ({st.Spec.MaxQueuedTasks})", TimeSpan.Zero, At(now)), plan);
            if (st.Queued + count[s] > st.Spec.MaxQueuedTasks)
                return (Admission.Refused($"the {st.Spec.Id} queue is full ({st.Queued} tasks)", RetryAfterFull(st, now), At(now)), plan);
            var capacity = CachedCapacity(s);
            if (capacity <= 0)
                return (Admission.Refused($"no chef is available at the {st.Spec.Id} station", TimeSpan.FromMinutes(5), At(now)), plan);
            ready = Math.Max(ready, now + (long)((StationLoad(s, now) + own[s]) / capacity));
            idle = Math.Max(idle, now + (long)(own[s] / capacity));
        }

        var chainEnd = now;
        var chainStart = now;
        var idleChainEnd = now;
        var lastUnitKey = (string?)null;
        for (var i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            var key = p.Item + "#" + p.Unit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (p.AfterIndex < 0 || key != lastUnitKey)
            {
                chainStart = now + (long)(StationLoad(p.Station, now) / Math.Max(CachedCapacity(p.Station), 1e-9));
                chainEnd = chainStart;
                idleChainEnd = now;
                lastUnitKey = key;
            }
            var work = (long)(p.Recipe.Work.Ticks / CachedMeanSpeed(p.Station));
            if (p.Equipment >= 0)
            {
                // A step with equipment starts only once a slot is free; the chef's work on it holds the slot.
                var eq = _equipment[p.Equipment];
                var slots = eq.WorkingSlots();
                if (slots == 0)
                    return (Admission.Refused($"every {eq.Spec.Id} is broken", TimeSpan.FromMinutes(10), At(now)), plan);
                chainEnd = Math.Max(chainEnd, now + EquipmentLoad(p.Equipment, now) / slots) + work + p.Recipe.EquipmentTime.Ticks;
                idleChainEnd += work + p.Recipe.EquipmentTime.Ticks;
            }
            else
            {
                chainEnd += work;
                idleChainEnd += work;
            }
            ready = Math.Max(ready, chainEnd);
            idle = Math.Max(idle, idleChainEnd);
        }

        var estimate = At(ready);
        var wait = TimeSpan.FromTicks(ready - now);
        if (plan.Count > 0 && idle - now > Outlet.MaxPromise.Ticks)
            return (Admission.Refused($"it needs {Format(idle - now)} even in an idle kitchen, beyond the {Format(Outlet.MaxPromise.Ticks)} promise",
                TimeSpan.Zero, estimate), plan);
        if (plan.Count > 0 && wait > Outlet.MaxPromise)
            return (Admission.Refused($"would be ready in {Format(wait.Ticks)}, beyond the {Format(Outlet.MaxPromise.Ticks)} promise",
                wait - Outlet.MaxPromise, estimate), plan);
        return (new Admission(true, estimate, TimeSpan.Zero, null), plan);
    }

    /// <summary>
    /// When a full station queue should have room: a quarter of the time it takes to drain. The queue
    /// drains as the crew works off its chef time and as the equipment its queued tasks wait for comes
    /// free; a queue of unattended equipment steps owes no chef time at all, but is still full until a
    /// slot opens. Never zero: zero would tell the caller no wait could ever make room.
    /// </summary>
    private TimeSpan RetryAfterFull(KStation s, long now)
    {
        var capacity = Capacity(s.Index, out _);
        if (capacity <= 0) return TimeSpan.FromMinutes(5);
        var drain = s.BacklogTicks / capacity;
        for (var e = 0; e < _equipment.Length; e++)
        {
            // Only a live task waiting for the equipment ties the queue to it. Its queue deletes lazily: an
            // entry of a task since started or withdrawn stays until it reaches the head, and counted,
            // would make a queue with nothing waiting for the oven wait for the oven.
            if (PeekLive(s.Queues[e + 1]) is null) continue;
            var slots = _equipment[e].WorkingSlots();
            if (slots == 0) return TimeSpan.FromMinutes(10);
            drain = Math.Max(drain, (double)EquipmentLoad(e, now) / slots);
        }
        return TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (long)(drain / 4)));
    }

    /// <summary>Sum of the speeds of the station's available chefs; standby chefs who could be called in count if none is.</summary>
    private double Capacity(int station, out int crew)
    {
        double capacity = 0;
        crew = 0;
        foreach (var c in _chefs)
        {
            if (!c.Available || Array.IndexOf(c.Skills, station) < 0) continue;
            capacity += c.Speed;
            crew++;
        }
        if (crew == 0)
        {
            foreach (var c in _chefs)
            {
                if (!c.OnDuty || c.Sick || Array.IndexOf(c.Skills, station) < 0) continue;
                capacity += c.Speed;
                crew++;
            }
        }
        return capacity;
    }

    private long ProjectedWaitTicks(KStation s)
    {
        if (s.BacklogTicks == 0) return 0;
        var capacity = Capacity(s.Index, out _);
        return capacity > 0 ? (long)(s.BacklogTicks / capacity) : long.MaxValue / 4;
    }

    /// <summary>
    /// The kitchen's current estimate of when an order will be ready: now plus its unfinished chain
    /// of steps. Null for an unknown order, or while a step waiting to start has nobody on duty who
    /// could, or every unit of its equipment is broken.
    /// </summary>
    public DateTimeOffset? EstimateReady(string orderId, DateTimeOffset now)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return null;
        var t = now.UtcTicks;
        var ready = t;
        foreach (var task in order.Tasks)
        {
            // Walk each unit's chain from its first unfinished task.
            if (task.Phase is TaskPhase.Done or TaskPhase.Dropped or TaskPhase.Blocked) continue;
            long end;
            if (task.Phase == TaskPhase.Working)
            {
                var chef = _chefs[task.Chef];
                end = Math.Max(t, task.StartedAt + ChefTicks(task, chef) + (task.Step.Attended ? 0 : task.EquipTicks));
            }
            else if (task.Phase == TaskPhase.HandsFree)
            {
                end = Math.Max(t, task.StartedAt + task.WorkTicks + task.EquipTicks);
            }
            else
            {
                var capacity = Capacity(task.Station, out _);
                // Nobody on duty could start it (every chef with the skill is sick or off): no estimate.
                if (capacity <= 0) return null;
                var ahead = QueuedWorkAhead(_stations[task.Station], task);
                var start = t + (long)(ahead / capacity);
                if (task.Equipment >= 0)
                {
                    // It also waits for a slot: what is left on the slots in use and the equipment's tasks queued ahead of it.
                    var slots = _equipment[task.Equipment].WorkingSlots();
                    if (slots == 0) return null;
                    start = Math.Max(start, t + EquipmentTimeAhead(task, t) / slots);
                }
                end = start + task.WorkTicks + task.EquipTicks;
            }
            for (var next = task.Next; next is not null; next = next.Next)
                end += next.WorkTicks + next.EquipTicks;
            ready = Math.Max(ready, end);
        }
        return At(ready);
    }

    /// <summary>Chef time queued ahead of a task in its station (an O(queue) scan, used for one order's estimate).</summary>
    private static long QueuedWorkAhead(KStation s, KTask task)
    {
        long ahead = 0;
        foreach (var q in s.Queues)
            foreach (var (t, key) in q.UnorderedItems)
                if (t.Phase == TaskPhase.Queued && t.QueueKey == key && key < task.QueueKey) ahead += t.BacklogTicks;
        return ahead;
    }

    /// <summary>
    /// Slot time owed on a task's equipment before it (an O(queue) scan, used for one order's
    /// estimate): the rest of the tasks on it now, and the queued tasks for it, at any station,
    /// ahead of this one; each of those holds a slot for its hands-on work and its equipment time.
    /// </summary>
    private long EquipmentTimeAhead(KTask task, long now)
    {
        var e = _equipment[task.Equipment];
        var ahead = e.InUse == 0 ? 0 : Math.Max(0, e.InUseEndSum - e.InUse * (now - _epoch));
        foreach (var s in _stations)
            foreach (var (t, key) in s.Queues[task.Equipment + 1].UnorderedItems)
                if (t.Phase == TaskPhase.Queued && t.QueueKey == key && key < task.QueueKey) ahead += t.WorkTicks + t.EquipTicks;
        return ahead;
    }

    internal static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    internal static string Format(long ticks)
    {
        var t = TimeSpan.FromTicks(Math.Min(ticks, TimeSpan.FromDays(99).Ticks));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.Seconds}s";
    }
}
