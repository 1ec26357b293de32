using System.Diagnostics;
using Brigade.Delivery;

namespace Brigade.Observability;

/// <summary>Times the dispatch matcher for the metrics, with the process's monotonic clock.</summary>
public sealed class DispatchProbe : IDispatchProbe
{
    public long Timestamp() => Stopwatch.GetTimestamp();

    public void Matched(long elapsed, int orders, int couriers) =>
        Measured?.Invoke(TimeSpan.FromSeconds((double)elapsed / Stopwatch.Frequency), orders, couriers);

    /// <summary>After each matcher run, on the engine thread: how long it took, and the orders and couriers it weighed.</summary>
    public event Action<TimeSpan, int, int>? Measured;
}
