namespace Brigade.Tests.Support;

/// <summary>
/// A clock that moves only when the test moves it. Its timers never fire, so a server built on it
/// (under its kitchen clock) advances only when a command arrives: what falls due is decided by the test.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _elapsed;

    public override DateTimeOffset GetUtcNow() => start + TimeSpan.FromTicks(Volatile.Read(ref _elapsed));

    public override long GetTimestamp() => Volatile.Read(ref _elapsed);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _elapsed, by.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Never();

    private sealed class Never : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
