using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Hosting;

/// <summary>Opens the event log before the engine recovers from it; registered first, so it starts first.</summary>
public sealed class StoreLifetime(IEventStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Periodic tidying: forget ended orders in memory, expire idempotency keys.</summary>
public sealed partial class Housekeeping(Engine.EngineHost engine, OrderReadModel orders, IdempotencyGate gate, IEventStore store, ILogger<Housekeeping> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await engine.ForgetEndedOrdersAsync(TimeSpan.FromMinutes(30));
                    orders.Evict(engine.Clock.GetUtcNow() - TimeSpan.FromHours(2));
                    gate.Sweep(DateTimeOffset.UtcNow - IdempotencyGate.Retention);
                    await store.PurgeDedupAsync(DateTimeOffset.UtcNow - IdempotencyGate.Retention - TimeSpan.FromHours(23), stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Housekeeping failed")]
    private partial void LogFailed(Exception error);
}
