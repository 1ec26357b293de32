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
    private readonly Observability.DispatchProbe? _probe;
    // A blocking queue, not a channel: adding wakes the engine thread directly, with no thread-pool hop.
    private readonly System.Collections.Concurrent.BlockingCollection<Work> _inbox = new(new System.Collections.Concurrent.ConcurrentQueue<Work>());
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
        IEnumerable<IEngineObserver> observers, ILogger<EngineHost> log, Observability.DispatchProbe? probe = null)
    {
        _probe = probe;
        _catalog = catalog;
        _options = options;
        _store = store;
        _clock = clock;
        _log = log;
        _observers = observers.ToList();
        _engine = NewEngine();
    }

    /// <summary>A fresh engine, at start-up and for each rebuild from the log.</summary>
    private BrigadeEngine NewEngine()
    {
        var engine = new BrigadeEngine(_catalog, _options);
        engine.Delivery.Probe = _probe;
        return engine;
    }

    public bool IsRunning => _running && !_needsRecovery;
    public ScaledTimeProvider Clock => _clock;
    public long CommandsProcessed => Interlocked.Read(ref _commands);

    /// <summary>Recover from the log, then start the loop. The server listens only after this returns.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RecoverAsync(startup: true, cancellationToken);
        _timer = _clock.CreateTimer(_ => Post(Work.Tick), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _running = true;
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Post(Work.Tick);
    }

    private bool Post(Work work)
    {
        try
        {
            return _inbox.TryAdd(work);
        }
        catch (InvalidOperationException)
        {
            return false; // stopping
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        _inbox.CompleteAdding();
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
        => Send(new Work(decide, dedup));

    private Task<EngineResult> Send(Work work)
    {
        if (!_running || !Post(work))
            return Task.FromResult(new EngineResult(Outcome.Unavailable, "the engine is not running"));
        return work.Completion.Task;
    }

    /// <summary>Read engine state on the engine thread (kitchen displays, routing previews). Changes nothing.</summary>
    public async Task<T> QueryAsync<T>(Func<BrigadeEngine, DateTimeOffset, T> query)
    {
        T value = default!;
        var result = await Send(new Work((engine, now, _) =>
        {
            value = query(engine, now);
            return EngineResult.Ok();
        }, null, isQuery: true));
        if (result.Outcome == Outcome.Unavailable) throw new EngineUnavailableException(result.Message ?? "the engine is not available");
        return value;
    }

    private DateTimeOffset Now()
    {
        var now = _clock.GetUtcNow();
        if (now < _lastNow) now = _lastNow;
        _lastNow = now;
        return now;
    }

    /// <summary>
    /// The engine loop, on its own thread: the engine is single-threaded by design, and the loop
    /// never competes with request handling for thread-pool threads.
    /// </summary>
    private void Run()
    {
        Thread.CurrentThread.Name = "brigade-engine"; // also the OS thread's name
        while (_inbox.TryTake(out var work, Timeout.Infinite))
        {
            do
            {
                if (_needsRecovery && !TryRecover(work)) continue;
                Process(work);
            }
            while (_inbox.TryTake(out work));
            ArmTimer();
        }
    }

    private bool TryRecover(Work work)
    {
        try
        {
            RecoverAsync(startup: false, _stopping.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException)
        {
            work.Completion.TrySetResult(new EngineResult(Outcome.Unavailable, "the engine is stopping"));
            return false;
        }
        catch (Exception e)
        {
            LogRecoveryFailed(e);
            work.Completion.TrySetResult(new EngineResult(Outcome.Unavailable, "the engine is recovering"));
            Thread.Sleep(TimeSpan.FromSeconds(1));
            return false;
        }
    }

    private void Process(Work work)
    {
        var now = Now();
        var output = new List<IDomainEvent>();
        EngineResult result;
        int due;
        try
        {
            if (_engine.NextDueAt <= now) _engine.Advance(now, output);
            due = output.Count;
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
            // Read your writes: what this answer saw includes earlier decisions still being written,
            // so it waits for them (and the read models they feed) before it is given. If that write
            // fails, the answer rests on a state the log never had (a second cancel would say the
            // order is cancelled already): it is withdrawn like the failed commit's own answer.
            var pending = _lastCommit;
            if (pending.IsCompleted) AnswerAfter(pending, work, result);
            else pending.ContinueWith(t => AnswerAfter(t, work, result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        Task<CommitResult> task;
        try
        {
            // The key marks the decision's own change as done. A decision that changed nothing (a repeat
            // of one already applied) has no change to mark: its key must not ride on, and refuse, the
            // commit of the timers that happened to fall due with it.
            task = _store.CommitAsync(BuildCommit(output, output.Count > due ? work.Dedup?.Invoke(result) : null));
        }
        catch (Exception e)
        {
            // Events that cannot be written (an unknown type, a store that takes no more): the state
            // is ahead of the log, as after a decision that threw. Let out, this would end the loop
            // and leave this command and every later one waiting for ever.
            LogDecisionFailed(e);
            _needsRecovery = true;
            work.Completion.TrySetException(e);
            return;
        }
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
            Post(Work.Tick);
            work.Completion.TrySetResult(new EngineResult(Outcome.Unavailable, "the event log refused the write; the engine is recovering"));
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>A command's answer once the commit it waited for settled. A query's view is given either way.</summary>
    private static void AnswerAfter(Task pending, Work work, EngineResult result) =>
        work.Completion.TrySetResult(pending.IsCompletedSuccessfully || work.IsQuery
            ? result
            : new EngineResult(Outcome.Unavailable, "the event log refused an earlier write; the engine is recovering"));

    /// <summary>
    /// One commit per decision, events in the order they happened. Order streams carry their expected
    /// version (a new order's stream must not exist), so a second writer to an order is caught.
    /// </summary>
    private Commit BuildCommit(List<IDomainEvent> output, DedupKey? dedup)
    {
        // Per order in this commit: how many events, and the index of its last one.
        Dictionary<string, (int Count, int Last)>? orders = null;
        for (var i = 0; i < output.Count; i++)
        {
            if (output[i] is not IOrderEvent oe) continue;
            orders ??= new Dictionary<string, (int, int)>(StringComparer.Ordinal);
            orders[oe.OrderId] = (orders.GetValueOrDefault(oe.OrderId).Count + 1, i);
        }

        var events = new EventToWrite[output.Count];
        for (var i = 0; i < output.Count; i++)
        {
            // The last event of an order carries the engine's (immutable) order as it stands after
            // this commit: the read side adopts that instance rather than folding a copy of its own.
            object? state = null;
            if (output[i] is IOrderEvent oe && orders![oe.OrderId].Last == i) state = _engine.Orders.GetValueOrDefault(oe.OrderId);
            events[i] = EventSerializer.ToWrite(output[i], state);
        }

        Dictionary<string, long>? expected = null;
        if (orders is not null)
        {
            expected = new Dictionary<string, long>(orders.Count, StringComparer.Ordinal);
            foreach (var (orderId, (count, _)) in orders)
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
        // Answers without events wait for the last commit; the failed one must not withdraw theirs once rebuilt.
        _lastCommit = Task.CompletedTask;
        var engine = NewEngine();
        long count = 0, lastPosition = 0;
        var last = DateTimeOffset.MinValue;
        await foreach (var stored in _store.ReadAllAsync(0, ct))
        {
            var e = EventSerializer.Deserialize(stored);
            engine.Apply(e);
            if (startup) foreach (var o in _observers) o.Replayed(e);
            if (e.At > last) last = e.At;
            lastPosition = stored.Position;
            count++;
        }
        _clock.EnsureNotBefore(last);
        _lastNow = DateTimeOffset.MinValue;
        _engine = engine;
        _store.ResetChain();
        _needsRecovery = false;
        if (startup) foreach (var o in _observers) o.Recovered(engine, lastPosition);
        else foreach (var o in _observers) o.Rebuilt(engine, lastPosition);
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
        _inbox.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine recovered {Events} events from the log after {Reason}; {OpenOrders} orders open")]
    private partial void LogRecovered(long events, int openOrders, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "A commit to the event log failed; rebuilding the engine from the log")]
    private partial void LogCommitFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "A decision threw; rebuilding the engine from the log")]
    private partial void LogDecisionFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Recovery from the log failed; retrying")]
    private partial void LogRecoveryFailed(Exception error);

    private sealed class Work(Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult>? decide, Func<EngineResult, DedupKey?>? dedup,
        bool isQuery = false)
    {
        public static readonly Work Tick = new(null, null);
        public Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult>? Decide { get; } = decide;
        public Func<EngineResult, DedupKey?>? Dedup { get; } = dedup;
        public bool IsQuery { get; } = isQuery;
        public TaskCompletionSource<EngineResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// The engine cannot answer a query now: it is stopping, or rebuilding from the log after a failed
/// write. A request that meets it is answered 503 with Retry-After; a stream ends, and its client reconnects.
/// </summary>
public sealed class EngineUnavailableException(string message) : InvalidOperationException(message);

/// <summary>Something that follows the engine: fed every replayed event at start-up and every decision after.</summary>
public interface IEngineObserver
{
    void Replayed(IDomainEvent e) { }

    /// <summary>After the replay at start-up; <paramref name="lastPosition"/> is the last log position it read.</summary>
    void Recovered(BrigadeEngine engine, long lastPosition) { }

    /// <summary>
    /// After a rebuild from the log that was not the start-up (a commit failed). The log may hold
    /// more than any listener heard: a commit can reach the disk and still be answered as failed
    /// (a connection lost during COMMIT). The rebuilt engine has it; followers catch up from it.
    /// <paramref name="lastPosition"/> is the last log position the rebuild read.
    /// </summary>
    void Rebuilt(BrigadeEngine engine, long lastPosition) { }

    void Decided(BrigadeEngine engine, IReadOnlyList<IDomainEvent> events, DateTimeOffset now) { }
}
