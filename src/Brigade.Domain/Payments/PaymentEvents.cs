using Brigade.Orders;

namespace Brigade.Payments;

public static class PaymentStatus
{
    public const string Pending = "pending";
    public const string Authorized = "authorized";
    public const string Declined = "declined";
}

/// <summary>The order waits in <c>placed</c> until its payment is authorised; no kitchen has it yet.</summary>
public sealed record PaymentRequired(string OrderId, int AmountCents, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with { Payment = PaymentStatus.Pending };
}

/// <summary>The payment provider authorised the amount (reported by its signed webhook).</summary>
public sealed record PaymentAuthorized(string OrderId, string PaymentId, int AmountCents, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with { Payment = PaymentStatus.Authorized, PaymentId = PaymentId };
}

/// <summary>The payment provider declined; the order is rejected in the same commit.</summary>
public sealed record PaymentDeclined(string OrderId, string PaymentId, string Reason, DateTimeOffset At) : IOrderExtensionEvent
{
    public Order ApplyTo(Order order) => order with { Payment = PaymentStatus.Declined, PaymentId = PaymentId };
}
