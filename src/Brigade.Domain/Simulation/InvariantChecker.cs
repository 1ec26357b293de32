using Brigade.Catalog;
using Brigade.Delivery;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Simulation;

/// <summary>One invariant's verdict over a run: how often it was broken, and the first few cases.</summary>
public sealed record InvariantResult(string Name, bool Holds, int Violations, IReadOnlyList<string> Examples);

/// <summary>
/// Watches the engine's events, as they happen, for what must never happen: an order finishing
/// twice or never, a courier holding two conflicting jobs or an order two couriers, equipment
/// holding more than its capacity. It knows only the events and the catalog, not the engine's
/// state, so it checks the engine rather than agreeing with it.
/// </summary>
public sealed class InvariantChecker
{
    public const string TerminalOnce = "every order reached a terminal state, and none did twice";
    public const string NoDoubleBooking = "no courier was double-booked, and no order had two couriers";
    public const string EquipmentCapacity = "no equipment ran over capacity";
    private const int MaxExamples = 20;

    private readonly RestaurantCatalog _catalog;
    private readonly Dictionary<string, int> _terminals = new(StringComparer.Ordinal);
    private readonly Violations _terminal = new(TerminalOnce);
    private readonly Violations _dispatch = new(NoDoubleBooking);
    private readonly Violations _equipment = new(EquipmentCapacity);

    private readonly Dictionary<string, string> _courierOf = new(StringComparer.Ordinal);          // order -> its courier
    private readonly Dictionary<string, HashSet<string>> _jobsOf = new(StringComparer.Ordinal);    // courier -> orders it holds
    private readonly Dictionary<string, OfferMade> _openOffer = new(StringComparer.Ordinal);       // courier -> its open offer
    private readonly Dictionary<string, string> _offeredTo = new(StringComparer.Ordinal);          // order -> courier offered it
    private readonly HashSet<string> _onShift = new(StringComparer.Ordinal);

    private readonly Dictionary<(string Outlet, long Task), (string? Equipment, string? Order)> _tasks = [];
    private readonly Dictionary<(string Outlet, long Task), (string Equipment, int Unit)> _held = [];
    private readonly Dictionary<(string Outlet, string Equipment, int Unit), int> _load = [];

    public InvariantChecker(RestaurantCatalog catalog) => _catalog = catalog;

    /// <summary>An instant as the outlet's clock shows it (the first outlet's when none is named), as scenarios give times.</summary>
    private string Clock(DateTimeOffset at, string? outletId = null)
    {
        var outlet = (outletId is null ? null : _catalog.FindOutlet(outletId)) ?? (_catalog.Outlets.Count > 0 ? _catalog.Outlets[0] : null);
        var local = outlet is null ? at : TimeZoneInfo.ConvertTime(at, outlet.TimeZone);
        return local.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Couriers on shift now, and how many of them hold at least one order.</summary>
    public int CouriersOnShift => _onShift.Count;
    public int CouriersBusy { get; private set; }

    public void Observe(IDomainEvent e)
    {
        switch (e)
        {
            case OrderPlaced p:
                if (!_terminals.TryAdd(p.OrderId, 0)) _terminal.Add($"{p.OrderId} was placed twice");
                break;
            case OrderDelivered or OrderCollected or OrderCancelled or OrderRejected or OrderFailed:
                var id = ((IOrderEvent)e).OrderId;
                var n = _terminals.GetValueOrDefault(id) + 1;
                _terminals[id] = n;
                if (n > 1) _terminal.Add($"{id} reached a terminal state again ({e.GetType().Name} at {Clock(e.At)})");
                break;
        }
        ObserveDispatch(e);
        ObserveEquipment(e);
    }

    /// <summary>At the end of a run: orders that never finished break the first invariant.</summary>
    public IReadOnlyList<InvariantResult> Finish()
    {
        foreach (var (order, n) in _terminals)
            if (n == 0) _terminal.Add($"{order} never reached a terminal state");
        return [_terminal.Result(), _dispatch.Result(), _equipment.Result()];
    }

    private HashSet<string> Jobs(string courier) => _jobsOf.TryGetValue(courier, out var s) ? s : _jobsOf[courier] = [];

    private void AddJob(string courier, string order)
    {
        var jobs = Jobs(courier);
        if (jobs.Add(order) && jobs.Count == 1) CouriersBusy++;
    }

    private void RemoveJob(string courier, string order)
    {
        var jobs = Jobs(courier);
        if (jobs.Remove(order) && jobs.Count == 0) CouriersBusy--;
    }

    private void ObserveDispatch(IDomainEvent e)
    {
        switch (e)
        {
            case CourierShiftStarted s:
                if (!_onShift.Add(s.CourierId)) _dispatch.Add($"{s.CourierId} started a shift while on one");
                break;
            case CourierShiftEnded s:
                _onShift.Remove(s.CourierId);
                if (Jobs(s.CourierId).Count > 0) _dispatch.Add($"{s.CourierId} ended a shift still holding {string.Join(",", Jobs(s.CourierId))}");
                break;
            case OfferMade m:
                if (_openOffer.ContainsKey(m.CourierId)) _dispatch.Add($"{m.CourierId} got {m.OfferId} while holding another offer");
                if (Jobs(m.CourierId).Count > 0) _dispatch.Add($"{m.CourierId} got {m.OfferId} while carrying {string.Join(",", Jobs(m.CourierId))}");
                foreach (var o in m.OrderIds)
                {
                    if (_courierOf.TryGetValue(o, out var holder)) _dispatch.Add($"{o} offered to {m.CourierId} but already with {holder}");
                    if (_offeredTo.TryGetValue(o, out var other)) _dispatch.Add($"{o} offered to {m.CourierId} while already offered to {other}");
                    _offeredTo[o] = m.CourierId;
                }
                _openOffer[m.CourierId] = m;
                break;
            case OfferAccepted a:
                if (!_openOffer.Remove(a.CourierId, out var accepted) || accepted.OfferId != a.OfferId) _dispatch.Add($"{a.CourierId} accepted {a.OfferId}, which was not open");
                else foreach (var o in accepted.OrderIds) _offeredTo.Remove(o);
                break;
            case OfferDeclined d:
                if (_openOffer.Remove(d.CourierId, out var declined))
                    foreach (var o in declined.OrderIds) _offeredTo.Remove(o);
                break;
            case CourierAssigned a:
                if (_courierOf.TryGetValue(a.OrderId, out var held)) _dispatch.Add($"{a.OrderId} assigned to {a.CourierId} but already with {held}");
                _courierOf[a.OrderId] = a.CourierId;
                AddJob(a.CourierId, a.OrderId);
                break;
            case CourierUnassigned u:
                if (_courierOf.GetValueOrDefault(u.OrderId) != u.CourierId) _dispatch.Add($"{u.OrderId} unassigned from {u.CourierId}, who did not hold it");
                _courierOf.Remove(u.OrderId);
                RemoveJob(u.CourierId, u.OrderId);
                break;
            case OrderPickedUp p:
                if (_courierOf.GetValueOrDefault(p.OrderId) != p.CourierId) _dispatch.Add($"{p.OrderId} picked up by {p.CourierId}, who was not assigned it");
                break;
            case OrderDelivered d:
                if (_courierOf.GetValueOrDefault(d.OrderId) != d.CourierId) _dispatch.Add($"{d.OrderId} delivered by {d.CourierId}, who was not assigned it");
                _courierOf.Remove(d.OrderId);
                RemoveJob(d.CourierId, d.OrderId);
                break;
            case OrderFailed or OrderCancelled:
                var id = ((IOrderEvent)e).OrderId;
                if (_courierOf.Remove(id, out var c)) RemoveJob(c, id);
                break;
        }
    }

    private void ObserveEquipment(IDomainEvent e)
    {
        switch (e)
        {
            case OrderQueued q:
                foreach (var t in q.Tasks) _tasks[(q.OutletId, t.Id)] = (t.Equipment, q.OrderId);
                break;
            case PrepQueued p:
                foreach (var t in p.Tasks) _tasks[(p.OutletId, t.Id)] = (t.Equipment, null);
                break;
            case TaskStarted s when s.Unit >= 0:
                {
                    var key = (s.OutletId, s.TaskId);
                    if (!_tasks.TryGetValue(key, out var task) || task.Equipment is null)
                    {
                        _equipment.Add($"{s.OutletId} task {s.TaskId} took equipment unit {s.Unit}, but its step uses none");
                        break;
                    }
                    if (_held.ContainsKey(key)) { _equipment.Add($"{s.OutletId} task {s.TaskId} took a unit while holding one"); break; }
                    var spec = _catalog.FindOutlet(s.OutletId)?.Equipment.FirstOrDefault(x => x.Id == task.Equipment);
                    var unitKey = (s.OutletId, task.Equipment, s.Unit);
                    var load = _load.GetValueOrDefault(unitKey) + 1;
                    _load[unitKey] = load;
                    _held[key] = (task.Equipment, s.Unit);
                    if (spec is null || s.Unit >= spec.Count) _equipment.Add($"{s.OutletId} task {s.TaskId} used {task.Equipment} unit {s.Unit}, which does not exist");
                    else if (load > spec.Capacity) _equipment.Add($"{s.OutletId} {task.Equipment} unit {s.Unit} held {load} items at {Clock(s.At, s.OutletId)}; its capacity is {spec.Capacity}");
                    break;
                }
            case TaskCompleted c:
                Release(c.OutletId, c.TaskId);
                _tasks.Remove((c.OutletId, c.TaskId));
                break;
            case TaskReturned r:
                Release(r.OutletId, r.TaskId);
                break;
            case OrderCookingFailed f:
                foreach (var key in _held.Keys.Where(k => k.Outlet == f.OutletId && _tasks.GetValueOrDefault(k).Order == f.OrderId).ToList())
                    Release(key.Outlet, key.Task);
                break;
        }
    }

    private void Release(string outlet, long task)
    {
        if (!_held.Remove((outlet, task), out var h)) return;
        var key = (outlet, h.Equipment, h.Unit);
        var load = _load[key] - 1;
        if (load == 0) _load.Remove(key);
        else _load[key] = load;
    }

    private sealed class Violations(string name)
    {
        private readonly List<string> _examples = [];
        private int _count;

        public void Add(string what)
        {
            _count++;
            if (_examples.Count < MaxExamples) _examples.Add(what);
        }

        public InvariantResult Result() => new(name, _count == 0, _count, _examples.ToList());
    }
}
