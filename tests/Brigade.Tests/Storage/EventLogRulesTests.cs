using System.Text;
using Brigade.Geo;
using Brigade.Kitchen;
using Brigade.Orders;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brigade.Tests.Storage;

/// <summary>
/// Rules of the embedded log and of the read models projected from it that the conformance suite
/// does not pin: the write-ahead log, chain breaks across batches, paging, summary upserts and
/// listings, and the order-summary projector's checkpoint and rebuild.
/// </summary>
public sealed class EventLogRulesTests : IAsyncLifetime
{
    private TempLog _log = null!;
    private SqliteEventStore _store = null!;
    private string _dir = "";

    public async Task InitializeAsync()
    {
        _log = await TempLog.OpenAsync("rules");
        (_store, _dir) = (_log.Store, _log.Dir);
    }

    public async Task DisposeAsync() => await _log.DisposeAsync();

    private static readonly DateTimeOffset Day2 = DateTimeOffset.UnixEpoch.AddDays(2);

    private static EventToWrite E(string stream, string type = "Thing") =>
        new(stream, type, Encoding.UTF8.GetBytes("{\"n\":1}"), DateTimeOffset.UnixEpoch.AddDays(1), null);

    private static EventToWrite Placed(string orderId, string customer) =>
        EventSerializer.ToWrite(new OrderPlaced(orderId, "r", null, [new OrderLine("pizza", 1)], new GeoPoint(52.5, 13.4), customer, 1000, null, "key-" + orderId, "hash", Day2));

    private static EventToWrite Accepted(string orderId, string outlet, DateTimeOffset at) =>
        EventSerializer.ToWrite(new OrderAccepted(orderId, outlet, at.AddMinutes(20), at));

    [Fact]
    public void A_projector_disposed_before_the_log_still_takes_a_batch_the_log_tells_it_of()
    {
        // A server that fails to start (its address taken) disposes its services before the log, whose
        // writer may be telling its listeners of a batch at that moment.
        var projector = new SummaryProjector(_store, _store, NullLogger<SummaryProjector>.Instance);
        projector.Dispose();

        var ex = Record.Exception(() => projector.OnCommitted([new CommittedEvent(1, 1, Placed("o1", "ann"))]));

        Assert.Null(ex);
    }

    private static SummaryRow Row(string id, string? outlet, string customer, DateTimeOffset placedAt) =>
        new(id, "placed", outlet, customer, placedAt, placedAt, 1, "{}"u8.ToArray());

    private SummaryProjector Projector() => new(_store, _store, NullLogger<SummaryProjector>.Instance);

    private static async Task<Exception?> Capture(Task task)
    {
        try { await task; return null; }
        catch (Exception e) { return e; }
    }

    [Fact]
    public async Task A_commit_expecting_any_version_goes_through_whatever_the_stream_holds()
    {
        await _store.CommitAsync(new Commit([E("order-a"), E("order-a")]));

        var result = await _store.CommitAsync(new Commit([E("order-a"), E("order-b")],
            new Dictionary<string, long> { ["order-a"] = ExpectedVersion.Any, ["order-b"] = ExpectedVersion.Any }));

        Assert.Equal([3L, 1L], result.Versions);
    }

    [Fact]
    public async Task A_chained_commit_refused_in_one_batch_refuses_the_chained_commits_of_later_batches_until_reset()
    {
        await _store.CommitAsync(new Commit([E("order-c")], Chained: true));
        var refused = await Capture(_store.CommitAsync(new Commit([E("order-c")], new Dictionary<string, long> { ["order-c"] = 7 }, Chained: true)));

        // The caller has its answer, so this commit cannot share the refused one's batch.
        var later = await Capture(_store.CommitAsync(new Commit([E("order-d")], Chained: true)));

        Assert.IsType<ConcurrencyException>(refused);
        Assert.IsType<ConcurrencyException>(Assert.IsType<ChainBrokenException>(later).InnerException);
        Assert.Empty(await _store.ReadStreamAsync("order-d"));
        _store.ResetChain();
        Assert.Null(await Capture(_store.CommitAsync(new Commit([E("order-d")], Chained: true))));
    }

    [Fact]
    public async Task A_commit_refused_for_its_expected_version_does_not_use_up_its_dedup_key()
    {
        await _store.CommitAsync(new Commit([E("order-k")]));
        var stale = new Dictionary<string, long> { ["order-k"] = ExpectedVersion.NoStream };

        var refused = await Capture(_store.CommitAsync(new Commit([E("order-k")], stale, new DedupKey("order", "cust\nkey", "first"))));
        var retried = await Capture(_store.CommitAsync(new Commit([E("order-k")], new Dictionary<string, long> { ["order-k"] = 1 }, new DedupKey("order", "cust\nkey", "second"))));

        Assert.IsType<ConcurrencyException>(refused);
        Assert.Null(retried);
        Assert.Equal("second", await _store.FindDedupAsync("order", "cust\nkey"));
    }

    [Fact]
    public async Task A_batch_the_database_refuses_partway_through_leaves_no_gap_in_positions_or_versions()
    {
        await _store.CommitAsync(new Commit([E("order-a")]));
        // The third event breaks a constraint after the first two were inserted: the whole batch is rolled back.
        var broken = new EventToWrite("order-b", null!, Encoding.UTF8.GetBytes("{}"), DateTimeOffset.UnixEpoch.AddDays(1), null);

        var failed = await Capture(_store.CommitAsync(new Commit([E("order-a"), E("order-b"), broken])));
        var next = await _store.CommitAsync(new Commit([E("order-b"), E("order-a")]));

        Assert.NotNull(failed);
        Assert.Equal(2, next.FirstPosition);
        Assert.Equal([1L, 2L], next.Versions);
        var all = new List<(long, string, long)>();
        await foreach (var e in _store.ReadAllAsync(0)) all.Add((e.Position, e.StreamId, e.Version));
        Assert.Equal([(1L, "order-a", 1L), (2, "order-b", 1), (3, "order-a", 2)], all);
    }

    [Fact]
    public async Task The_log_file_is_kept_in_write_ahead_log_mode()
    {
        await _store.CommitAsync(new Commit([E("order-w")]));

        // The journal mode is recorded in the file itself, so any other connection reads it back.
        await using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "brigade.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await conn.OpenAsync();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public void The_writer_syncs_the_write_ahead_log_on_every_commit()
    {
        // synchronous is a setting of the writer's connection, not of the file: the store reads it back from there.
        Assert.Equal("wal, full", _store.Durability);
    }

    [Fact]
    public async Task Reading_the_whole_log_goes_on_past_the_first_pages()
    {
        // More than two pages of the reader, ending in a partial page.
        await _store.CommitAsync(new Commit([.. Enumerable.Range(0, 2100).Select(i => E("kitchen-" + (i % 7)))]));

        var all = new List<long>();
        await foreach (var e in _store.ReadAllAsync(0)) all.Add(e.Position);
        var tail = new List<long>();
        await foreach (var e in _store.ReadAllAsync(1000)) tail.Add(e.Position);

        Assert.Equal(Enumerable.Range(1, 2100).Select(p => (long)p), all);
        Assert.Equal(Enumerable.Range(1001, 1100).Select(p => (long)p), tail);
    }

    [Fact]
    public async Task A_summary_saved_again_with_another_outlet_moves_to_that_outlet()
    {
        await _store.SaveSummariesAsync([Row("o1", null, "c1", Day2)], "p", 1);
        await _store.SaveSummariesAsync([Row("o1", "south", "c1", Day2) with { Status = "accepted", Version = 2 }], "p", 2);
        await _store.SaveSummariesAsync([Row("o1", "north", "c1", Day2) with { Status = "accepted", Version = 3 }], "p", 3);

        var row = await _store.GetSummaryAsync("o1");

        Assert.Equal("north", row?.OutletId);
        Assert.Equal(3, row?.Version);
        Assert.Empty(await _store.ListSummariesAsync(null, "south", 10));
        Assert.Equal(["o1"], (await _store.ListSummariesAsync(null, "north", 10)).Select(r => r.Id));
    }

    [Fact]
    public async Task Summary_lists_give_the_newest_orders_first_up_to_the_limit()
    {
        await _store.SaveSummariesAsync(
            [Row("old", "k", "c1", Day2), Row("newest", "k", "c1", Day2.AddHours(2)), Row("middle", "k", "c1", Day2.AddHours(1)), Row("other", "k", "c2", Day2.AddHours(3))],
            "p", 1);

        Assert.Equal(["newest", "middle"], (await _store.ListSummariesAsync("c1", null, 2)).Select(r => r.Id));
        Assert.Equal(["other", "newest", "middle", "old"], (await _store.ListSummariesAsync(null, "k", 10)).Select(r => r.Id));
        Assert.Equal(["other"], (await _store.ListSummariesAsync(null, null, 1)).Select(r => r.Id));
    }

    [Fact]
    public async Task A_kitchen_event_about_an_order_is_part_of_that_orders_audit_trail()
    {
        var withdrawn = EventSerializer.ToWrite(new OrderWithdrawn("south", "o-7", "moved", Day2));
        await _store.CommitAsync(new Commit([Placed("o-7", "c1"), withdrawn]));

        Assert.Equal("kitchen-south", withdrawn.StreamId);
        Assert.Equal("o-7", withdrawn.OrderId);
        Assert.Equal(["OrderPlaced", "OrderWithdrawn"], (await _store.ReadByOrderAsync("o-7")).Select(e => e.Type));
    }

    [Fact]
    public async Task A_summary_shows_when_its_order_last_changed()
    {
        var acceptedAt = Day2.AddMinutes(5);
        await _store.CommitAsync(new Commit([Placed("o-1", "c1"), Accepted("o-1", "south", acceptedAt)]));
        using var projector = Projector();

        await projector.CatchUpAsync();

        var row = await _store.GetSummaryAsync("o-1");
        Assert.Equal("accepted", row?.Status);
        Assert.Equal("south", row?.OutletId);
        Assert.Equal(Day2, row?.PlacedAt);
        Assert.Equal(acceptedAt, row?.UpdatedAt);
    }

    [Fact]
    public async Task After_a_restart_the_projector_resumes_from_its_checkpoint_with_the_next_event()
    {
        await _store.CommitAsync(new Commit([Placed("o-1", "c1")]));
        // The first projector stays subscribed to the log (as a stopped process's would be gone), but no longer runs.
        using var before = Projector();
        await before.CatchUpAsync();
        Assert.Equal(1, await _store.GetCheckpointAsync(SummaryProjector.Name));
        await _store.CommitAsync(new Commit([Accepted("o-1", "south", Day2.AddMinutes(5))]));

        using var after = Projector();
        await after.CatchUpAsync();

        Assert.Equal("accepted", (await _store.GetSummaryAsync("o-1"))?.Status);
        Assert.Equal(2, after.Checkpoint);
        Assert.Equal(2, await _store.GetCheckpointAsync(SummaryProjector.Name));
    }

    [Fact]
    public async Task Rebuilding_the_summaries_drops_rows_the_log_does_not_hold()
    {
        await _store.CommitAsync(new Commit([Placed("o-1", "c1"), Accepted("o-1", "south", Day2.AddMinutes(5))]));
        using var projector = Projector();
        await projector.CatchUpAsync();
        var projected = await _store.GetSummaryAsync("o-1");
        await _store.SaveSummariesAsync([Row("ghost", "south", "c1", Day2)], "stray", 0);

        await projector.RebuildAsync();

        Assert.Null(await _store.GetSummaryAsync("ghost"));
        Assert.Equal(projected, await _store.GetSummaryAsync("o-1"));
        Assert.Equal(2, projector.Checkpoint);
    }

    [Fact]
    public async Task A_summary_save_answered_as_failed_although_it_landed_leaves_no_stale_row_behind()
    {
        await _store.CommitAsync(new Commit([Placed("o-1", "c1")]));
        using var projector = Projector();
        await projector.StartAsync(CancellationToken.None);
        try
        {
            await Until(async () => await _store.GetCheckpointAsync(SummaryProjector.Name) == 1);

            // The projector's save of the acceptance reaches the disk, but its answer is lost (as when
            // the connection drops during COMMIT): it starts again from the checkpoint it finds stored.
            _store.LoseNextSummaryAcknowledgements = 1;
            await _store.CommitAsync(new Commit([Accepted("o-1", "south", Day2.AddMinutes(5))]));
            await Until(() => Task.FromResult(Volatile.Read(ref _store.LoseNextSummaryAcknowledgements) == 0));
            Assert.Equal("accepted", (await _store.GetSummaryAsync("o-1"))?.Status);
            await _store.CommitAsync(new Commit([EventSerializer.ToWrite(new OrderPreparing("o-1", Day2.AddMinutes(6)))]));
            await Until(async () => await _store.GetCheckpointAsync(SummaryProjector.Name) == 3);
        }
        finally
        {
            await projector.StopAsync(CancellationToken.None);
        }

        // What a rebuild from the log holds: the order accepted at the south outlet, then preparing.
        var row = await _store.GetSummaryAsync("o-1");
        Assert.Equal("preparing", row?.Status);
        Assert.Equal("south", row?.OutletId);
        Assert.Equal(3, row?.Version);
    }

    [Fact]
    public async Task A_reset_that_fails_part_way_leaves_the_summaries_and_their_checkpoint_as_they_were()
    {
        await _store.CommitAsync(new Commit([Placed("o-1", "c1")]));
        using var projector = Projector();
        await projector.CatchUpAsync();
        // The second half of the reset fails (as a crash between the two would leave it).
        await using (var conn = new SqliteConnection($"Data Source={Path.Combine(_dir, "brigade.db")};Pooling=False"))
        {
            await conn.OpenAsync();
            using var trigger = conn.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER refuse_reset BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'injected failure'); END;";
            await trigger.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<SqliteException>(() => _store.ResetReadModelAsync(SummaryProjector.Name));

        // Rows dropped under a checkpoint that stayed would have the projector resume after orders it has no rows for.
        Assert.NotNull(await _store.GetSummaryAsync("o-1"));
        Assert.Equal(1, await _store.GetCheckpointAsync(SummaryProjector.Name));
    }

    /// <summary>Wait for a condition the projector's loop brings about (at most 30 s, then fail).</summary>
    private static async Task Until(Func<Task<bool>> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (limit.IsCancellationRequested) Assert.Fail("the projector did not get there within 30 s");
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
