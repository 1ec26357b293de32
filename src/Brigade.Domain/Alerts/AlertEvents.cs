namespace Brigade.Alerts;

/// <summary>An event about operating the platform rather than its state: the engine keeps no fold of these.</summary>
public interface IOperationalEvent : IStreamEvent;

/// <summary>An alert rule's condition became true for a subject (an outlet, a station, the fleet, the log).</summary>
public sealed record AlertFired(string AlertId, string Rule, string Kind, string Subject, string Message, double Value, double Threshold, DateTimeOffset At) : IOperationalEvent
{
    StreamKey IStreamEvent.Stream => new(StreamKind.Alerts, Rule);
}

/// <summary>The condition of a fired alert no longer holds.</summary>
public sealed record AlertResolved(string AlertId, string Rule, string Subject, string Message, DateTimeOffset At) : IOperationalEvent
{
    StreamKey IStreamEvent.Stream => new(StreamKind.Alerts, Rule);
}
