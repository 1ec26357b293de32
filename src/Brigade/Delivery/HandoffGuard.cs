using System.Collections.Concurrent;

namespace Brigade.Delivery;

/// <summary>
/// Wrong handoff codes per order. The code has four digits, so a courier trying them all would
/// need 10,000 attempts; after <see cref="FreeAttempts"/> wrong ones an order takes no attempt for
/// a minute, doubling with each further miss up to an hour: all the codes would take weeks. Kept in
/// memory only: a restart forgives, which costs an attacker far more than it gains. The fifth
/// wrong code starts the first wait.
/// </summary>
public sealed class HandoffGuard(TimeProvider clock)
{
    public const int FreeAttempts = 5;
    private static readonly TimeSpan FirstWait = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Misses> _misses = new(StringComparer.Ordinal);

    private sealed record Misses(int Count, DateTimeOffset Until);

    /// <summary>Whether the order takes no attempt now, and for how long.</summary>
    public bool IsBlocked(string orderId, out TimeSpan wait)
    {
        wait = _misses.TryGetValue(orderId, out var m) ? m.Until - clock.GetUtcNow() : TimeSpan.Zero;
        return wait > TimeSpan.Zero;
    }

    public void Missed(string orderId)
    {
        var now = clock.GetUtcNow();
        if (_misses.Count > SweepAbove)
            foreach (var (id, m) in _misses)
                if (m.Until < now - LongestWait) _misses.TryRemove(id, out _);
        _misses.AddOrUpdate(orderId, _ => new Misses(1, now), (_, m) =>
        {
            var count = m.Count + 1;
            if (count < FreeAttempts) return new Misses(count, now);
            var wait = TimeSpan.FromTicks(Math.Min(LongestWait.Ticks, FirstWait.Ticks << Math.Min(count - FreeAttempts, 10)));
            return new Misses(count, now + wait);
        });
    }

    public void Delivered(string orderId) => _misses.TryRemove(orderId, out _);
}
