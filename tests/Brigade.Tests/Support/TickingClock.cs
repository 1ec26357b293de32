namespace Brigade.Tests.Support;

/// <summary>
/// Real time, but its timers fire only when the test calls <see cref="Tick"/>: a background
/// service's periodic rounds run when the test says, however slow or fast the machine is.
/// </summary>
public sealed class TickingClock : TimeProvider
{
    private readonly List<Timer> _timers = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        lock (_timers) _timers.Add(timer);
        return timer;
    }

    /// <summary>Every live timer falls due once.</summary>
    public void Tick()
    {
        Timer[] live;
        lock (_timers) live = [.. _timers];
        foreach (var t in live) t.Fire();
    }

    private sealed class Timer(TickingClock clock, TimerCallback callback, object? state) : ITimer
    {
        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
            lock (clock._timers) clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
