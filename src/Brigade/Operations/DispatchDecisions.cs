using Brigade.Engine;
using Brigade.Routing;
using Brigade.Storage;

namespace Brigade.Operations;

/// <summary>One routing decision: the outlet the router chose for an order (or moved it to), why, and every candidate it weighed.</summary>
/// <param name="Kind"><c>routed</c> when the order was placed, <c>rerouted</c> when it moved before cooking started.</param>
public sealed record RoutingDecision(
    DateTimeOffset At,
    string Kind,
    string OrderId,
    string OutletId,
    string? FromOutletId,
    string Reason,
    IReadOnlyList<RouteCandidate> Candidates);

/// <summary>
/// The router's latest decisions, newest first, for the dispatcher's map: a ring of the last
/// <see cref="Capacity"/> <see cref="OrderRouted"/> and <see cref="OrderRerouted"/> events, filled
/// from the log at start-up and from each durable commit after. Bounded, and cheap to read.
/// </summary>
public sealed class DispatchDecisions : IEngineObserver
{
    public const int Capacity = 200;
    private readonly RoutingDecision[] _ring = new RoutingDecision[Capacity];
    private readonly ChangeSignal _changed = new();
    private int _next;
    private int _count;

    /// <summary>How many decisions were ever added: changes whenever a decision arrives.</summary>
    public long Version { get; private set; }

    public ChangeSignal Changed => _changed;

    public void Replayed(IDomainEvent e) => Add(e);

    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        var added = false;
        foreach (var ce in batch) added |= Add(ce.Event.Source);
        if (added) _changed.Notify();
    }

    private bool Add(object? e)
    {
        var decision = e switch
        {
            OrderRouted r => new RoutingDecision(r.At, "routed", r.OrderId, r.OutletId, null, r.Reason, r.Candidates),
            OrderRerouted r => new RoutingDecision(r.At, "rerouted", r.OrderId, r.ToOutletId, r.FromOutletId, r.Reason, r.Candidates),
            _ => null,
        };
        if (decision is null) return false;
        lock (_ring)
        {
            _ring[_next] = decision;
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
            Version++;
        }
        return true;
    }

    /// <summary>The latest <paramref name="limit"/> decisions, newest first.</summary>
    public List<RoutingDecision> Latest(int limit)
    {
        lock (_ring)
        {
            var n = Math.Clamp(limit, 0, _count);
            var list = new List<RoutingDecision>(n);
            for (var i = 1; i <= n; i++) list.Add(_ring[(_next - i + Capacity) % Capacity]);
            return list;
        }
    }
}

/// <summary>Wakes every waiter when something changed; a waiter that comes late waits for the next change.</summary>
public sealed class ChangeSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next
    {
        get
        {
            lock (_lock) return _next.Task;
        }
    }

    public void Notify()
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            fired = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        fired.TrySetResult();
    }
}
