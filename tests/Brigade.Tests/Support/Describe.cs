using System.Globalization;
using Brigade.Kitchen;
using Brigade.Orders;

namespace Brigade.Tests.Support;

/// <summary>Compact, stable text for events, so "then" assertions read like the story they check.</summary>
public static class Describe
{
    public static DateTimeOffset T0 { get; } = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    public static string Event(IDomainEvent e) => e switch
    {
        OrderQueued q => $"OrderQueued {q.OrderId} tasks={q.Tasks.Count}",
        TaskStarted s => $"TaskStarted {s.TaskId} {s.ChefId}" + (s.Unit >= 0 ? $" unit={s.Unit}" : "") + $" @{Sec(s.At)}",
        TaskHandsFree h => $"TaskHandsFree {h.TaskId} @{Sec(h.At)}",
        TaskCompleted c => $"TaskCompleted {c.TaskId} @{Sec(c.At)}",
        TaskReturned r => $"TaskReturned {r.TaskId} attempts={r.Attempts} ({r.Reason}) @{Sec(r.At)}",
        TaskLeaseExtended l => $"TaskLeaseExtended {l.TaskId} until={Sec(l.LeaseUntil)}",
        TicketCompleted t => $"TicketCompleted {t.OrderId}/{t.Station} @{Sec(t.At)}",
        OrderCooked c => $"OrderCooked {c.OrderId} @{Sec(c.At)}",
        OrderCookingFailed f => $"OrderCookingFailed {f.OrderId}/{f.Station}",
        KitchenAlertRaised a => $"KitchenAlertRaised {a.Kind}",
        ChefFellSick s => $"ChefFellSick {s.ChefId}",
        ChefRecovered r => $"ChefRecovered {r.ChefId}",
        ChefActivated a => $"ChefActivated {a.ChefId} ({a.Reason})",
        ChefStoodDown d => $"ChefStoodDown {d.ChefId} ({d.Reason})",
        ChefClockedIn c => $"ChefClockedIn {c.ChefId}",
        ChefClockedOut c => $"ChefClockedOut {c.ChefId}",
        StationScaled s => $"StationScaled {s.Station} {s.From}->{s.To}",
        EquipmentBroke b => $"EquipmentBroke {b.Equipment}/{b.Unit}",
        EquipmentFixed f => $"EquipmentFixed {f.Equipment}/{f.Unit}",
        StockUsed u => $"StockUsed {u.Component} level={u.Level}",
        StockReturned r => $"StockReturned {r.Component} level={r.Level}",
        PrepQueued p => $"PrepQueued {p.Component}",
        StockPrepared p => $"StockPrepared {p.Component} +{p.Quantity} level={p.Level} @{Sec(p.At)}",
        OrderWithdrawn w => $"OrderWithdrawn {w.OrderId}",
        OrderPlaced p => $"OrderPlaced {p.OrderId}",
        OrderAccepted a => $"OrderAccepted {a.OrderId} at {a.OutletId}",
        OrderPreparing p => $"OrderPreparing {p.OrderId} @{Sec(p.At)}",
        OrderReady r => $"OrderReady {r.OrderId} @{Sec(r.At)}",
        OrderEstimateUpdated u => $"OrderEstimateUpdated {u.OrderId}",
        OrderCancelled c => $"OrderCancelled {c.OrderId}",
        OrderFailed f => $"OrderFailed {f.OrderId}",
        OrderCollected c => $"OrderCollected {c.OrderId}",
        _ => e.GetType().Name,
    };

    public static List<string> Events(IEnumerable<IDomainEvent> events) => events.Select(Event).ToList();

    public static List<string> Only<T>(IEnumerable<IDomainEvent> events) where T : IDomainEvent => events.OfType<T>().Select(e => Event(e)).ToList();

    /// <summary>Seconds since <see cref="T0"/>.</summary>
    public static string Sec(DateTimeOffset t) => (t - T0).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
