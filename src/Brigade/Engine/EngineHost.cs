using System.Threading.Channels;
using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Engine;

/// <summary>
/// Runs the pure <see cref="BrigadeEngine"/> in the server: one loop owns it, so decisions need no
/// locks and happen in a single order, which is the order of the log.
/// <para>
/// For each command the loop catches the engine up to the clock, runs the decision (which
/// applies its events at once), and hands the events to the store as a chained commit. It does not
/// wait for the disk: it goes on to the next command while the store group-commits. A caller's
/// task completes only when its events are durable. If a commit fails, the in-memory state is
/// ahead of the log; the loop then rebuilds the engine from the log (as at start-up) before it
/// takes the next command, and the store refuses every commit decided on top of the failed one.
/// </para>
/// </summary>
public sealed partial class EngineHost : IHostedService, IAsyncDisposable
{
    private readonly RestaurantCatalog _catalog;
    private readonly EngineOptions _options;
    private readonly IEventStore _store;
    private readonly ScaledTimeProvider _clock;
    private readonly ILogger<EngineHost> _log;
    private readonly List<IEngineObserver> _observers;
    private readonly Channel<Work> _inbox = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private BrigadeEngine _engine;
    private ITimer? _timer;
    private Task? _loop;
    private Task _lastCommit = Task.CompletedTask;
    private volatile bool _needsRecovery;
    private volatile bool _running;
    private DateTimeOffset _lastNow;
    private long _commands;

    public EngineHost(RestaurantCatalog catalog, EngineOptions options, IEventStore store, ScaledTimeProvider clock,
        IEnumerable<IEngineObserver> observers, ILogger<EngineHost> log)
    {
        _catalog = catalog;
        _options = options;
        _store = store;
        _clock = clock;
        _log = log;
        _observers = observers.ToList();
        _engine = new BrigadeEngine(catalog, options);
    }

    public bool IsRunning => _running && !_needsRecovery;
    public ScaledTimeProvider Clock => _clock;
    public long CommandsProcessed => Interlocked.Read(ref _commands);

    /// <summary>Recover from the log, then start the loop. The server listens only after this returns.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RecoverAsync(startup: true, cancellationToken);
        _timer = _clock.CreateTimer(_ => _inbox.Writer.TryWrite(Work.Tick), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _running = true;
        _loop = Task.Factory.StartNew(RunAsync, TaskCreationOptions.LongRunning).Unwrap();
        _inbox.Writer.TryWrite(Work.Tick);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        _inbox.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_loop is not null) await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try { await _lastCommit.WaitAsync(cancellationToken); } catch (Exception e) when (e is not OperationCanceledException) { }
        if (_timer is not null) await _timer.DisposeAsync();
    }

    /// <summary>
    /// Run a decision on the engine thread. The result is returned once the events it produced are
    /// durable. <paramref name="dedup"/> may attach a unique key to the commit (an idempotency key).
    /// </summary>
    public Task<EngineResult> SendAsync(Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult> decide,
        Func<EngineResult, DedupKey?>? dedup = null)
    {
        var work = new Work(decide, dedup);
        if (!_running || !_inbox.Writer.TryWrite(work))
            return Task.FromResult(new EngineResult(Outcome.Unavailable, "the engine is not running"));
        return work.Completion.Task;
    }

    /// <summary>Read engine state on the engine thread (kitchen displays, routing previews). Changes nothing.</summary>
    public async Task<T> QueryAsync<T>(Func<BrigadeEngine, DateTimeOffset, T> query)
    {
        T value = default!;
        var result = await SendAsync((engine, now, _) =>
        {
            value = query(engine, now);
            return EngineResult.Ok();
        });
        if (result.Outcome == Outcome.Unavailable) throw new InvalidOperationException(result.Message);
        return value;
    }

    private DateTimeOffset Now()
    {
        var now = _clock.GetUtcNow();
        if (now < _lastNow) now = _lastNow;
        _lastNow = now;
        return now;
    }

    private async Task RunAsync()
    {
        var reader = _inbox.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var work))
            {
                if (_needsRecovery)
                {
                    try
                    {
                        await RecoverAsync(startup: false, _stopping.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        work.Completion.TrySetResult(new EngineResult(Outcome.Unavailable, "the engine is stopping"));
                        return;
                    }
                    catch (Exception e)
                    {
                        LogRecoveryFailed(e);
                        work.Completion.TrySetResult(new EngineResult(Outcome.Unavailable, "the engine is recovering"));
                        await Task.Delay(TimeSpan.FromSeconds(1));
                        continue;
                    }
                }
                Process(work);
            }
            ArmTimer();
        }
    }

    private void Process(Work work)
    {
        var now = Now();
        var output = new List<IDomainEvent>();
        EngineResult result;
        try
        {
            if (_engine.NextDueAt <= now) _engine.Advance(now, output);
            result = work.Decide is null ? EngineResult.Ok() : work.Decide(_engine, now, output);
        }
        catch (Exception e)
        {
            // A bug mid-decision may leave the state half-changed: rebuild it from the log.
            LogDecisionFailed(e);
            _needsRecovery = true;
            work.Completion.TrySetException(e);
            return;
        }
        Interlocked.Increment(ref _commands);
        foreach (var o in _observers) o.Decided(_engine, output, now);
        if (output.Count == 0)
        {
            work.Completion.TrySetResult(result);
            return;
        }

        var commit = BuildCommit(output, work.Dedup?.Invoke(result));
        var task = _store.CommitAsync(commit);
        _lastCommit = task;
        task.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                work.Completion.TrySetResult(result);
                return;
            }
            var error = t.Exception?.GetBaseException() ?? new InvalidOperationException("commit cancelled");
            if (!_needsRecovery && error is not ChainBrokenException) LogCommitFailed(error);
            _needsRecovery = true;
            _inbox.Writer.TryWrite(Work.Tick);
            work.Completion.TrySetResult(new EngineResult(Outcome.Unavailable, "the event log refused the write; the engine is recovering"));
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>
    /// One commit per decision, events in the order they happened. Order streams carry their expected
    /// version (a new order's stream must not exist), so a second writer to an order is caught.
    /// </summary>
    private Commit BuildCommit(List<IDomainEvent> output, DedupKey? dedup)
    {
        var events = new EventToWrite[output.Count];
        Dictionary<string, long>? expected = null;
        Dictionary<string, int>? counts = null;
        for (var i = 0; i < output.Count; i++)
        {
            var e = output[i];
            events[i] = EventSerializer.ToWrite(e);
            if (e is IOrderEvent oe)
            {
                counts ??= new Dictionary<string, int>(StringComparer.Ordinal);
                counts[oe.OrderId] = counts.GetValueOrDefault(oe.OrderId) + 1;
            }
        }
        if (counts is not null)
        {
            expected = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (orderId, count) in counts)
            {
                var version = _engine.Orders.TryGetValue(orderId, out var order) ? order.Version - count : 0;
                expected[new StreamKey(StreamKind.Order, orderId).ToString()] = version == 0 ? ExpectedVersion.NoStream : version;
            }
        }
        return new Commit(events, expected, dedup, Chained: true);
    }

    private void ArmTimer()
    {
        if (_timer is null) return;
        var due = _engine.NextDueAt;
        if (due == DateTimeOffset.MaxValue) { _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); return; }
        var delay = due - _clock.GetUtcNow();
        // Timers on a scaled clock: never spin faster than every millisecond of real time.
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        _timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Rebuild the engine from the whole log: fold every event, in order. At start-up the observers
    /// (read models) are rebuilt too; after a failed commit they are already right, because they
    /// only ever saw durable events.
    /// </summary>
    private async Task RecoverAsync(bool startup, CancellationToken ct)
    {
        // Let every commit already handed to the store finish (the chained ones after a failure are refused).
        try { await _lastCommit; } catch (Exception e) when (e is not OperationCanceledException) { }
        var engine = new BrigadeEngine(_catalog, _options);
        long count = 0;
        var last = DateTimeOffset.MinValue;
        await foreach (var stored in _store.ReadAllAsync(0, ct))
        {
            var e = EventSerializer.Deserialize(stored);
            engine.Apply(e);
            if (startup) foreach (var o in _observers) o.Replayed(e);
            if (e.At > last) last = e.At;
            count++;
        }
        _clock.EnsureNotBefore(last);
        _lastNow = DateTimeOffset.MinValue;
        _engine = engine;
        _store.ResetChain();
        _needsRecovery = false;
        if (startup) foreach (var o in _observers) o.Recovered(engine);
        var open = 0;
        foreach (var o in engine.Orders.Values) if (!o.IsTerminal) open++;
        LogRecovered(count, open, startup ? "start-up" : "a failed commit");
    }

    /// <summary>Drop ended orders from memory (the log and the read models keep them).</summary>
    public Task<int> ForgetEndedOrdersAsync(TimeSpan olderThan) =>
        QueryAsync((engine, now) => engine.ForgetTerminalOrders(now - olderThan));

    public async ValueTask DisposeAsync()
    {
        if (_running) await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine recovered {Events} events from the log after {Reason}; {OpenOrders} orders open")]
    private partial void LogRecovered(long events, int openOrders, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "A commit to the event log failed; rebuilding the engine from the log")]
    private partial void LogCommitFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "A decision threw; rebuilding the engine from the log")]
    private partial void LogDecisionFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Recovery from the log failed; retrying")]
    private partial void LogRecoveryFailed(Exception error);

    private sealed class Work(Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult>? decide, Func<EngineResult, DedupKey?>? dedup)
    {
        public static readonly Work Tick = new(null, null);
        public Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult>? Decide { get; } = decide;
        public Func<EngineResult, DedupKey?>? Dedup { get; } = dedup;
        public TaskCompletionSource<EngineResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Something that follows the engine: fed every replayed event at start-up and every decision after.</summary>
public interface IEngineObserver
{
    void Replayed(IDomainEvent e) { }
    void Recovered(BrigadeEngine engine) { }
    void Decided(BrigadeEngine engine, IReadOnlyList<IDomainEvent> events, DateTimeOffset now) { }
}
