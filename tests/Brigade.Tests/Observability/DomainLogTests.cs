using Brigade.Observability;
using Brigade.Orders;
using Brigade.Storage;
using Microsoft.Extensions.Logging;

namespace Brigade.Tests.Observability;

public class DomainLogTests
{
    [Fact]
    public void Log_lines_about_orders_outlets_and_couriers_carry_their_ids_as_fields()
    {
        var logger = new RecordingLogger();
        var log = new DomainLog(logger);
        var at = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        IDomainEvent[] events =
        [
            new OrderFailed("o-1", "kitchen k1: out of retries", at),
            new Brigade.Routing.OutletWentSilent("k1", at, at),
            new Brigade.Delivery.CourierAssigned("o-2", "rider-7", "offer-1", at, at, at),
        ];
        log.OnCommitted(events.Select((e, i) => new CommittedEvent(i + 1, 1, EventSerializer.ToWrite(e))).ToList());

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && Field(e, "OrderId") is "o-1" && Field(e, "Reason") is not null);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && Field(e, "OutletId") is "k1");
        Assert.Contains(logger.Entries, e => Field(e, "CourierId") is "rider-7" && Field(e, "OrderId") is "o-2");
    }

    private static object? Field((LogLevel Level, Dictionary<string, object?> Fields) entry, string name) => entry.Fields.GetValueOrDefault(name);

    private sealed class RecordingLogger : ILogger<DomainLog>
    {
        public List<(LogLevel Level, Dictionary<string, object?> Fields)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, ((IEnumerable<KeyValuePair<string, object?>>)state!).ToDictionary(p => p.Key, p => p.Value)));
    }
}
