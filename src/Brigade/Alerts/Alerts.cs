using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Brigade.Auth;
using Brigade.Engine;
using Brigade.Hosting;
using Brigade.Http;
using Brigade.Observability;
using Brigade.Orders;
using Brigade.Storage;
using Polly;
using Polly.Retry;

namespace Brigade.Alerts;

public sealed record AlertView(string AlertId, string Rule, string Kind, string Subject, string State, string Message, double Value, double Threshold,
    DateTimeOffset FiredAt, DateTimeOffset? ResolvedAt);

/// <param name="Recent">A page of alerts as fired, newest last.</param>
/// <param name="NextBefore">The <c>before</c> that reads the page of alerts fired earlier than these; null when there are none.</param>
public sealed record AlertsResponse(IReadOnlyList<AlertView> Active, IReadOnlyList<AlertView> Recent, long? NextBefore);

/// <summary>Alerts as fired, newest last, and where the page before them starts (null: none fired earlier).</summary>
public sealed record AlertHistory(IReadOnlyList<AlertView> Alerts, long? NextBefore);

/// <summary>What an alert webhook receives.</summary>
public sealed record AlertNotification(string EventId, string State, string AlertId, string Rule, string Kind, string Subject, string Message, double Value, double Threshold, DateTimeOffset At);

public static class AlertKinds
{
    public const string FailedOrders = "failedOrders";
    public const string StationWaitP90 = "stationWaitP90";
    public const string OutletSilent = "outletSilent";
    public const string CourierPositionsStale = "courierPositionsStale";
    public const string EventLogAppendP99 = "eventLogAppendP99";
    public static readonly string[] All = [FailedOrders, StationWaitP90, OutletSilent, CourierPositionsStale, EventLogAppendP99];
}

/// <summary>
/// When orders failed, as far back as the longest <c>failedOrders</c> window looks: from the log at
/// start-up (so a restart forgets none of a window's failures, and an alert they hold up stays
/// firing), then from each durable commit.
/// </summary>
public sealed class RecentFailures(BrigadeOptions options) : IEngineObserver
{
    private readonly ConcurrentQueue<DateTimeOffset> _failures = new();

    /// <summary>How far back the longest failedOrders window looks; zero when no rule counts failures.</summary>
    public TimeSpan Kept { get; } = options.Alerts.Rules.Where(r => r.Kind == AlertKinds.FailedOrders)
        .Select(AlertMonitor.FailureWindow).DefaultIfEmpty(TimeSpan.Zero).Max();

    public void Replayed(IDomainEvent e)
    {
        if (e is not OrderFailed f || Kept == TimeSpan.Zero) return;
        _failures.Enqueue(f.At);
        // The log replays in order: a failure older than the window before this one is older than it now,
        // so a long log leaves no more than a window's worth of failures behind.
        Forget(f.At);
    }

    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        if (Kept == TimeSpan.Zero) return; // no rule counts failures: keep none
        foreach (var ce in batch)
            if (ce.Event.Source is OrderFailed f) _failures.Enqueue(f.At);
    }

    /// <summary>Drop the failures that no window reaching back from <paramref name="now"/> counts.</summary>
    public void Forget(DateTimeOffset now)
    {
        while (_failures.TryPeek(out var t) && t < now - Kept) _failures.TryDequeue(out _);
    }

    public int CountSince(DateTimeOffset since) => _failures.Count(t => t >= since);
}

/// <summary>
/// Evaluates the configured rules continuously against the engine's picture and the log's latency.
/// A condition that becomes true fires an alert, one that stops being true resolves it; both are
/// events in the log (stream <c>alerts-{rule}</c>), so the state survives restarts, and both are
/// delivered to the configured webhooks.
/// </summary>
public sealed partial class AlertMonitor(BrigadeOptions options, OperationsSampler sampler, StoreMetrics storeMetrics, EngineHost engine, IEventStore store,
    AlertNotifier notifier, RecentFailures failures, ILogger<AlertMonitor> log) : BackgroundService
{
    private readonly Dictionary<(string Rule, string Subject), AlertView> _active = [];
    private readonly SemaphoreSlim _evaluating = new(1, 1);
    private bool _loaded;

    internal static TimeSpan FailureWindow(AlertRuleOptions rule) => TimeSpan.FromMinutes(rule.WindowMinutes > 0 ? rule.WindowMinutes : 5);

    public IReadOnlyList<AlertView> Active
    {
        get { lock (_active) return _active.Values.OrderBy(a => a.FiredAt).ToList(); }
    }

    public void OnCommitted(IReadOnlyList<CommittedEvent> batch) => failures.OnCommitted(batch);

    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Done once the round at start-up has run (or failed, or the server stopped first).</summary>
    public Task FirstRound => _firstRound.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (options.Alerts.Rules.Count == 0)
            {
                // No rules: one round resolves what rules configured before may have left firing.
                try { await EvaluateAsync(stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException) { LogEvaluationFailed(e); }
                return;
            }
            var every = TimeSpan.FromSeconds(Math.Max(0.05, options.Alerts.EvaluateEverySeconds));
            using var timer = new PeriodicTimer(every);
            do
            {
                try { await EvaluateAsync(stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException) { LogEvaluationFailed(e); }
                _firstRound.TrySetResult();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _firstRound.TrySetResult();
        }
    }

    /// <summary>One round: fire what became true, resolve what stopped being true. Returns the events written.</summary>
    public async Task<IReadOnlyList<IDomainEvent>> EvaluateAsync(CancellationToken ct = default)
    {
        await _evaluating.WaitAsync(ct);
        try
        {
            if (!_loaded) await LoadAsync(ct);
            var snapshot = await sampler.RefreshAsync();
            if (snapshot.At == DateTimeOffset.MinValue) return [];
            var now = snapshot.At;
            failures.Forget(now);

            var events = new List<IDomainEvent>();
            foreach (var rule in options.Alerts.Rules)
            {
                var name = rule.EffectiveName;
                var holding = Conditions(rule, snapshot);
                lock (_active)
                {
                    foreach (var (subject, (value, message)) in holding)
                        if (!_active.ContainsKey((name, subject)))
                            events.Add(new AlertFired("alert-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), name, rule.Kind!, subject, message, value, rule.Threshold, now));
                    foreach (var ((r, subject), alert) in _active)
                        if (r == name && !holding.ContainsKey(subject))
                            events.Add(new AlertResolved(alert.AlertId, name, subject, $"{alert.Message}: no longer the case", now));
                }
            }
            // An alert of a rule no longer configured (fired before a restart that dropped or renamed it) would otherwise fire forever.
            lock (_active)
            {
                foreach (var ((r, subject), alert) in _active)
                    if (!options.Alerts.Rules.Exists(rule => rule.EffectiveName == r))
                        events.Add(new AlertResolved(alert.AlertId, r, subject, $"{alert.Message}: its rule is no longer configured", now));
            }
            if (events.Count == 0) return events;
            var result = await engine.SendAsync((_, _, output) =>
            {
                output.AddRange(events);
                return EngineResult.Ok();
            });
            if (!result.IsOk)
            {
                // A write answered as failed may still have reached the disk: the next round reads what is firing from the log again.
                _loaded = false;
                return [];
            }
            foreach (var e in events)
            {
                Apply(e);
                notifier.Enqueue(Notification(e));
            }
            return events;
        }
        finally
        {
            _evaluating.Release();
        }
    }

    private Dictionary<string, (double Value, string Message)> Conditions(AlertRuleOptions rule, OperationsSnapshot s)
    {
        var holding = new Dictionary<string, (double, string)>(StringComparer.Ordinal);
        switch (rule.Kind)
        {
            case AlertKinds.FailedOrders:
                var window = FailureWindow(rule);
                var since = s.At - window;
                var failed = failures.CountSince(since);
                if (failed > rule.Threshold) holding["orders"] = (failed, $"{failed} orders failed in the last {window.TotalMinutes} minutes (more than {rule.Threshold})");
                break;
            case AlertKinds.StationWaitP90:
                var factor = rule.Threshold > 0 ? rule.Threshold : 1;
                foreach (var st in s.Stations)
                    if (st.Queued > 0 && st.TargetWaitSeconds > 0 && st.WaitP90Seconds > st.TargetWaitSeconds * factor)
                        holding[$"{st.OutletId}/{st.StationId}"] = (st.WaitP90Seconds, $"station {st.StationId} at {st.OutletId}: p90 wait {st.WaitP90Seconds:0} s is over its target {st.TargetWaitSeconds:0} s");
                break;
            case AlertKinds.OutletSilent:
                foreach (var o in s.Outlets)
                    if (o.Silent) holding[o.OutletId] = (1, $"outlet {o.OutletId} is silent (no heartbeat)");
                break;
            case AlertKinds.CourierPositionsStale:
                var stale = s.CourierPositions.Count(p => (s.At - p.PositionAt).TotalSeconds > rule.Threshold);
                if (stale > 0) holding["fleet"] = (stale, $"{stale} couriers on shift have sent no position for {rule.Threshold} s");
                break;
            case AlertKinds.EventLogAppendP99:
                var p99 = storeMetrics.Recent.Quantile(0.99);
                if (p99 > rule.Threshold) holding["eventlog"] = (p99, $"event-log append p99 is {p99 * 1000:0.0} ms (over {rule.Threshold * 1000:0.0} ms)");
                break;
        }
        return holding;
    }

    private void Apply(IDomainEvent e)
    {
        lock (_active)
        {
            switch (e)
            {
                case AlertFired f:
                    _active[(f.Rule, f.Subject)] = new AlertView(f.AlertId, f.Rule, f.Kind, f.Subject, "firing", f.Message, f.Value, f.Threshold, f.At, null);
                    break;
                case AlertResolved r:
                    _active.Remove((r.Rule, r.Subject));
                    break;
            }
        }
    }

    /// <summary>
    /// Alerts still firing when the server last stopped are still firing. Every alert event is folded,
    /// however many there are: an alert that fired long ago and has not resolved is as much firing as
    /// one that fired a moment ago. Each (rule, subject) lives in one stream, read in order.
    /// </summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        lock (_active) _active.Clear();
        await foreach (var stored in store.ReadStreamsByPrefixAsync(StreamKey.Prefix(StreamKind.Alerts), ct))
            Apply(EventSerializer.Deserialize(stored));
        _loaded = true;
    }

    private static AlertNotification Notification(IDomainEvent e) => e switch
    {
        AlertFired f => new AlertNotification(f.AlertId + "-fired", "firing", f.AlertId, f.Rule, f.Kind, f.Subject, f.Message, f.Value, f.Threshold, f.At),
        AlertResolved r => new AlertNotification(r.AlertId + "-resolved", "resolved", r.AlertId, r.Rule, "", r.Subject, r.Message, 0, 0, r.At),
        _ => throw new ArgumentException("not an alert event", nameof(e)),
    };

    /// <summary>
    /// The <paramref name="limit"/> newest alerts fired at log positions below <paramref name="before"/>,
    /// newest last, each resolved if its resolution is in the log. The log is read back from its end
    /// (an alert fired before the page may have resolved after it), so a page costs the alert events
    /// newer than it, and holds the resolutions of the alerts firing at the point reached, no more.
    /// </summary>
    public static async Task<AlertHistory> HistoryAsync(IEventStore store, int limit, long before, CancellationToken ct)
    {
        var prefix = StreamKey.Prefix(StreamKind.Alerts);
        var resolved = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal); // resolutions whose alert is further back
        var page = new List<(long Position, AlertView Alert)>(limit + 1); // newest first; one more than asked tells whether older ones exist
        var below = long.MaxValue;
        var chunk = Math.Clamp(2 * limit, 256, HistoryChunkMax);
        while (page.Count <= limit)
        {
            var events = await store.ReadByStreamPrefixBeforeAsync(prefix, below, chunk, ct);
            if (events.Count == 0) break;
            for (var i = events.Count - 1; i >= 0 && page.Count <= limit; i--)
            {
                switch (EventSerializer.Deserialize(events[i]))
                {
                    case AlertResolved r:
                        resolved[r.AlertId] = r.At;
                        break;
                    case AlertFired f:
                        DateTimeOffset? resolvedAt = resolved.Remove(f.AlertId, out var at) ? at : null;
                        if (events[i].Position < before)
                            page.Add((events[i].Position, new AlertView(f.AlertId, f.Rule, f.Kind, f.Subject, resolvedAt is null ? "firing" : "resolved", f.Message, f.Value, f.Threshold, f.At, resolvedAt)));
                        break;
                }
            }
            below = events[0].Position;
            chunk = Math.Min(chunk * 2, HistoryChunkMax);
        }
        var older = page.Count > limit;
        if (older) page.RemoveAt(limit);
        page.Reverse();
        return new AlertHistory(page.ConvertAll(p => p.Alert), older ? page[0].Position : null);
    }

    private const int HistoryChunkMax = 10_000;

    public override void Dispose()
    {
        _evaluating.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Evaluating the alert rules failed")]
    private partial void LogEvaluationFailed(Exception error);
}

/// <summary>
/// Delivers alert notifications to every configured webhook: JSON, signed like the payment webhooks
/// (<c>Brigade-Signature</c>), with <c>Brigade-Event-Id</c> for the receiver's deduplication, and
/// retried with exponential backoff when the receiver fails or cannot be reached.
/// </summary>
public sealed partial class AlertNotifier : BackgroundService
{
    private readonly Channel<AlertNotification> _queue = Channel.CreateBounded<AlertNotification>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly BrigadeOptions _options;
    private readonly byte[] _secret;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;
    private readonly ILogger<AlertNotifier> _log;

    public AlertNotifier(BrigadeOptions options, ILogger<AlertNotifier> log)
    {
        _options = options;
        _log = log;
        _secret = string.IsNullOrWhiteSpace(options.Alerts.WebhookSecret)
            ? SigningKey.LoadOrCreate(options.DataDir, "alerts-webhook.key")
            : SigningKey.FromConfiguration(options.Alerts.WebhookSecret);
        _retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>()
                    .HandleResult(r => !r.IsSuccessStatusCode),
                MaxRetryAttempts = 6,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(250),
                UseJitter = true,
            })
            .Build();
    }

    public byte[] Secret => _secret;

    public void Enqueue(AlertNotification n)
    {
        if (_options.Alerts.Webhooks.Count > 0) _queue.Writer.TryWrite(n);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var n in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(n, ApiJsonContext.Default.AlertNotification);
                foreach (var url in _options.Alerts.Webhooks)
                {
                    try
                    {
                        using var response = await _retry.ExecuteAsync(async ct =>
                        {
                            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(_secret, DateTimeOffset.UtcNow, body));
                            request.Headers.Add("Brigade-Event-Id", n.EventId);
                            return await _http.SendAsync(request, ct);
                        }, stoppingToken);
                        if (!response.IsSuccessStatusCode) LogGaveUp(url, n.EventId, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
                    {
                        LogGaveUp(url, n.EventId, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {EventId} could not be delivered to {Url}: {Reason}")]
    private partial void LogGaveUp(string url, string eventId, string reason);
}
