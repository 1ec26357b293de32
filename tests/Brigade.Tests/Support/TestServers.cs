using System.Diagnostics;
using Npgsql;

namespace Brigade.Tests.Support;

/// <summary>
/// The real servers integration tests use, started by <c>./test.sh</c>, which exports where they
/// are. A test that needs one fails (never skips) when it is missing.
/// </summary>
public static class TestServers
{
    public const string PostgresVariable = "BRIGADE_TEST_POSTGRES";
    public const string RabbitMqVariable = "BRIGADE_TEST_RABBITMQ";
    public const string RabbitMqCtlVariable = "BRIGADE_TEST_RABBITMQ_CTL";

    /// <summary>Connection string of the throwaway PostgreSQL server (its maintenance database).</summary>
    public static string Postgres => Require(PostgresVariable, "a PostgreSQL server");

    public static Uri RabbitMq => new(Require(RabbitMqVariable, "a RabbitMQ broker"));

    /// <summary>Run rabbitmqctl against the throwaway broker (e.g. <c>stop_app</c>, <c>start_app</c>).</summary>
    public static async Task RabbitMqCtlAsync(params string[] args)
    {
        var (code, output, error) = await Processes.RunAsync(Require(RabbitMqCtlVariable, "rabbitmqctl for the test broker"), args);
        Assert.True(code == 0, $"rabbitmqctl {string.Join(' ', args)} failed: {output}{error}");
    }

    private static string Require(string variable, string what)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
            Assert.Fail($"{variable} is not set: this test needs {what}. Run ./test.sh, which installs and starts the servers the tests need.");
        return value!;
    }
}

/// <summary>A fresh database on the test PostgreSQL server, dropped afterwards.</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private PostgresDatabase(string admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var admin = TestServers.Postgres;
        var name = "brigade_test_" + Guid.NewGuid().ToString("N")[..16];
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return new PostgresDatabase(admin, name);
    }

    /// <summary>Run one statement and return the first column of the first row.</summary>
    public async Task<object?> ScalarAsync(string sql, params object[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return await cmd.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await using var conn = new NpgsqlConnection(_admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
