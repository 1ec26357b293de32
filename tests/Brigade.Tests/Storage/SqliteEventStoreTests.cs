using Brigade.Storage;

namespace Brigade.Tests.Storage;

/// <summary>The store conformance suite on the embedded SQLite log, and what only SQLite does.</summary>
public sealed class SqliteEventStoreTests : EventStoreConformance
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "brigade-store-" + Guid.NewGuid().ToString("N"));

    protected override async Task<IEventStore> OpenAsync()
    {
        var store = new SqliteEventStore(_dir);
        await store.InitializeAsync();
        return store;
    }

    protected override void FailNextBatch(IEventStore store) => ((SqliteEventStore)store).FailNextBatches = 1;

    protected override Task CleanUpAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_second_process_cannot_open_the_same_data_directory()
    {
        await using var second = new SqliteEventStore(_dir);
        var error = await Capture(second.InitializeAsync());
        Assert.Contains("in use", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
    }
}
