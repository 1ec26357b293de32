namespace Brigade;

/// <summary>
/// A fact that happened, named in the past tense. Every state change in Brigade is one of these,
/// appended to the event log; state anywhere is a fold of them.
/// </summary>
public interface IDomainEvent
{
    DateTimeOffset At { get; }
}

/// <summary>An event of an order's own stream (<c>order-{OrderId}</c>).</summary>
public interface IOrderEvent : IDomainEvent
{
    string OrderId { get; }
}

/// <summary>An event of an outlet kitchen's stream (<c>kitchen-{OutletId}</c>).</summary>
public interface IKitchenEvent : IDomainEvent
{
    string OutletId { get; }
}

/// <summary>An event about one order that lives in another stream (a kitchen's, a courier's). Indexed for the order's audit trail.</summary>
public interface IConcernsOrder
{
    string? ConcernedOrderId { get; }
}

public enum StreamKind : byte
{
    Order,
    Kitchen,
    Outlet,
    Courier,
    Dispatch,
    Alerts,
    Payments,
}

/// <summary>The stream an event belongs to. Formatted as <c>kind-key</c> in the log.</summary>
public readonly record struct StreamKey(StreamKind Kind, string Key)
{
    public override string ToString() => Prefix(Kind) + Key;

    public static string Prefix(StreamKind kind) => kind switch
    {
        StreamKind.Order => "order-",
        StreamKind.Kitchen => "kitchen-",
        StreamKind.Outlet => "outlet-",
        StreamKind.Courier => "courier-",
        StreamKind.Dispatch => "dispatch-",
        StreamKind.Alerts => "alerts-",
        StreamKind.Payments => "payments-",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>An event that names its own stream (couriers, outlets, dispatch, alerts).</summary>
public interface IStreamEvent : IDomainEvent
{
    StreamKey Stream { get; }
}
