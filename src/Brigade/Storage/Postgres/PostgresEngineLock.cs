using Npgsql;

namespace Brigade.Storage.Postgres;

/// <summary>Another process already runs the engine on this database.</summary>
public sealed class EngineOwnedException(string message) : InvalidOperationException(message);

/// <summary>The PostgreSQL server could not be reached or refused the connection at start-up.</summary>
public sealed class PostgresUnavailableException(string message, Exception inner) : InvalidOperationException(message, inner)
{
    /// <summary>A message naming the database and server (never the password) and what went wrong.</summary>
    public static PostgresUnavailableException From(string connectionString, NpgsqlException e)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var where = $"database '{b.Database ?? b.Username ?? "postgres"}' on {b.Host ?? "localhost"}:{b.Port}";
        var why = e switch
        {
            PostgresException p => p.MessageText,
            { InnerException: { } inner and (System.Net.Sockets.SocketException or TimeoutException or IOException) } => $"{e.Message.TrimEnd('.')}: {inner.Message}",
            _ => e.Message,
        };
        return new PostgresUnavailableException($"cannot open the event log on PostgreSQL ({where}): {why}", e);
    }
}

/// <summary>
/// Only one engine may own a database: the engine decides on in-memory state and must be the only
/// one deciding for its orders and kitchens. The owner holds a session-level advisory lock on a
/// connection of its own for as long as it runs. A second process that finds the lock taken refuses
/// to start, naming the holder. If the lock's connection is lost (the lock with it), the owner tries
/// to take it back; if another process got it in between, <see cref="Lost"/> is cancelled and the
/// host stops.
/// </summary>
public sealed partial class PostgresEngineLock : IAsyncDisposable
{
    /// <summary>The advisory lock key of the engine ("Brigade" + 1).</summary>
    public const long Key = 0x4272_6967_6164_6501;

    private readonly string _connectionString;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stopping = new();
    private NpgsqlConnection? _connection;
    private Task? _watch;
    private int _disposed;

    public PostgresEngineLock(string connectionString, ILogger<PostgresEngineLock>? log = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = $"brigade engine on {Environment.MachineName} pid {Environment.ProcessId}",
            Pooling = false,
            KeepAlive = 5,
        };
        _connectionString = builder.ConnectionString;
        Database = builder.Database ?? builder.Username ?? "postgres";
        _log = (ILogger?)log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public string Database { get; }

    /// <summary>Cancelled when this process no longer owns the engine.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Take the lock, or throw <see cref="EngineOwnedException"/> saying who holds it.</summary>
    public async Task AcquireAsync(CancellationToken ct = default)
    {
        _connection = await TryTakeAsync(ct) ?? throw new EngineOwnedException(await DescribeHolderAsync(ct));
        _watch = Task.Run(WatchAsync, CancellationToken.None);
    }

    private async Task<NpgsqlConnection?> TryTakeAsync(CancellationToken ct)
    {
        var conn = new NpgsqlConnection(_connectionString);
        try
        {
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = Key });
            if ((bool)(await cmd.ExecuteScalarAsync(ct))!) return conn;
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
        await conn.DisposeAsync();
        return null;
    }

    private async Task<string> DescribeHolderAsync(CancellationToken ct)
    {
        var holder = "another process";
        try
        {
            await using var conn = new NpgsqlConnection(_connectionString);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("""
                SELECT a.application_name, coalesce(host(a.client_addr), 'a local socket'), a.pid
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
                LIMIT 1
                """, conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = Key });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
                holder = $"'{(r.IsDBNull(0) || r.GetString(0).Length == 0 ? "unnamed" : r.GetString(0))}' (connected from {r.GetString(1)}, server pid {r.GetInt32(2)})";
        }
        catch (NpgsqlException)
        {
            // The message is still clear without the holder's name.
        }
        return $"The engine of PostgreSQL database '{Database}' is owned by {holder}: only one Brigade engine may write a database. " +
               "Stop that process first, or point this one at another database.";
    }

    /// <summary>Check the lock's connection every few seconds; if it died, take the lock again or give up ownership.</summary>
    private async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await using var cmd = new NpgsqlCommand("SELECT 1", _connection);
                    await cmd.ExecuteScalarAsync(_stopping.Token);
                    continue;
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
                {
                    LogLockConnectionLost(e);
                }
                if (_connection is not null) await _connection.DisposeAsync();
                _connection = null;
                while (_connection is null)
                {
                    try
                    {
                        _connection = await TryTakeAsync(_stopping.Token);
                        if (_connection is null)
                        {
                            LogOwnershipLost();
                            await _lost.CancelAsync();
                            return;
                        }
                        LogLockRetaken();
                    }
                    catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync();
        if (_watch is not null) await _watch;
        if (_connection is not null) await _connection.DisposeAsync(); // closing the session releases the lock
        _connection = null;
        _stopping.Dispose();
        _lost.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connection holding the engine lock was lost; taking the lock again")]
    private partial void LogLockConnectionLost(Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "The engine lock was taken again")]
    private partial void LogLockRetaken();

    [LoggerMessage(Level = LogLevel.Critical, Message = "Another process took the engine lock while its connection was down: this process no longer owns the engine and stops")]
    private partial void LogOwnershipLost();
}
