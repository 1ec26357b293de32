using System.Globalization;
using Brigade.Storage;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Brigade.Messaging;

/// <summary>Where the relay publishes and how it paces itself.</summary>
public sealed record RabbitMqRelayOptions(Uri Uri)
{
    /// <summary>The durable topic exchange events go to.</summary>
    public string Exchange { get; init; } = RabbitMqRelay.Exchange;

    /// <summary>Events published before waiting for the broker's confirms and moving the checkpoint.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>How often to look for events written by other processes when this one writes nothing.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between reconnection attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait for the broker to confirm a batch before the session is dropped and retried.</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The outbox relay: follows the event log from its checkpoint and publishes every event, in log
/// order, to the durable topic exchange <c>brigade.events</c> (routing key
/// <c>&lt;stream kind&gt;.&lt;event type&gt;</c>, e.g. <c>order.OrderPlaced</c>). Messages are persistent and
/// carry the position, stream and version as headers; the body is the event's JSON.
/// <para>
/// With publisher confirms, the checkpoint (in the store's <c>checkpoints</c>) moves only after the
/// broker has confirmed every message up to it. A crash or a lost connection means the events after
/// the checkpoint are published again: delivery is at least once, in log order, and consumers drop
/// what they have seen by position (<see cref="RabbitMqEventSubscriber"/> does). Reconnection backs
/// off exponentially (Polly), and starts again from the stored checkpoint.
/// </para>
/// </summary>
public sealed partial class RabbitMqRelay : BackgroundService
{
    public const string Exchange = "brigade.events";
    public const string CheckpointName = "rabbitmq-relay";

    private readonly IEventStore _store;
    private readonly IReadModelStore _checkpoints;
    private readonly RabbitMqRelayOptions _options;
    private readonly ILogger<RabbitMqRelay> _log;
    private readonly SemaphoreSlim _signal = new(0);
    private int _failures;
    private long _checkpoint = -1;
    private long _published;
    private int _sessions;

    public RabbitMqRelay(IEventStore store, IReadModelStore checkpoints, RabbitMqRelayOptions options, ILogger<RabbitMqRelay> log)
    {
        _store = store;
        _checkpoints = checkpoints;
        _options = options;
        _log = log;
        store.Subscribe(_ =>
        {
            if (_signal.CurrentCount == 0) _signal.Release();
        });
    }

    /// <summary>The last position confirmed by the broker and stored (-1 before the first session).</summary>
    public long Checkpoint => Interlocked.Read(ref _checkpoint);

    /// <summary>Messages published (and confirmed) by this instance, replays included.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Connections opened so far (more than one: the relay reconnected).</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary><c>order-42</c> → <c>order</c>.</summary>
    public static string StreamKind(string streamId)
    {
        var dash = streamId.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? streamId : streamId[..dash];
    }

    public static string RoutingKey(StoredEvent e) => StreamKind(e.StreamId) + "." + e.Type;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || !stoppingToken.IsCancellationRequested),
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(Backoff(Interlocked.Increment(ref _failures), _options.MaxBackoff)),
            OnRetry = args =>
            {
                // The broker being down or unreachable is expected (it restarts, it starts later than we do): say where and why, no stack trace.
                if (args.Outcome.Exception is { } e && IsConnectivity(e)) LogBrokerUnreachable(Endpoint(_options.Uri), Reason(e), args.RetryDelay.TotalMilliseconds);
                else LogSessionFailed(args.Outcome.Exception, args.RetryDelay.TotalMilliseconds);
                return default;
            },
        }).Build();
        try
        {
            await pipeline.ExecuteAsync(RunSessionAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Host, port and virtual host of the broker (never the credentials), as the log shows it.</summary>
    internal static string Endpoint(Uri uri)
    {
        var port = uri.Port > 0 ? uri.Port : uri.Scheme == "amqps" ? 5671 : 5672;
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return $"{uri.Host}:{port} (virtual host '{(vhost.Length == 0 ? "/" : vhost)}')";
    }

    internal static bool IsConnectivity(Exception e) => e is RabbitMQ.Client.Exceptions.BrokerUnreachableException
        or RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException
        or RabbitMQ.Client.Exceptions.ConnectFailureException or System.Net.Sockets.SocketException or IOException or TimeoutException;

    /// <summary>The innermost cause: "Connection refused", "ACCESS_REFUSED - Login was refused ...".</summary>
    internal static string Reason(Exception e)
    {
        while (true)
        {
            var inner = e is AggregateException { InnerExceptions.Count: > 0 } a ? a.InnerExceptions[0] : e.InnerException;
            if (inner is null) return e.Message;
            e = inner;
        }
    }

    /// <summary>100 ms, doubling per consecutive failure up to the cap, with ±20% jitter.</summary>
    internal static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var ms = Math.Min(100 * Math.Pow(2, Math.Min(failures - 1, 20)), max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    /// <summary>One connection's life: publish from the stored checkpoint until cancelled or something fails.</summary>
    private async ValueTask RunSessionAsync(CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            Uri = _options.Uri,
            AutomaticRecoveryEnabled = false, // a lost session is restarted from the stored checkpoint instead
            ClientProvidedName = $"brigade relay ({Environment.MachineName} pid {Environment.ProcessId})",
            RequestedHeartbeat = TimeSpan.FromSeconds(10),
        };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false), ct);
        await channel.ExchangeDeclareAsync(_options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        var confirms = new ConfirmTracker(channel);
        Interlocked.Increment(ref _sessions);

        var checkpoint = await _checkpoints.GetCheckpointAsync(CheckpointName, ct);
        Interlocked.Exchange(ref _checkpoint, checkpoint);
        LogConnected(checkpoint);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var count = 0;
            var last = checkpoint;
            await foreach (var e in _store.ReadAllAsync(checkpoint, ct))
            {
                confirms.Expect(await channel.GetNextPublishSequenceNumberAsync(ct));
                await channel.BasicPublishAsync(_options.Exchange, RoutingKey(e), mandatory: false, Properties(e), e.Data, ct);
                last = e.Position;
                if (++count >= _options.BatchSize) break;
            }
            if (count == 0)
            {
                await _signal.WaitAsync(_options.PollInterval, ct);
                continue;
            }
            await confirms.WaitAllAsync(_options.ConfirmTimeout, ct);
            await _checkpoints.SaveCheckpointAsync(CheckpointName, last, ct);
            checkpoint = last;
            Interlocked.Exchange(ref _checkpoint, last);
            Interlocked.Add(ref _published, count);
            Interlocked.Exchange(ref _failures, 0);
        }
    }

    private static BasicProperties Properties(StoredEvent e) => new()
    {
        Persistent = true,
        ContentType = "application/json",
        Type = e.Type,
        MessageId = e.Position.ToString(CultureInfo.InvariantCulture),
        Timestamp = new AmqpTimestamp(e.At.ToUnixTimeSeconds()),
        Headers = new Dictionary<string, object?>
        {
            [RelayHeaders.Position] = e.Position,
            [RelayHeaders.Stream] = e.StreamId,
            [RelayHeaders.Version] = e.Version,
            [RelayHeaders.At] = e.At.ToString("O", CultureInfo.InvariantCulture),
        },
    };

    public override void Dispose()
    {
        // _signal is not disposed: the log, disposed after this relay, may still tell it of a batch, and
        // releasing a disposed semaphore throws. It holds no handle: nothing waits on its wait handle.
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event relay connected to RabbitMQ; publishing after position {Checkpoint}")]
    private partial void LogConnected(long checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event relay cannot reach RabbitMQ at {Endpoint}: {Reason}; reconnecting in {DelayMs:F0} ms from the stored checkpoint")]
    private partial void LogBrokerUnreachable(string endpoint, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event relay session failed; reconnecting in {DelayMs:F0} ms from the stored checkpoint")]
    private partial void LogSessionFailed(Exception? error, double delayMs);

    /// <summary>
    /// Tracks the broker's confirms of the messages published on one channel (by publish sequence
    /// number), so a batch can be published back to back and confirmed as a whole.
    /// </summary>
    private sealed class ConfirmTracker
    {
        private readonly Lock _lock = new();
        private readonly SortedSet<ulong> _outstanding = [];
        private TaskCompletionSource? _drained;
        private Exception? _failed;

        public ConfirmTracker(IChannel channel)
        {
            channel.BasicAcksAsync += (_, a) => Settle(a.DeliveryTag, a.Multiple, null);
            channel.BasicNacksAsync += (_, a) => Settle(a.DeliveryTag, a.Multiple, new InvalidOperationException($"The broker refused message {a.DeliveryTag} (nack)."));
            channel.ChannelShutdownAsync += (_, a) => Fail(new InvalidOperationException($"The channel closed: {a.ReplyCode} {a.ReplyText}"));
        }

        public void Expect(ulong sequence)
        {
            lock (_lock) _outstanding.Add(sequence);
        }

        private Task Settle(ulong tag, bool multiple, Exception? nack)
        {
            TaskCompletionSource? done = null;
            lock (_lock)
            {
                if (multiple) _outstanding.RemoveWhere(s => s <= tag);
                else _outstanding.Remove(tag);
                if (nack is not null) _failed ??= nack;
                if (_drained is not null && (_outstanding.Count == 0 || _failed is not null))
                {
                    done = _drained;
                    _drained = null;
                }
            }
            if (done is not null)
            {
                if (_failed is not null) done.TrySetException(_failed);
                else done.TrySetResult();
            }
            return Task.CompletedTask;
        }

        private Task Fail(Exception e)
        {
            TaskCompletionSource? done;
            lock (_lock)
            {
                _failed ??= e;
                done = _drained;
                _drained = null;
            }
            done?.TrySetException(e);
            return Task.CompletedTask;
        }

        public async Task WaitAllAsync(TimeSpan timeout, CancellationToken ct)
        {
            Task wait;
            lock (_lock)
            {
                if (_failed is not null) throw _failed;
                if (_outstanding.Count == 0) return;
                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _drained.Task;
            }
            await wait.WaitAsync(timeout, ct);
        }
    }
}

/// <summary>Header names of relayed events.</summary>
public static class RelayHeaders
{
    public const string Position = "position";
    public const string Stream = "stream";
    public const string Version = "version";
    public const string At = "at";
}
