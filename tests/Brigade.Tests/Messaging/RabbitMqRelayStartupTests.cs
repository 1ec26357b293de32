using Brigade.Messaging;
using Brigade.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Brigade.Tests.Messaging;

/// <summary>The relay when the broker is not there: the server runs on, and the log says where it tries to connect and why it cannot.</summary>
public sealed class RabbitMqRelayStartupTests
{
    [Fact]
    public async Task A_relay_that_cannot_reach_the_broker_names_it_and_the_reason_without_a_stack_trace_or_the_password()
    {
        var port = ServerProcess.FreePort(); // nothing listens there
        var log = new RecordingLogger();
        await using var events = await TempLog.OpenAsync("relay-start");
        using var relay = new RabbitMqRelay(events.Store, events.Store, new RabbitMqRelayOptions(new Uri($"amqp://brigade:s3cret@127.0.0.1:{port}/orders")), log);

        await relay.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (log.Warnings.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        await relay.StopAsync(CancellationToken.None);

        var (message, error) = log.Warnings[0];
        Assert.Contains($"cannot reach RabbitMQ at 127.0.0.1:{port} (virtual host 'orders')", message, StringComparison.Ordinal);
        Assert.Contains("refused", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret", message, StringComparison.Ordinal);
        Assert.Null(error);
    }

    [Fact]
    public async Task A_subscriber_that_cannot_reach_the_broker_says_so_while_it_keeps_trying_without_the_password()
    {
        var port = ServerProcess.FreePort(); // nothing listens there
        var log = new RecordingLogger<RabbitMqEventSubscriber>();
        await using var subscriber = new RabbitMqEventSubscriber(new RabbitMqSubscriberOptions(new Uri($"amqp://brigade:s3cret@127.0.0.1:{port}/orders")),
            (_, _) => Task.CompletedTask, log);
        using var stop = new CancellationTokenSource();

        var starting = subscriber.StartAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!log.Entries.Any(e => e.Level == LogLevel.Warning) && DateTime.UtcNow < deadline) await Task.Delay(20);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);

        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning);
        var (_, message, error) = log.Entries.First(e => e.Level == LogLevel.Warning);
        Assert.Contains($"cannot reach RabbitMQ at 127.0.0.1:{port} (virtual host 'orders')", message, StringComparison.Ordinal);
        Assert.Contains("refused", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret", message, StringComparison.Ordinal);
        Assert.Null(error);
    }

    private sealed class RecordingLogger : ILogger<RabbitMqRelay>
    {
        private readonly List<(string Message, Exception? Error)> _warnings = [];

        public List<(string Message, Exception? Error)> Warnings { get { lock (_warnings) return [.. _warnings]; } }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) lock (_warnings) _warnings.Add((formatter(state, exception), exception));
        }
    }
}
