namespace Brigade.Kitchen;

// Events of an outlet kitchen's stream (kitchen-{OutletId}). Times are the kitchen clock's.

/// <summary>One task of a queued order or prep batch: one recipe step of one unit of one item.</summary>
/// <param name="After">The task that must complete before this one may start (0 if none): steps of one unit run in order.</param>
public sealed record QueuedTask(
    long Id,
    string Station,
    string Item,
    int Unit,
    int Step,
    string Name,
    double WorkSeconds,
    string? Equipment,
    double EquipmentSeconds,
    bool Attended,
    long After);

/// <summary>
/// The kitchen's clock started (its first <c>Advance</c>): chefs on duty from the start are paid from
/// here, and its staffing reviews run every review interval from here. A kitchen rebuilt from its
/// log starts from this event; in a log without it, from its first event.
/// </summary>
public sealed record KitchenStarted(string OutletId, DateTimeOffset At) : IKitchenEvent;

/// <summary>The kitchen accepted an order: its tasks, one ticket per station involved, join the station queues.</summary>
public sealed record OrderQueued(
    string OutletId,
    string OrderId,
    long Seq,
    IReadOnlyList<QueuedTask> Tasks,
    DateTimeOffset EstimatedReadyAt,
    DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>An order left this kitchen before any of its tasks started (cancelled, or moved to another outlet). Reserved stock returns.</summary>
public sealed record OrderWithdrawn(string OutletId, string OrderId, string Reason, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>A chef took a task. <paramref name="Token"/> fences off late completions from earlier holders.</summary>
public sealed record TaskStarted(
    string OutletId,
    long TaskId,
    string? OrderId,
    string ChefId,
    int Unit,
    long Token,
    DateTimeOffset LeaseUntil,
    DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>The chef's hands-on work is done and the equipment runs unattended: the chef is free.</summary>
public sealed record TaskHandsFree(string OutletId, long TaskId, string? OrderId, long Token, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

public sealed record TaskCompleted(string OutletId, long TaskId, string? OrderId, long Token, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

public sealed record TaskLeaseExtended(string OutletId, long TaskId, string? OrderId, long Token, DateTimeOffset LeaseUntil, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>The task went back to the head of its queue: its chef went away or its equipment broke.</summary>
public sealed record TaskReturned(string OutletId, long TaskId, string? OrderId, long Token, string Reason, int Attempts, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

public sealed record TicketCompleted(string OutletId, string OrderId, string Station, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>Every ticket of the order is done at this kitchen.</summary>
public sealed record OrderCooked(string OutletId, string OrderId, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>
/// A ticket ran out of attempts; the kitchen gives up on the order and drops its remaining tasks.
/// Stock the order took and no started step has worked on was returned just before (<see cref="StockReturned"/>).
/// </summary>
public sealed record OrderCookingFailed(string OutletId, string OrderId, string Station, string Reason, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

public sealed record KitchenAlertRaised(string OutletId, string Kind, string Message, string? OrderId, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

public sealed record ChefAdded(string OutletId, string ChefId, string Name, IReadOnlyList<string> Skills, double Speed, bool Standby, DateTimeOffset At) : IKitchenEvent;

public sealed record ChefClockedIn(string OutletId, string ChefId, DateTimeOffset At) : IKitchenEvent;

public sealed record ChefClockedOut(string OutletId, string ChefId, DateTimeOffset At) : IKitchenEvent;

public sealed record ChefFellSick(string OutletId, string ChefId, DateTimeOffset At) : IKitchenEvent;

public sealed record ChefRecovered(string OutletId, string ChefId, DateTimeOffset At) : IKitchenEvent;

/// <summary>A chef joins the active crew (a standby stepping in, or a scale-out). Paid from here.</summary>
public sealed record ChefActivated(string OutletId, string ChefId, string Station, string Reason, DateTimeOffset At) : IKitchenEvent;

/// <summary>A chef leaves the active crew (back to standby, or a scale-in). Unpaid from here.</summary>
public sealed record ChefStoodDown(string OutletId, string ChefId, string Station, string Reason, DateTimeOffset At) : IKitchenEvent;

/// <summary>The station's autoscaler changed how many chefs it wants active, and why.</summary>
public sealed record StationScaled(string OutletId, string Station, int From, int To, string Reason, DateTimeOffset At) : IKitchenEvent;

public sealed record EquipmentBroke(string OutletId, string Equipment, int Unit, DateTimeOffset At) : IKitchenEvent;

public sealed record EquipmentFixed(string OutletId, string Equipment, int Unit, DateTimeOffset At) : IKitchenEvent;

/// <summary>An order's recipe skipped a step by taking a prepped component from stock.</summary>
/// <param name="TakenBy">
/// The task that works on the component, the next step of the same unit; 0 if no step follows it.
/// Until that task starts the component is unused, and goes back to stock if the order fails. Null
/// in logs written before this was recorded: such a component is not given back.
/// </param>
public sealed record StockUsed(string OutletId, string Component, string OrderId, int Level, DateTimeOffset At, long? TakenBy = null) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

public sealed record StockReturned(string OutletId, string Component, string OrderId, int Level, DateTimeOffset At) : IKitchenEvent, IConcernsOrder
{
    string? IConcernsOrder.ConcernedOrderId => OrderId;
}

/// <summary>A prep batch for a component joined the queues, below every order.</summary>
public sealed record PrepQueued(string OutletId, string Component, long Seq, IReadOnlyList<QueuedTask> Tasks, string Reason, DateTimeOffset At) : IKitchenEvent;

public sealed record StockPrepared(string OutletId, string Component, int Quantity, int Level, DateTimeOffset At) : IKitchenEvent;
