using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Operations;

/// <summary>Orders in one minute of kitchen time: placed, delivered, collected at the counter, and lost (rejected, cancelled or failed).</summary>
public sealed record OpsMinute(DateTimeOffset Minute, int Placed, int Delivered, int Collected, int Lost);

/// <summary>A station of an outlet, whose projected wait each sample carries (in <see cref="OpsSummary.Stations"/> order).</summary>
public sealed record OpsStation(string OutletId, string OutletName, string StationId, string StationName, double TargetWaitSeconds);

/// <summary>
/// The kitchens and the fleet at one moment: each station's projected wait (seconds, in the order of
/// <see cref="OpsSummary.Stations"/>), couriers on shift and busy (with orders), the busy share, the
/// mean shift utilisation, orders waiting for a courier and orders open in kitchens.
/// </summary>
public sealed record OpsSample(
    DateTimeOffset At,
    IReadOnlyList<double> WaitSeconds,
    int CouriersOnShift,
    int CouriersBusy,
    double BusyPercent,
    double ShiftUtilisationPercent,
    int WaitingForCourier,
    int OpenInKitchens);

/// <summary>What the operations page charts: orders per minute for the last hour, and recent samples of waits and couriers.</summary>
public sealed record OpsSummary(DateTimeOffset At, double TimeScale, IReadOnlyList<OpsMinute> Minutes, IReadOnlyList<OpsStation> Stations, IReadOnlyList<OpsSample> Samples);

/// <summary>
/// Operations figures, kept small and bounded: per-minute order counts (from the log at start-up,
/// then from each durable commit; <see cref="MinutesKept"/> minutes), and samples of the kitchens
/// and the fleet (the last <see cref="SamplesKept"/>), taken every <see cref="SampleEvery"/> of
/// real time only while someone watches, so an unwatched server pays nothing for them.
/// </summary>
public sealed class OpsMetrics : IEngineObserver
{
    public const int MinutesKept = 60;
    public const int SamplesKept = 90;
    public static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WatchedFor = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, int[]> _minutes = [];
    private readonly Queue<OpsSample> _samples = new();
    private readonly ScaledTimeProvider _clock;
    private long _lastWatched = long.MinValue;
    private int _watchers;

    public OpsMetrics(RestaurantCatalog catalog, ScaledTimeProvider clock)
    {
        _clock = clock;
        Stations = catalog.Outlets.SelectMany(o => o.Stations.Select(s => new OpsStation(o.Id, o.Name, s.Id, s.Name, s.TargetWait.TotalSeconds))).ToList();
    }

    public IReadOnlyList<OpsStation> Stations { get; }
    public ChangeSignal Changed { get; } = new();

    /// <summary>Someone looked (a request, or an open stream): keep sampling for a while.</summary>
    public void Touch() => Interlocked.Exchange(ref _lastWatched, Environment.TickCount64);

    public bool Watched => Volatile.Read(ref _watchers) > 0 || Environment.TickCount64 - Interlocked.Read(ref _lastWatched) < (long)WatchedFor.TotalMilliseconds;

    public IDisposable Watch()
    {
        Interlocked.Increment(ref _watchers);
        Touch();
        return new Unwatch(this);
    }

    private sealed class Unwatch(OpsMetrics metrics) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref metrics._watchers);
        }
    }

    public void Replayed(IDomainEvent e) => Count(e);

    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        foreach (var ce in batch)
            if (ce.Event.Source is IDomainEvent e) Count(e);
    }

    private void Count(IDomainEvent e)
    {
        var slot = e switch
        {
            OrderPlaced => 0,
            Delivery.OrderDelivered => 1,
            OrderCollected => 2,
            OrderRejected or OrderCancelled or OrderFailed => 3,
            _ => -1,
        };
        if (slot < 0) return;
        var minute = e.At.UtcTicks / TimeSpan.TicksPerMinute;
        lock (_lock)
        {
            if (!_minutes.TryGetValue(minute, out var counts))
            {
                // Older than the window (the log replays in order, so this is rare): not worth a bucket.
                if (_minutes.Count > 0 && minute <= _minutes.Keys.Last() - MinutesKept) return;
                _minutes[minute] = counts = new int[4];
                while (_minutes.Count > 0 && _minutes.Keys.First() <= minute - MinutesKept) _minutes.Remove(_minutes.Keys.First());
            }
            counts[slot]++;
        }
    }

    public void Add(OpsSample sample)
    {
        lock (_lock)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > SamplesKept) _samples.Dequeue();
        }
        Changed.Notify();
    }

    public bool HasSamples
    {
        get
        {
            lock (_lock) return _samples.Count > 0;
        }
    }

    public OpsSummary Summary()
    {
        var now = _clock.GetUtcNow();
        var last = now.UtcTicks / TimeSpan.TicksPerMinute;
        var minutes = new List<OpsMinute>(MinutesKept);
        lock (_lock)
        {
            for (var m = last - MinutesKept + 1; m <= last; m++)
            {
                var c = _minutes.GetValueOrDefault(m);
                minutes.Add(new OpsMinute(new DateTimeOffset(m * TimeSpan.TicksPerMinute, TimeSpan.Zero), c?[0] ?? 0, c?[1] ?? 0, c?[2] ?? 0, c?[3] ?? 0));
            }
            return new OpsSummary(now, _clock.Scale, minutes, Stations, _samples.ToList());
        }
    }

    /// <summary>One sample, on the engine thread: cheap (a projected wait per station, a pass over the couriers on shift).</summary>
    public Task<OpsSample> SampleAsync(EngineHost engine) => engine.QueryAsync((e, now) =>
    {
        var waits = new double[Stations.Count];
        for (var i = 0; i < waits.Length; i++)
            waits[i] = Math.Round(e.KitchenOf(Stations[i].OutletId)?.ProjectedWait(Stations[i].StationId).TotalSeconds ?? 0, 1);
        int onShift = 0, busy = 0;
        double utilisation = 0;
        foreach (var c in e.Delivery.Couriers(now))
        {
            onShift++;
            if (c.Orders.Count > 0) busy++;
            utilisation += c.UtilisationPercent;
        }
        var open = 0;
        foreach (var k in e.Kitchens) open += k.OpenOrders;
        return new OpsSample(now, waits, onShift, busy, onShift > 0 ? Math.Round(100.0 * busy / onShift, 1) : 0,
            onShift > 0 ? Math.Round(utilisation / onShift, 1) : 0, e.Delivery.WaitingOrders, open);
    });
}

/// <summary>Samples the kitchens and the fleet every <see cref="OpsMetrics.SampleEvery"/> while the operations page is open.</summary>
public sealed partial class OpsSampler(OpsMetrics metrics, EngineHost engine, ILogger<OpsSampler> log) : BackgroundService
{
    /// <summary>The clock of the rounds' timer: real time, or a test's that says when a round is due.</summary>
    internal TimeProvider Timers { get; init; } = TimeProvider.System;

    /// <summary>Called as each round starts, inside its error handling: where a test makes a round fail.</summary>
    internal Action? RoundStarting { get; init; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(OpsMetrics.SampleEvery, Timers);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!metrics.Watched || !engine.IsRunning) continue;
                try
                {
                    RoundStarting?.Invoke();
                    metrics.Add(await metrics.SampleAsync(engine));
                }
                catch (InvalidOperationException e)
                {
                    LogSkipped(e.Message);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // A failing sample must not end the service: an unhandled exception here stops the host.
                    // A cancellation ends it only when the service is stopping; one from within a round
                    // would otherwise reach the catch below and end sampling for good, without a word.
                    LogFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Operations sample skipped: {Reason}")]
    private partial void LogSkipped(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Operations sample failed")]
    private partial void LogFailed(Exception error);
}
