using Brigade.Catalog;

namespace Brigade.Kitchen;

// The fold. Apply is the only code that mutates kitchen state; decisions call Emit, which applies
// the event and records it, so what is written to the log is exactly what changed the state.
public sealed partial class KitchenEngine
{
    private void Emit(List<IDomainEvent> output, IKitchenEvent e)
    {
        Apply(e);
        output.Add(e);
    }

    /// <summary>Fold one event of this kitchen's stream into its state (also used to replay the log).</summary>
    public void Apply(IKitchenEvent e)
    {
        var at = e.At.UtcTicks;
        if (_epoch == 0) _epoch = _nextQuietSampleAt = at;
        // The review instants up to this event saw the kitchen as it was before it.
        SampleQuiet(at);
        // Reviews run on the instants the first event opens. Every review up to an event's moment is
        // behind it (the server runs the kitchen up to now before each command), so a kitchen woken
        // from a doze, or rebuilt from its log, reviews next at the first instant after its last
        // event and never in its past. The opening instant's review, the first, is still to come.
        _dozing = false;
        if (_nextReviewAt == long.MinValue) _nextReviewAt = _epoch;
        else if (_nextReviewAt <= at && at > _epoch) _nextReviewAt = ReviewInstantAfter(at);
        switch (e)
        {
            case KitchenStarted: break;
            case TaskStarted s: ApplyStarted(s); break;
            case TaskCompleted c: ApplyCompleted(c); break;
            case TaskHandsFree h: ApplyHandsFree(h); break;
            case OrderQueued q: ApplyQueued(q); break;
            case TaskReturned r: ApplyReturned(r); break;
            case TaskLeaseExtended l: ApplyLeaseExtended(l); break;
            case TicketCompleted: break;
            case OrderCooked c: _orders.Remove(c.OrderId); break;
            case OrderCookingFailed f: DropOrder(f.OrderId, f.At.UtcTicks); break;
            case OrderWithdrawn w: DropOrder(w.OrderId, w.At.UtcTicks); break;
            case KitchenAlertRaised: break;
            case StockUsed u: ApplyStockUsed(u); break;
            case StockReturned r: ApplyStockReturned(r); break;
            case PrepQueued p: ApplyPrepQueued(p); break;
            case StockPrepared p: ApplyStockPrepared(p); break;
            case ChefAdded a: AddChefState(a.ChefId, a.Name, a.Skills, a.Speed, a.Standby, true, a.At.UtcTicks); break;
            case ChefClockedIn c: ChangePaid(c.ChefId, c.At, chef => chef.OnDuty = true); break;
            case ChefClockedOut c: ChangePaid(c.ChefId, c.At, chef => chef.OnDuty = false); break;
            case ChefFellSick c: ChangePaid(c.ChefId, c.At, chef => chef.Sick = true); break;
            case ChefRecovered c: ChangePaid(c.ChefId, c.At, chef => chef.Sick = false); break;
            case ChefActivated c: ChangePaid(c.ChefId, c.At, chef => chef.Active = true); break;
            case ChefStoodDown c: ChangePaid(c.ChefId, c.At, chef => chef.Active = false); break;
            case StationScaled s:
                var station = _stations[_stationIndex[s.Station]];
                station.TargetActive = s.To;
                station.LastScaledAt = at;
                // A step down starts a new quiet spell: the next step down waits a whole cooldown of quiet again.
                station.QuietSince = s.To < s.From ? at : long.MinValue;
                break;
            case EquipmentBroke b: _equipment[_equipmentIndex[b.Equipment]].Broken[b.Unit] = true; break;
            case EquipmentFixed f: _equipment[_equipmentIndex[f.Equipment]].Broken[f.Unit] = false; break;
            default: throw new InvalidOperationException($"Unknown kitchen event {e.GetType().Name}");
        }
        Version++;
    }

    /// <summary>The first review instant (the epoch plus whole review intervals) after <paramref name="at"/>.</summary>
    private long ReviewInstantAfter(long at)
    {
        var interval = _options.ReviewInterval.Ticks;
        return at < _epoch ? _epoch : at + interval - (at - _epoch) % interval;
    }

    /// <summary>
    /// Bring the stations' quiet spells up to <paramref name="at"/>: at each review instant not yet
    /// sampled, a station whose projected wait is at most half its target is quiet (since that
    /// instant, unless it already was), and any other is not. The wait changes only with events, so
    /// the instants since the last sample all saw the state as it is now, and one look covers them.
    /// The fold keeps this, not the review, so a kitchen rebuilt from its log knows how long each
    /// station has been quiet and steps its crew down when the live kitchen would have. It samples
    /// the state after every event before the instant, whether or not a review ran then (a dozing
    /// kitchen skips reviews; a rebuilt one replays none), so the live and the rebuilt kitchen agree.
    /// </summary>
    private void SampleQuiet(long at)
    {
        if (at < _nextQuietSampleAt) return;
        foreach (var s in _stations)
        {
            if (ProjectedWaitTicks(s) > s.Spec.TargetWait.Ticks / 2) s.QuietSince = long.MinValue;
            else if (s.QuietSince == long.MinValue) s.QuietSince = _nextQuietSampleAt;
        }
        _nextQuietSampleAt = ReviewInstantAfter(at);
    }

    private void ApplyQueued(OrderQueued q)
    {
        var at = q.At.UtcTicks;
        var order = new KOrder
        {
            Id = q.OrderId,
            Seq = q.Seq,
            QueuedAt = at,
            EstimatedReady = q.EstimatedReadyAt.UtcTicks,
            RemainingByStation = new int[_stations.Length],
            Tasks = new KTask[q.Tasks.Count],
        };
        _nextSeq = Math.Max(_nextSeq, q.Seq + 1);
        for (var i = 0; i < q.Tasks.Count; i++)
        {
            var spec = q.Tasks[i];
            var task = NewTask(spec, i, at);
            task.Order = order;
            order.Tasks[i] = task;
            order.RemainingByStation[task.Station]++;
            order.Remaining++;
            _stations[task.Station].BacklogTicks += task.BacklogTicks;
            if (task.Equipment >= 0) _equipment[task.Equipment].BacklogTicks += task.EquipTicks;
            Link(task, spec);
        }
        _orders[q.OrderId] = order;
    }

    private void ApplyPrepQueued(PrepQueued p)
    {
        var ci = _componentIndex[p.Component];
        var prep = new KPrep { Component = p.Component, ComponentIndex = ci, Seq = p.Seq, Quantity = _components[ci].Batch, Tasks = new KTask[p.Tasks.Count] };
        _nextSeq = Math.Max(_nextSeq, p.Seq + 1);
        for (var i = 0; i < p.Tasks.Count; i++)
        {
            var task = NewTask(p.Tasks[i], i, p.At.UtcTicks);
            task.Prep = prep;
            prep.Tasks[i] = task;
            prep.Remaining++;
            Link(task, p.Tasks[i]);
        }
        _inPrep[ci] += prep.Quantity;
        _prepBatches[ci]++;
        if (prep.Remaining > 0) _preps.Add(prep);
    }

    private KTask NewTask(QueuedTask spec, int index, long at)
    {
        var task = new KTask
        {
            Id = spec.Id,
            Station = _stationIndex[spec.Station],
            Equipment = spec.Equipment is null ? -1 : _equipmentIndex[spec.Equipment],
            Step = StepOf(spec),
            ItemUnit = spec.Unit,
            WorkTicks = (long)(spec.WorkSeconds * TimeSpan.TicksPerSecond),
            EquipTicks = (long)(spec.EquipmentSeconds * TimeSpan.TicksPerSecond),
            IndexInOwner = index,
            QueuedAt = at,
        };
        _nextTaskId = Math.Max(_nextTaskId, spec.Id + 1);
        _tasks[spec.Id] = task;
        return task;
    }

    private StepSpec StepOf(QueuedTask spec)
    {
        var key = (spec.Item, spec.Name, spec.WorkSeconds, spec.EquipmentSeconds, spec.Attended);
        if (!_steps.TryGetValue(key, out var step))
            _steps[key] = step = new StepSpec(spec.Item, spec.Name, spec.WorkSeconds, spec.EquipmentSeconds, spec.Attended);
        return step;
    }

    private void Link(KTask task, QueuedTask spec)
    {
        if (spec.After != 0 && _tasks.TryGetValue(spec.After, out var before) && before.Phase is not (TaskPhase.Done or TaskPhase.Dropped))
        {
            before.Next = task;
            task.Phase = TaskPhase.Blocked;
        }
        else
        {
            Enqueue(task, LaneNormal);
        }
    }

    /// <summary>
    /// Queue key: lane (2 bits) | ticket sequence (41 bits) | index in ticket (20 bits). Lower runs
    /// first, so queues are FIFO by ticket, steps of one order keep their order, and a returned
    /// task (lane 0) goes back to the head of its queue.
    /// </summary>
    private void Enqueue(KTask task, int lane)
    {
        task.Phase = TaskPhase.Queued;
        var key = ((long)lane << 61) | ((task.Seq & ((1L << 41) - 1)) << 20) | (uint)(task.IndexInOwner & 0xFFFFF);
        // Its old entry under the same key is still queued (taken again from the head and handed back
        // again): it is live once more, and a second entry would count the task twice.
        var queued = task.InQueue && task.QueueKey == key;
        task.QueueKey = key;
        task.InQueue = true;
        var station = _stations[task.Station];
        if (!task.IsPrep) station.Queued++;
        if (queued) return;
        (task.IsPrep ? station.PrepQueue : station.Queues[task.Equipment + 1]).Enqueue(task, key);
    }

    private void ApplyStarted(TaskStarted s)
    {
        var task = _tasks[s.TaskId];
        var chef = _chefById[s.ChefId];
        var at = s.At.UtcTicks;
        var station = _stations[task.Station];
        if (task.Phase == TaskPhase.Queued && !task.IsPrep) station.Queued--;
        if (!task.IsPrep)
        {
            station.BacklogTicks -= task.BacklogTicks;
            if (task.Equipment >= 0) _equipment[task.Equipment].BacklogTicks -= task.EquipTicks;
        }
        station.WaitTicksTotal += at - task.QueuedAt;
        station.Started++;
        task.Phase = TaskPhase.Working;
        task.Chef = chef.Index;
        task.Unit = s.Unit;
        task.Token = s.Token;
        task.LeaseUntil = s.LeaseUntil.UtcTicks;
        task.StartedAt = at;
        if (s.Unit >= 0) _equipment[task.Equipment].Used[s.Unit]++;
        chef.Task = task;
        // What is in progress, for estimates: the chef is busy until the work is done, the slot until the equipment is.
        task.ChefEnd = at - _epoch + ChefTicks(task, chef);
        station.Busy++;
        station.BusyEndSum += task.ChefEnd;
        if (s.Unit >= 0)
        {
            var eq = _equipment[task.Equipment];
            task.EquipEnd = at - _epoch + (long)(task.WorkTicks / chef.Speed) + task.EquipTicks;
            eq.InUse++;
            eq.InUseEndSum += task.EquipEnd;
        }
        _nextToken = Math.Max(_nextToken, s.Token + 1);
        if (task.Order is { } order) order.Started = true;

        if (station.Spec.Mode == StationMode.Simulated)
            Schedule(TimerKind.Work, task, at + ChefTicks(task, chef));
        else
            Schedule(TimerKind.Lease, task, task.LeaseUntil);
    }

    private void ApplyHandsFree(TaskHandsFree h)
    {
        var task = _tasks[h.TaskId];
        var at = h.At.UtcTicks;
        ReleaseChef(task, at, done: true);
        task.Phase = TaskPhase.HandsFree;
        Schedule(TimerKind.Equipment, task, at + task.EquipTicks);
    }

    private void ApplyCompleted(TaskCompleted c)
    {
        var task = _tasks[c.TaskId];
        var at = c.At.UtcTicks;
        ReleaseChef(task, at, done: true);
        ReleaseUnit(task);
        task.Phase = TaskPhase.Done;
        _tasks.Remove(task.Id);
        _stations[task.Station].CompletedTasks++;
        if (_stations[task.Station].Spec.Mode == StationMode.Human)
        {
            _bumped ??= new (long, long)[BumpMemory];
            _bumped[_bumpedNext] = (task.Id, task.Token);
            _bumpedNext = (_bumpedNext + 1) % BumpMemory;
        }
        if (task.Next is { } next)
        {
            next.QueuedAt = at;
            Enqueue(next, LaneNormal);
        }
        if (task.Order is { } order)
        {
            order.RemainingByStation[task.Station]--;
            order.Remaining--;
        }
        else if (task.Prep is { } prep)
        {
            if (--prep.Remaining == 0) _preps.Remove(prep);
        }
    }

    private void ApplyReturned(TaskReturned r)
    {
        var task = _tasks[r.TaskId];
        ReleaseChef(task, r.At.UtcTicks, done: false);
        ReleaseUnit(task);
        task.Attempts = r.Attempts;
        task.Chef = -1;
        if (!task.IsPrep)
        {
            _stations[task.Station].BacklogTicks += task.BacklogTicks;
            if (task.Equipment >= 0) _equipment[task.Equipment].BacklogTicks += task.EquipTicks;
        }
        Enqueue(task, LaneReturned);
    }

    private void ApplyLeaseExtended(TaskLeaseExtended l)
    {
        var task = _tasks[l.TaskId];
        task.LeaseUntil = l.LeaseUntil.UtcTicks;
        Schedule(TimerKind.Lease, task, task.LeaseUntil);
    }

    private void DropOrder(string orderId, long at)
    {
        if (!_orders.Remove(orderId, out var order)) return;
        foreach (var task in order.Tasks)
        {
            switch (task.Phase)
            {
                case TaskPhase.Done or TaskPhase.Dropped:
                    continue;
                case TaskPhase.Working or TaskPhase.HandsFree:
                    // The chef worked on it until now: that time is theirs, though the task is not done.
                    ReleaseChef(task, at, done: false);
                    ReleaseUnit(task);
                    break;
                case TaskPhase.Queued or TaskPhase.Blocked:
                    if (task.Phase == TaskPhase.Queued) _stations[task.Station].Queued--;
                    _stations[task.Station].BacklogTicks -= task.BacklogTicks;
                    if (task.Equipment >= 0) _equipment[task.Equipment].BacklogTicks -= task.EquipTicks;
                    break;
            }
            task.Phase = TaskPhase.Dropped;
            _tasks.Remove(task.Id);
        }
    }

    /// <summary>Timers due at the same tick fire in the order they were set, so runs are deterministic and read naturally.</summary>
    private void Schedule(TimerKind kind, KTask task, long due) =>
        _timers.Enqueue(new KTimer(kind, task, task.Token), new TimerKey(due, _timerSeq++));

    /// <summary>The chef is free of the task: <paramref name="done"/> when their part of it is finished, not when it was handed back or dropped.</summary>
    private void ReleaseChef(KTask task, long at, bool done)
    {
        if (task.Chef < 0) return;
        var chef = _chefs[task.Chef];
        if (chef.Task != task) return;
        chef.Task = null;
        var station = _stations[task.Station];
        station.Busy--;
        station.BusyEndSum -= task.ChefEnd;
        chef.BusyTicks += Math.Max(0, at - task.StartedAt);
        if (done) chef.TasksDone++;
    }

    private void ReleaseUnit(KTask task)
    {
        if (task.Unit < 0) return;
        var eq = _equipment[task.Equipment];
        eq.Used[task.Unit]--;
        eq.InUse--;
        eq.InUseEndSum -= task.EquipEnd;
        task.Unit = -1;
    }

    private void ApplyStockUsed(StockUsed u)
    {
        var ci = _componentIndex[u.Component];
        _stock[ci] = u.Level;
        if (_orders.TryGetValue(u.OrderId, out var order)) (order.ReservedStock ??= []).Add(new Reservation(u.Component, u.TakenBy));
    }

    private void ApplyStockReturned(StockReturned r) => _stock[_componentIndex[r.Component]] = r.Level;

    private void ApplyStockPrepared(StockPrepared p)
    {
        var ci = _componentIndex[p.Component];
        _stock[ci] = p.Level;
        _inPrep[ci] -= p.Quantity;
        _prepBatches[ci]--;
    }

    private void ChangePaid(string chefId, DateTimeOffset at, Action<KChef> change)
    {
        var chef = _chefById[chefId];
        var wasPaid = chef.Paid;
        change(chef);
        var t = at.UtcTicks;
        if (wasPaid && !chef.Paid) chef.PaidTicks += Math.Max(0, t - Math.Max(chef.PaidSince, _epoch));
        else if (!wasPaid && chef.Paid) chef.PaidSince = t;
    }

    private void AddChefState(string id, string name, IReadOnlyList<string> skills, double speed, bool standby, bool onDuty, long at)
    {
        var chef = new KChef
        {
            Index = _chefs.Count,
            Id = id,
            Name = name,
            Skills = skills.Select(s => _stationIndex[s]).ToArray(),
            Speed = speed,
            Standby = standby,
            OnDuty = onDuty,
            Active = !standby,
            PaidSince = at,
        };
        _chefs.Add(chef);
        _chefById[id] = chef;
    }
}
