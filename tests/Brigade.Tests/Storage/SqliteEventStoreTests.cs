using System.Text;
using Brigade.Storage;

namespace Brigade.Tests.Storage;

public sealed class SqliteEventStoreTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "brigade-store-" + Guid.NewGuid().ToString("N"));
    private SqliteEventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteEventStore(_dir);
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static EventToWrite E(string stream, string type = "Thing", string? order = null) =>
        new(stream, type, Encoding.UTF8.GetBytes("{\"n\":1}"), DateTimeOffset.UnixEpoch.AddDays(1), order);

    [Fact]
    public async Task Appends_events_in_order_with_per_stream_versions()
    {
        await _store.CommitAsync(new Commit([E("order-a"), E("kitchen-k", order: "a"), E("order-a")]));
        var second = await _store.CommitAsync(new Commit([E("order-b"), E("order-a")]));

        Assert.Equal(4, second.FirstPosition);
        Assert.Equal([1L, 3L], second.Versions);
        var all = new List<StoredEvent>();
        await foreach (var e in _store.ReadAllAsync(0)) all.Add(e);
        Assert.Equal([1L, 2, 3, 4, 5], all.Select(e => e.Position));
        Assert.Equal([1L, 2, 3], (await _store.ReadStreamAsync("order-a")).Select(e => e.Version));
        Assert.Equal(["order-a", "kitchen-k", "order-a", "order-a"], (await _store.ReadByOrderAsync("a")).Select(e => e.StreamId));
    }

    [Fact]
    public async Task Of_two_writers_expecting_the_same_version_exactly_one_wins()
    {
        await _store.CommitAsync(new Commit([E("order-x")]));
        var expect = new Dictionary<string, long> { ["order-x"] = 1 };

        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Capture(_store.CommitAsync(new Commit([E("order-x", "Writer" + i)], expect)))));

        Assert.Single(attempts, a => a is null);
        Assert.All(attempts.Where(a => a is not null), a => Assert.IsType<ConcurrencyException>(a));
        Assert.Equal(2, (await _store.ReadStreamAsync("order-x")).Count);
    }

    [Fact]
    public async Task A_new_stream_must_not_exist_when_no_stream_is_expected()
    {
        var expect = new Dictionary<string, long> { ["order-n"] = ExpectedVersion.NoStream };
        await _store.CommitAsync(new Commit([E("order-n")], expect));

        var error = await Capture(_store.CommitAsync(new Commit([E("order-n")], expect)));

        var conflict = Assert.IsType<ConcurrencyException>(error);
        Assert.Equal(1, conflict.Actual);
    }

    [Fact]
    public async Task A_used_dedup_key_refuses_the_whole_commit_and_reports_the_first_value()
    {
        await _store.CommitAsync(new Commit([E("order-1")], Dedup: new DedupKey("order", "cust\nkey", "order-1 h")));

        var error = await Capture(_store.CommitAsync(new Commit([E("order-2"), E("kitchen-k")], Dedup: new DedupKey("order", "cust\nkey", "order-2 h"))));

        Assert.Equal("order-1 h", Assert.IsType<DuplicateKeyException>(error).ExistingValue);
        Assert.Equal(1, await _store.LastPositionAsync());
        Assert.Equal("order-1 h", await _store.FindDedupAsync("order", "cust\nkey"));
    }

    [Fact]
    public async Task After_a_chained_commit_fails_the_chained_commits_behind_it_are_refused_until_reset()
    {
        await _store.CommitAsync(new Commit([E("order-c")], Chained: true));
        var bad = _store.CommitAsync(new Commit([E("order-c")], new Dictionary<string, long> { ["order-c"] = 7 }, Chained: true));
        var behind = _store.CommitAsync(new Commit([E("order-d")], Chained: true));
        var unrelated = _store.CommitAsync(new Commit([E("order-e")]));

        Assert.IsType<ConcurrencyException>(await Capture(bad));
        Assert.IsType<ChainBrokenException>(await Capture(behind));
        Assert.Null(await Capture(unrelated));

        _store.ResetChain();
        Assert.Null(await Capture(_store.CommitAsync(new Commit([E("order-d")], Chained: true))));
    }

    [Fact]
    public async Task Concurrent_commits_share_transactions()
    {
        var batches = 0;
        _store.Subscribe(_ => Interlocked.Increment(ref batches));

        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => _store.CommitAsync(new Commit([E("order-" + i)]))));

        Assert.Equal(500, await _store.LastPositionAsync());
        Assert.True(batches < 250, $"500 commits took {batches} transactions");
    }

    [Fact]
    public async Task Events_are_still_there_after_reopening_and_positions_continue()
    {
        await _store.CommitAsync(new Commit([E("order-r"), E("order-r")]));
        await _store.DisposeAsync();
        _store = new SqliteEventStore(_dir);
        await _store.InitializeAsync();

        var next = await _store.CommitAsync(new Commit([E("order-r")]));

        Assert.Equal(3, next.FirstPosition);
        Assert.Equal([3L], next.Versions);
    }

    [Fact]
    public async Task A_second_process_cannot_open_the_same_data_directory()
    {
        await using var second = new SqliteEventStore(_dir);
        var error = await Capture(second.InitializeAsync());
        Assert.Contains("in use", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
    }

    private static async Task<Exception?> Capture(Task task)
    {
        try { await task; return null; }
        catch (Exception e) { return e; }
    }
}
