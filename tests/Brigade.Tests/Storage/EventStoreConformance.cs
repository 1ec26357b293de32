using System.Text;
using Brigade.Geo;
using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Tests.Storage;

/// <summary>
/// The contract every event store keeps, whatever it runs on: the engine and the API work on either
/// unchanged. Each implementation runs these tests through a subclass.
/// </summary>
public abstract class EventStoreConformance : IAsyncLifetime
{
    protected IEventStore Store { get; private set; } = null!;
    protected IReadModelStore ReadModels => (IReadModelStore)Store;

    /// <summary>A new store instance on the test's storage (as a new process would open it).</summary>
    protected abstract Task<IEventStore> OpenAsync();

    /// <summary>Make the store's next batch fail as a lost disk or connection would.</summary>
    protected abstract void FailNextBatch(IEventStore store);

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await CleanUpAsync();
    }

    protected async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await OpenAsync();
    }

    protected static EventToWrite E(string stream, string type = "Thing", string? order = null, string json = "{\"n\":1}") =>
        new(stream, type, Encoding.UTF8.GetBytes(json), DateTimeOffset.UnixEpoch.AddDays(1), order);

    protected static EventToWrite Placed(string orderId, string customer, string key) =>
        EventSerializer.ToWrite(new OrderPlaced(orderId, "r", null, [new OrderLine("pizza", 1)], new GeoPoint(52.5, 13.4), customer, 1000, null, key, "hash",
            DateTimeOffset.UnixEpoch.AddDays(2)));

    protected static async Task<Exception?> Capture(Task task)
    {
        try { await task; return null; }
        catch (Exception e) { return e; }
    }

    protected static async Task<List<StoredEvent>> ReadAll(IEventStore store, long after = 0)
    {
        var all = new List<StoredEvent>();
        await foreach (var e in store.ReadAllAsync(after)) all.Add(e);
        return all;
    }

    [Fact]
    public async Task Reads_only_the_newest_events_of_a_stream_in_order()
    {
        for (var i = 0; i < 5; i++)
            await Store.CommitAsync(new Commit([E("kitchen-k"), E("kitchen-k2"), E("order-x")]));

        Assert.Equal([4L, 5], (await Store.ReadStreamTailAsync("kitchen-k", 2)).Select(e => e.Version));
        Assert.All(await Store.ReadStreamTailAsync("kitchen-k", 2), e => Assert.Equal("kitchen-k", e.StreamId));
        Assert.Equal([1L, 2, 3, 4, 5], (await Store.ReadStreamTailAsync("kitchen-k", 10)).Select(e => e.Version));
        Assert.Empty(await Store.ReadStreamTailAsync("kitchen-none", 10));
    }

    [Fact]
    public async Task Appends_events_in_order_with_per_stream_versions()
    {
        await Store.CommitAsync(new Commit([E("order-a"), E("kitchen-k", order: "a"), E("order-a")]));
        var second = await Store.CommitAsync(new Commit([E("order-b"), E("order-a")]));

        Assert.Equal(4, second.FirstPosition);
        Assert.Equal(5, second.LastPosition);
        Assert.Equal([1L, 3L], second.Versions);
        Assert.Equal([1L, 2, 3, 4, 5], (await ReadAll(Store)).Select(e => e.Position));
        Assert.Equal([1L, 2, 3], (await Store.ReadStreamAsync("order-a")).Select(e => e.Version));
        Assert.Equal([3L], (await Store.ReadStreamAsync("order-a", afterVersion: 2)).Select(e => e.Version));
        Assert.Equal(["order-a", "kitchen-k", "order-a", "order-a"], (await Store.ReadByOrderAsync("a")).Select(e => e.StreamId));
        Assert.Equal(5, await Store.LastPositionAsync());
    }

    [Fact]
    public async Task A_domain_event_reads_back_as_it_was_written()
    {
        var placed = Placed("o-1", "cust", "key-1");
        await Store.CommitAsync(new Commit([placed]));

        var stored = Assert.Single(await ReadAll(Store));

        Assert.Equal("order-o-1", stored.StreamId);
        Assert.Equal("OrderPlaced", stored.Type);
        Assert.Equal("o-1", stored.OrderId);
        Assert.Equal(placed.At, stored.At);
        var back = Assert.IsType<OrderPlaced>(EventSerializer.Deserialize(stored));
        var original = (OrderPlaced)placed.Source!;
        Assert.Equal(original with { Lines = back.Lines }, back);
        Assert.Equal(original.Lines, back.Lines);
    }

    [Fact]
    public async Task Of_two_writers_expecting_the_same_version_exactly_one_wins()
    {
        await Store.CommitAsync(new Commit([E("order-x")]));
        var expect = new Dictionary<string, long> { ["order-x"] = 1 };

        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Capture(Store.CommitAsync(new Commit([E("order-x", "Writer" + i)], expect)))));

        Assert.Single(attempts, a => a is null);
        Assert.All(attempts.Where(a => a is not null), a => Assert.IsType<ConcurrencyException>(a));
        Assert.Equal(2, (await Store.ReadStreamAsync("order-x")).Count);
    }

    [Fact]
    public async Task A_new_stream_must_not_exist_when_no_stream_is_expected()
    {
        var expect = new Dictionary<string, long> { ["order-n"] = ExpectedVersion.NoStream };
        await Store.CommitAsync(new Commit([E("order-n")], expect));

        var error = await Capture(Store.CommitAsync(new Commit([E("order-n")], expect)));

        var conflict = Assert.IsType<ConcurrencyException>(error);
        Assert.Equal(1, conflict.Actual);
    }

    [Fact]
    public async Task A_refused_commit_writes_nothing_while_the_rest_of_its_batch_goes_through()
    {
        var commits = Enumerable.Range(0, 20).Select(i => Store.CommitAsync(new Commit([E("order-r" + i), E("kitchen-k")],
            new Dictionary<string, long> { ["order-r" + i] = i == 7 ? 3 : ExpectedVersion.NoStream }))).ToList();

        var outcomes = await Task.WhenAll(commits.Select(Capture));

        Assert.IsType<ConcurrencyException>(outcomes[7]);
        Assert.Equal(19, outcomes.Count(o => o is null));
        Assert.Empty(await Store.ReadStreamAsync("order-r7"));
        Assert.Equal(Enumerable.Range(1, 19).Select(v => (long)v), (await Store.ReadStreamAsync("kitchen-k")).Select(e => e.Version));
        Assert.Equal(38, await Store.LastPositionAsync());
    }

    [Fact]
    public async Task A_used_dedup_key_refuses_the_whole_commit_and_reports_the_first_value()
    {
        await Store.CommitAsync(new Commit([E("order-1")], Dedup: new DedupKey("order", "cust\nkey", "order-1 h")));

        var error = await Capture(Store.CommitAsync(new Commit([E("order-2"), E("kitchen-k")], Dedup: new DedupKey("order", "cust\nkey", "order-2 h"))));

        Assert.Equal("order-1 h", Assert.IsType<DuplicateKeyException>(error).ExistingValue);
        Assert.Equal(1, await Store.LastPositionAsync());
        Assert.Equal("order-1 h", await Store.FindDedupAsync("order", "cust\nkey"));
        Assert.Equal([("cust\nkey", "order-1 h")], (await Store.LoadDedupAsync("order", DateTimeOffset.UtcNow.AddHours(-1))).Select(d => (d.Key, d.Value)));
        Assert.Equal(0, await Store.PurgeDedupAsync(DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.Equal(1, await Store.PurgeDedupAsync(DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Null(await Store.FindDedupAsync("order", "cust\nkey"));
    }

    [Fact]
    public async Task Looking_up_an_id_or_key_holding_a_nul_character_finds_nothing()
    {
        // Ids and keys come from requests (a webhook's event and order ids, a query string): text the
        // log holds nothing under is not there, whether or not the store could hold U+0000.
        await Store.CommitAsync(new Commit([E("order-n", order: "n"), E("kitchen-n", order: "n")], Dedup: new DedupKey("webhook", "evt", "n")));
        var at = DateTimeOffset.UnixEpoch.AddDays(3);
        await ReadModels.SaveSummariesAsync([new SummaryRow("n", "placed", "k", "c", at, at, 1, "{}"u8.ToArray())], "p", 2);

        Assert.Null(await Store.FindDedupAsync("webhook", "evt\0"));
        Assert.Null(await Store.FindDedupAsync("webhook\0", "evt"));
        Assert.Empty(await Store.ReadByOrderAsync("n\0"));
        Assert.Empty(await Store.ReadStreamAsync("order-n\0"));
        Assert.Empty(await Store.ReadStreamTailAsync("order-n\0", 10));
        Assert.Empty(await Store.ReadByStreamPrefixAsync("kitchen-\0", null, 10));
        Assert.Empty(await Store.ReadByStreamPrefixBeforeAsync("kitchen-\0", long.MaxValue, 10));
        await foreach (var e in Store.ReadStreamsByPrefixAsync("kitchen-\0")) Assert.Fail($"read {e.StreamId}");
        Assert.Null(await ReadModels.GetSummaryAsync("n\0"));
        Assert.Empty(await ReadModels.ListSummariesAsync("c\0", null, 10));
        Assert.Empty(await ReadModels.ListSummariesAsync(null, "k\0", 10));
        Assert.Equal(0, await ReadModels.GetCheckpointAsync("p\0"));
        // The same reads without the U+0000 find what is there.
        Assert.Equal("n", await Store.FindDedupAsync("webhook", "evt"));
        Assert.Equal(2, (await Store.ReadByOrderAsync("n")).Count);
        Assert.Equal("n", (await ReadModels.GetSummaryAsync("n"))?.Id);
    }

    [Fact]
    public async Task After_a_chained_commit_fails_the_chained_commits_behind_it_are_refused_until_reset()
    {
        await Store.CommitAsync(new Commit([E("order-c")], Chained: true));
        var bad = Store.CommitAsync(new Commit([E("order-c")], new Dictionary<string, long> { ["order-c"] = 7 }, Chained: true));
        var behind = Store.CommitAsync(new Commit([E("order-d")], Chained: true));
        var unrelated = Store.CommitAsync(new Commit([E("order-e")]));

        Assert.IsType<ConcurrencyException>(await Capture(bad));
        Assert.IsType<ChainBrokenException>(await Capture(behind));
        Assert.Null(await Capture(unrelated));

        Store.ResetChain();
        Assert.Null(await Capture(Store.CommitAsync(new Commit([E("order-d")], Chained: true))));
    }

    [Fact]
    public async Task A_failed_batch_fails_every_commit_in_it_and_breaks_the_chain()
    {
        await Store.CommitAsync(new Commit([E("order-f")]));
        FailNextBatch(Store);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Capture(Store.CommitAsync(new Commit([E("order-g" + i)], Chained: true)))));

        Assert.All(outcomes, o => Assert.NotNull(o));
        Assert.Equal(1, await Store.LastPositionAsync());
        Assert.IsType<ChainBrokenException>(await Capture(Store.CommitAsync(new Commit([E("order-h")], Chained: true))));
        Store.ResetChain();
        var next = await Store.CommitAsync(new Commit([E("order-h")], Chained: true));
        Assert.Equal(2, next.FirstPosition);
        Assert.Equal([1L, 2], (await ReadAll(Store)).Select(e => e.Position));
    }

    [Fact]
    public async Task Listeners_see_every_durable_batch_in_log_order_with_positions_and_versions()
    {
        var seen = new List<CommittedEvent>();
        Store.Subscribe(batch => { lock (seen) seen.AddRange(batch); });

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Store.CommitAsync(new Commit([E("order-l" + (i % 5)), E("kitchen-k")]))));

        Assert.Equal(Enumerable.Range(1, 100).Select(p => (long)p), seen.Select(c => c.Position));
        var stored = await ReadAll(Store);
        Assert.Equal(stored.Select(s => (s.StreamId, s.Version)), seen.Select(c => (c.Event.StreamId, c.Version)));
    }

    [Fact]
    public async Task A_listener_that_throws_neither_stops_the_log_nor_keeps_the_other_listeners_from_hearing()
    {
        var seen = new List<long>();
        Store.Subscribe(_ => throw new InvalidOperationException("a broken read model"));
        Store.Subscribe(batch => { lock (seen) seen.AddRange(batch.Select(c => c.Position)); });

        await Store.CommitAsync(new Commit([E("order-t")]));
        var second = Store.CommitAsync(new Commit([E("order-t")]));

        Assert.Same(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(30))));
        var result = await second;
        Assert.Equal([2L], result.Versions);
        Assert.Equal([1L, 2L], seen);
    }

    [Fact]
    public async Task Concurrent_commits_share_transactions()
    {
        var batches = 0;
        Store.Subscribe(_ => Interlocked.Increment(ref batches));

        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Store.CommitAsync(new Commit([E("order-" + i)]))));

        Assert.Equal(500, await Store.LastPositionAsync());
        Assert.True(batches < 250, $"500 commits took {batches} transactions");
    }

    [Fact]
    public async Task Events_are_still_there_after_reopening_and_positions_continue()
    {
        await Store.CommitAsync(new Commit([E("order-r"), E("order-r")]));
        await ReopenAsync();

        var next = await Store.CommitAsync(new Commit([E("order-r")], new Dictionary<string, long> { ["order-r"] = 2 }));

        Assert.Equal(3, next.FirstPosition);
        Assert.Equal([3L], next.Versions);
    }

    [Fact]
    public async Task After_reopening_a_stream_written_before_continues_its_versions_without_a_gap()
    {
        await Store.CommitAsync(new Commit([E("kitchen-k"), E("kitchen-k"), E("order-a")]));
        await ReopenAsync();
        await Store.CommitAsync(new Commit([E("order-b")]));

        var next = await Store.CommitAsync(new Commit([E("kitchen-k"), E("order-a")]));
        var conflict = await Capture(Store.CommitAsync(new Commit([E("order-a")], new Dictionary<string, long> { ["order-a"] = ExpectedVersion.NoStream })));

        Assert.Equal([3L, 2L], next.Versions);
        Assert.Equal(2, Assert.IsType<ConcurrencyException>(conflict).Actual);
        Assert.Equal([1L, 2, 3], (await Store.ReadStreamAsync("kitchen-k")).Select(e => e.Version));
    }

    [Fact]
    public async Task Reads_by_stream_prefix_return_the_newest_events_oldest_first()
    {
        for (var i = 0; i < 5; i++) await Store.CommitAsync(new Commit([E("kitchen-a" + i), E("courier-c")]));

        var kitchens = await Store.ReadByStreamPrefixAsync("kitchen-", null, 3, default);
        var recent = await Store.ReadByStreamPrefixAsync("kitchen-", DateTimeOffset.UnixEpoch.AddDays(2), 10, default);

        Assert.Equal(["kitchen-a2", "kitchen-a3", "kitchen-a4"], kitchens.Select(e => e.StreamId));
        Assert.True(kitchens[0].Position < kitchens[1].Position);
        Assert.Empty(recent);
    }

    [Fact]
    public async Task Reads_by_stream_prefix_before_a_position_return_the_newest_below_it_oldest_first()
    {
        for (var i = 0; i < 5; i++) await Store.CommitAsync(new Commit([E("kitchen-a" + i), E("courier-c")]));
        var all = await Store.ReadByStreamPrefixAsync("kitchen-", null, 10, default);

        var below = await Store.ReadByStreamPrefixBeforeAsync("kitchen-", all[3].Position, 2);
        var first = await Store.ReadByStreamPrefixBeforeAsync("kitchen-", all[0].Position, 10);

        Assert.Equal(["kitchen-a1", "kitchen-a2"], below.Select(e => e.StreamId));
        Assert.True(below[0].Position < below[1].Position);
        Assert.Empty(first);
        Assert.Equal(all.Select(e => e.Position), (await Store.ReadByStreamPrefixBeforeAsync("kitchen-", long.MaxValue, 10)).Select(e => e.Position));
    }

    [Fact]
    public async Task Reads_every_event_of_the_streams_with_a_prefix_stream_by_stream_in_version_order_past_a_page()
    {
        // More than a page (1024), interleaved across streams, beside streams whose ids only look alike.
        var streams = new[] { "alerts-b", "alerts-a", "alerts-", "alerts-a-2" };
        for (var round = 0; round < 3; round++)
            await Store.CommitAsync(new Commit([.. Enumerable.Range(0, 500).SelectMany(_ => streams.Select(s => E(s))), E("alerts"), E("alerts."), E("alertsx-1"), E("order-o")]));

        var read = new List<StoredEvent>();
        await foreach (var e in Store.ReadStreamsByPrefixAsync("alerts-")) read.Add(e);

        Assert.Equal(6000, read.Count);
        Assert.Equal(["alerts-", "alerts-a", "alerts-a-2", "alerts-b"], read.Select(e => e.StreamId).Distinct());
        foreach (var stream in read.GroupBy(e => e.StreamId))
            Assert.Equal(Enumerable.Range(1, 1500).Select(v => (long)v), stream.Select(e => e.Version));
    }

    [Fact]
    public async Task Summaries_and_their_checkpoint_are_saved_together_and_can_be_reset()
    {
        var at = DateTimeOffset.UnixEpoch.AddDays(3);
        await ReadModels.SaveSummariesAsync([new SummaryRow("o1", "placed", "k", "c1", at, at, 1, "{}"u8.ToArray()), new SummaryRow("o2", "placed", null, "c2", at, at, 1, "{}"u8.ToArray())], "p", 2);
        await ReadModels.SaveSummariesAsync([new SummaryRow("o1", "ready", "k", "c1", at, at.AddMinutes(5), 4, "{\"v\":4}"u8.ToArray())], "p", 9);
        await ReadModels.SaveCheckpointAsync("other", 3);

        Assert.Equal(9, await ReadModels.GetCheckpointAsync("p"));
        Assert.Equal(3, await ReadModels.GetCheckpointAsync("other"));
        var o1 = await ReadModels.GetSummaryAsync("o1");
        Assert.Equal(new SummaryRow("o1", "ready", "k", "c1", at, at.AddMinutes(5), 4, "{\"v\":4}"u8.ToArray()), o1);
        Assert.Equal(["o1"], (await ReadModels.ListSummariesAsync("c1", null, 10)).Select(r => r.Id));
        Assert.Equal(["o1"], (await ReadModels.ListSummariesAsync(null, "k", 10)).Select(r => r.Id));
        Assert.Equal(2, (await ReadModels.ListSummariesAsync(null, null, 10)).Count);

        await ReadModels.ResetReadModelAsync("p");

        Assert.Equal(0, await ReadModels.GetCheckpointAsync("p"));
        Assert.Null(await ReadModels.GetSummaryAsync("o1"));
    }

    [Fact]
    public async Task The_store_answers_pings_while_its_writer_runs()
    {
        Assert.True(await Store.PingAsync());
        Assert.Equal(0, await Store.LastPositionAsync());
    }
}
