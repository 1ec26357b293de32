using Brigade.Storage;

namespace Brigade.Tests.Support;

/// <summary>An embedded event log in a directory of its own, deleted with it.</summary>
public sealed class TempLog : IAsyncDisposable
{
    private TempLog(string dir, SqliteEventStore store) => (Dir, Store) = (dir, store);

    public string Dir { get; }
    public SqliteEventStore Store { get; }

    public static async Task<TempLog> OpenAsync(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"brigade-{name}-{Guid.NewGuid():N}");
        var store = new SqliteEventStore(dir);
        await store.InitializeAsync();
        return new TempLog(dir, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}
