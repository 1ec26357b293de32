using Brigade.Orders;
using Brigade.Storage;
using Brigade.Storage.Postgres;

namespace Brigade.Hosting;

/// <summary>
/// Opens the event log before the engine recovers from it; registered first, so it starts first
/// (and stops last). On PostgreSQL it first takes the engine lock: a second engine on the same
/// database refuses to start, and one that loses the lock stops.
/// </summary>
public sealed class StoreLifetime(IEventStore store, IHostApplicationLifetime lifetime, PostgresEngineLock? engineLock = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (engineLock is not null)
            {
                await engineLock.AcquireAsync(cancellationToken);
                engineLock.Lost.Register(lifetime.StopApplication);
            }
            await store.InitializeAsync(cancellationToken);
        }
        catch (Npgsql.NpgsqlException e) when (store is PostgresEventStore postgres)
        {
            // Unreachable, a wrong password, a database that does not exist: say which, not how deep in the driver.
            throw PostgresUnavailableException.From(postgres.ConnectionString, e);
        }
    }

    /// <summary>The lock goes last, once the engine has stopped and its last commit is written.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (engineLock is not null) await engineLock.DisposeAsync();
    }
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
