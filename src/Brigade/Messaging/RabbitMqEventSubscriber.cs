using System.Globalization;
using System.Text;
using Brigade.Storage;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Brigade.Messaging;

/// <summary>An event as relayed through RabbitMQ: its place in the log and the domain event itself.</summary>
public sealed record RelayedEvent(long Position, string StreamId, long Version, string Type, DateTimeOffset At, IDomainEvent Event, byte[] Data);

/// <summary>What to consume and from where.</summary>
public sealed record RabbitMqSubscriberOptions(Uri Uri)
{
    /// <summary>The exchange the relay publishes to.</summary>
    public string Exchange { get; init; } = RabbitMqRelay.Exchange;

    /// <summary>
    /// A durable queue of this name keeps events while the subscriber is away (a broker restart, a
    /// redeploy). Null: a private queue that lives as long as the connection; the subscriber then
    /// starts from the store and sees only what is published while it runs.
    /// </summary>
    public string? Queue { get; init; }

    /// <summary>Routing-key patterns to bind (<c>order.*</c>, <c>kitchen.TaskStarted</c>); all events by default.</summary>
    public IReadOnlyList<string> Bindings { get; init; } = ["#"];

    /// <summary>The last position already handled (from the subscriber's own checkpoint): anything up to it is skipped.</summary>
    public long AfterPosition { get; init; }

    /// <summary>Unacknowledged deliveries in flight.</summary>
    public ushort Prefetch { get; init; } = 256;

    /// <summary>How soon to reconnect after losing the broker.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Consumes relayed events from a queue bound to <c>brigade.events</c> and hands them, deserialized,
/// to a callback one at a time in position order, dropping any position it has already handled
/// (the relay delivers at least once). A failing callback is retried with backoff until it
/// succeeds, so no event is skipped and the order holds. The connection recovers by itself after
/// a broker restart; a durable <see cref="RabbitMqSubscriberOptions.Queue"/> keeps what was published
/// meanwhile. The building block for read-only API nodes that follow the engine's log.
/// </summary>
public sealed partial class RabbitMqEventSubscriber : IAsyncDisposable
{
    private readonly RabbitMqSubscriberOptions _options;
    private readonly Func<RelayedEvent, CancellationToken, Task> _handler;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ResiliencePipeline _retry;
    private IConnection? _connection;
    private IChannel? _channel;
    private long _last;
    private long _duplicates;
    private int _recoveries;

    public RabbitMqEventSubscriber(RabbitMqSubscriberOptions options, Func<RelayedEvent, CancellationToken, Task> handler, ILogger<RabbitMqEventSubscriber>? log = null)
    {
        _options = options;
        _handler = handler;
        _log = (ILogger?)log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _last = options.AfterPosition;
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            // A cancellation the subscriber did not ask for is a failure like any other: a callback that
            // calls out reports a timeout as TaskCanceledException (HttpClient does). Only stopping ends the retries.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || !_stopping.IsCancellationRequested),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                LogHandlerFailed(args.Outcome.Exception, args.AttemptNumber + 1);
                return default;
            },
        }).Build();
    }

    /// <summary>The last position handed to the callback.</summary>
    public long LastPosition => Interlocked.Read(ref _last);

    /// <summary>Deliveries dropped because their position was already handled.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Times the connection was lost and recovered.</summary>
    public int Recoveries => Volatile.Read(ref _recoveries);

    /// <summary>The queue consumed (the broker's name for a private one).</summary>
    public string? QueueName { get; private set; }

    /// <summary>Connect (retrying with backoff until the broker answers), declare and bind the queue, start consuming.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        var connect = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                // Down, not started yet, refusing the login: say where and why on every attempt, as the
                // relay does, rather than wait in silence (never the password, no stack trace).
                if (args.Outcome.Exception is { } e && RabbitMqRelay.IsConnectivity(e))
                    LogBrokerUnreachable(RabbitMqRelay.Endpoint(_options.Uri), RabbitMqRelay.Reason(e), args.RetryDelay.TotalMilliseconds);
                else LogConnectFailed(args.Outcome.Exception, args.RetryDelay.TotalMilliseconds);
                return default;
            },
        }).Build();
        await connect.ExecuteAsync(async token =>
        {
            var factory = new ConnectionFactory
            {
                Uri = _options.Uri,
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = _options.RecoveryInterval,
                ConsumerDispatchConcurrency = 1, // one delivery at a time: the order holds
                ClientProvidedName = $"brigade subscriber ({Environment.MachineName} pid {Environment.ProcessId})",
                RequestedHeartbeat = TimeSpan.FromSeconds(10),
            };
            _connection = await factory.CreateConnectionAsync(token);
            _connection.RecoverySucceededAsync += (_, _) =>
            {
                Interlocked.Increment(ref _recoveries);
                LogRecovered();
                return Task.CompletedTask;
            };
        }, ct);

        _channel = await _connection!.CreateChannelAsync(cancellationToken: ct);
        await _channel.ExchangeDeclareAsync(_options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        var declared = _options.Queue is { } name
            ? await _channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct)
            : await _channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct);
        QueueName = declared.QueueName;
        foreach (var binding in _options.Bindings)
            await _channel.QueueBindAsync(declared.QueueName, _options.Exchange, binding, cancellationToken: ct);
        await _channel.BasicQosAsync(0, _options.Prefetch, global: false, ct);

        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        await _channel.BasicConsumeAsync(declared.QueueName, autoAck: false, consumer, ct);
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        var headers = delivery.BasicProperties.Headers;
        if (headers is null || !headers.TryGetValue(RelayHeaders.Position, out var p) || p is not long position)
        {
            LogNotAnEvent(delivery.RoutingKey);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            return;
        }
        if (position <= _last)
        {
            Interlocked.Increment(ref _duplicates);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            return;
        }

        var type = delivery.BasicProperties.Type ?? "";
        var data = delivery.Body.ToArray();
        IDomainEvent domainEvent;
        try
        {
            domainEvent = EventSerializer.Deserialize(type, data);
        }
        catch (Exception e) when (e is InvalidOperationException or System.Text.Json.JsonException)
        {
            // An event this build does not know (a newer relay): skip it rather than stall the queue.
            LogUnknownEvent(e, position, type);
            Interlocked.Exchange(ref _last, position);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            return;
        }
        var relayed = new RelayedEvent(position, Text(headers, RelayHeaders.Stream), headers.TryGetValue(RelayHeaders.Version, out var v) && v is long version ? version : 0,
            type, Time(headers), domainEvent, data);
        try
        {
            await _retry.ExecuteAsync(async token => await _handler(relayed, token), _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return; // stopping: not acknowledged, so it is delivered again next time
        }
        Interlocked.Exchange(ref _last, position);
        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    private static string Text(IDictionary<string, object?> headers, string name) => headers.TryGetValue(name, out var value) switch
    {
        true when value is byte[] bytes => Encoding.UTF8.GetString(bytes),
        true when value is string s => s,
        _ => "",
    };

    private static DateTimeOffset Time(IDictionary<string, object?> headers) =>
        DateTimeOffset.TryParse(Text(headers, RelayHeaders.At), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : default;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_channel is not null)
        {
            try { await _channel.CloseAsync(); } catch (Exception e) when (e is not OutOfMemoryException) { }
            _channel.Dispose();
        }
        if (_connection is not null)
        {
            try { await _connection.CloseAsync(); } catch (Exception e) when (e is not OutOfMemoryException) { }
            _connection.Dispose();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling a relayed event failed (attempt {Attempt}); retrying")]
    private partial void LogHandlerFailed(Exception? error, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event subscriber cannot reach RabbitMQ at {Endpoint}: {Reason}; trying again in {DelayMs:F0} ms")]
    private partial void LogBrokerUnreachable(string endpoint, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event subscriber could not connect to RabbitMQ; trying again in {DelayMs:F0} ms")]
    private partial void LogConnectFailed(Exception? error, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "The subscriber's connection to RabbitMQ recovered")]
    private partial void LogRecovered();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message without a position header arrived (routing key {RoutingKey}); dropped")]
    private partial void LogNotAnEvent(string routingKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relayed event {Position} has a type this build cannot read ({Type}); skipped")]
    private partial void LogUnknownEvent(Exception error, long position, string type);
}
