namespace Brigade.Engine;

/// <summary>
/// The kitchen clock: real time sped up <see cref="Scale"/> times (600 makes a 10-minute pizza
/// take one second), anchored so that it never runs behind the last thing recorded in the log.
/// Timers are scaled the same way. With scale 1 it is the real clock.
/// </summary>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly TimeProvider _real;
    private readonly long _startTimestamp;
    private DateTimeOffset _anchor;

    public ScaledTimeProvider(double scale, TimeProvider? real = null)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The time scale must be a positive number.");
        Scale = scale;
        _real = real ?? System;
        _startTimestamp = _real.GetTimestamp();
        _anchor = _real.GetUtcNow();
    }

    public double Scale { get; }

    public override DateTimeOffset GetUtcNow()
    {
        var elapsed = _real.GetElapsedTime(_startTimestamp);
        return _anchor + TimeSpan.FromTicks((long)(elapsed.Ticks * Scale));
    }

    /// <summary>Move the clock forward, if needed, so that it reads at least <paramref name="notBefore"/> (the last time in the log).</summary>
    public void EnsureNotBefore(DateTimeOffset notBefore)
    {
        var now = GetUtcNow();
        if (now < notBefore) _anchor += notBefore - now;
    }

    /// <summary>Real time until the kitchen clock shows a duration of <paramref name="kitchenTime"/> has passed.</summary>
    public TimeSpan ToReal(TimeSpan kitchenTime) => kitchenTime <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling(kitchenTime.Ticks / Scale));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_real.CreateTimer(callback, state, Real(dueTime), Real(period)), this);

    private TimeSpan Real(TimeSpan t) => t == Timeout.InfiniteTimeSpan ? t : ToReal(t);

    private sealed class ScaledTimer(ITimer inner, ScaledTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Real(dueTime), clock.Real(period));
        public void Dispose() => inner.Dispose();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
