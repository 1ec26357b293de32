using Brigade.Storage;
using Brigade.Storage.Postgres;
using Brigade.Tests.Support;

namespace Brigade.Tests.Storage;

/// <summary>
/// The store conformance suite on a real PostgreSQL server, and what only a shared database
/// brings: several store instances (as several processes would hold) writing the same log.
/// </summary>
public sealed class PostgresEventStoreTests : EventStoreConformance
{
    private PostgresDatabase? _db;
    private readonly List<IEventStore> _others = [];

    protected override async Task<IEventStore> OpenAsync()
    {
        _db ??= await PostgresDatabase.CreateAsync();
        var store = new PostgresEventStore(_db.ConnectionString);
        await store.InitializeAsync();
        return store;
    }

    /// <summary>Another store instance on the same database: a second process.</summary>
    private async Task<IEventStore> SecondProcessAsync()
    {
        var store = await OpenAsync();
        _others.Add(store);
        return store;
    }

    protected override void FailNextBatch(IEventStore store) => ((PostgresEventStore)store).FailNextBatches = 1;

    protected override async Task CleanUpAsync()
    {
        foreach (var s in _others) await s.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }

    [Fact]
    public async Task Reads_carry_on_when_the_database_has_dropped_every_pooled_connection()
    {
        await Store.CommitAsync(new Commit([E("order-r")]));
        // Several reads at once leave several connections in the pool.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.ReadStreamAsync("order-r")));
        await using (var admin = new Npgsql.NpgsqlConnection(_db!.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
            Assert.True((long)(await kill.ExecuteScalarAsync())! >= 2);
        }

        for (var i = 0; i < 8; i++)
        {
            Assert.Single(await Store.ReadStreamAsync("order-r"));
            Assert.Equal(1, await Store.LastPositionAsync());
        }
    }

    [Fact]
    public async Task Of_two_processes_writing_the_same_stream_exactly_one_wins_each_round()
    {
        var other = await SecondProcessAsync();
        await Store.CommitAsync(new Commit([E("order-s")]));

        for (var version = 1; version <= 15; version++)
        {
            var expect = new Dictionary<string, long> { ["order-s"] = version };
            var attempts = await Task.WhenAll(
                Enumerable.Range(0, 3).SelectMany(i => new[] { Store, other }.Select(s => Capture(s.CommitAsync(new Commit([E("order-s", "Writer" + i)], expect))))));

            Assert.Single(attempts, a => a is null);
            Assert.All(attempts.Where(a => a is not null), a => Assert.IsType<ConcurrencyException>(a));
        }
        Assert.Equal(Enumerable.Range(1, 16).Select(v => (long)v), (await Store.ReadStreamAsync("order-s")).Select(e => e.Version));
    }

    [Fact]
    public async Task Positions_stay_contiguous_and_in_commit_order_under_concurrent_writers_from_two_processes()
    {
        var other = await SecondProcessAsync();
        var follower = await SecondProcessAsync();
        const int ClientsPerProcess = 6, CommitsPerClient = 30;
        using var done = new CancellationTokenSource();

        // A reader following position > checkpoint, as a projector in a third process would: it must never see a gap.
        var followed = new List<StoredEvent>();
        var follow = Task.Run(async () =>
        {
            while (true)
            {
                var stop = done.IsCancellationRequested;
                await foreach (var e in follower.ReadAllAsync(followed.Count == 0 ? 0 : followed[^1].Position))
                {
                    Assert.True(e.Position == followed.Count + 1, $"the follower saw position {e.Position} after {followed.Count}");
                    followed.Add(e);
                }
                if (stop) return;
                await Task.Delay(2);
            }
        });

        var clients = new[] { Store, other }.SelectMany((store, s) => Enumerable.Range(0, ClientsPerProcess).Select(c => Task.Run(async () =>
        {
            var positions = new List<long>();
            for (var i = 0; i < CommitsPerClient; i++)
            {
                var result = await store.CommitAsync(new Commit([E($"order-{s}-{c}"), E("kitchen-shared")]));
                positions.Add(result.FirstPosition);
            }
            return positions;
        }))).ToList();
        var perClient = await Task.WhenAll(clients);
        await done.CancelAsync();
        await follow;

        // A commit made after another completed comes later in the log.
        foreach (var positions in perClient) Assert.Equal(positions.Order(), positions);
        const int Events = 2 * ClientsPerProcess * CommitsPerClient * 2;
        Assert.Equal(Enumerable.Range(1, Events).Select(p => (long)p), followed.Select(e => e.Position));
        Assert.Equal(Events, await other.LastPositionAsync());
        // The stream both processes wrote has one version per event, in log order.
        var shared = followed.Where(e => e.StreamId == "kitchen-shared").ToList();
        Assert.Equal(Enumerable.Range(1, Events / 2).Select(v => (long)v), shared.Select(e => e.Version));
    }

    [Fact]
    public async Task A_process_continues_a_stream_another_process_wrote_meanwhile()
    {
        var other = await SecondProcessAsync();
        await Store.CommitAsync(new Commit([E("kitchen-k")]));
        await other.CommitAsync(new Commit([E("kitchen-k")]));

        var mine = await Store.CommitAsync(new Commit([E("kitchen-k")]));
        var error = await Capture(other.CommitAsync(new Commit([E("kitchen-k")], new Dictionary<string, long> { ["kitchen-k"] = 2 })));

        Assert.Equal([3L], mine.Versions);
        Assert.Equal(3, Assert.IsType<ConcurrencyException>(error).Actual);
        Assert.Equal([1L, 2, 3], (await other.ReadStreamAsync("kitchen-k")).Select(e => e.Version));
    }

    [Fact]
    public async Task An_order_idempotency_key_raced_by_two_processes_places_one_order()
    {
        var other = await SecondProcessAsync();
        const int Keys = 20;

        var attempts = await Task.WhenAll(Enumerable.Range(0, Keys).SelectMany(k => new[]
        {
            Capture(Store.CommitAsync(new Commit([Placed($"a{k}", "cust", $"key-{k}")]))),
            Capture(other.CommitAsync(new Commit([Placed($"b{k}", "cust", $"key-{k}")]))),
        }));

        var placed = (await ReadAll(Store)).Where(e => e.Type == "OrderPlaced").ToList();
        Assert.Equal(Keys, placed.Count);
        Assert.Equal(Keys, attempts.Count(a => a is null));
        for (var k = 0; k < Keys; k++)
        {
            var refused = Assert.IsType<DuplicateKeyException>(attempts[2 * k] ?? attempts[2 * k + 1]);
            var winner = attempts[2 * k] is null ? $"a{k}" : $"b{k}";
            Assert.Equal(winner, refused.ExistingValue);
            Assert.Equal($"cust\nkey-{k}", refused.Key);
        }
        // The same key for another customer is another order.
        await Store.CommitAsync(new Commit([Placed("c0", "someone-else", "key-0")]));
    }

    [Fact]
    public async Task The_unique_index_refuses_a_second_order_with_the_same_key_even_written_by_hand()
    {
        await Store.CommitAsync(new Commit([Placed("o1", "cust", "k")]));

        var error = await Capture(_db!.ScalarAsync("""
            INSERT INTO events (position, stream_id, version, type, data, at) SELECT 2, 'order-o2', 1, type, data, at FROM events WHERE position = 1
            """));

        Assert.Contains(PostgresSchema.IdempotencyIndex, error?.Message ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dedup_key_raced_by_two_processes_is_taken_once()
    {
        var other = await SecondProcessAsync();

        var attempts = await Task.WhenAll(
            Capture(Store.CommitAsync(new Commit([E("order-1")], Dedup: new DedupKey("webhook", "evt-1", "first")))),
            Capture(other.CommitAsync(new Commit([E("order-2")], Dedup: new DedupKey("webhook", "evt-1", "second")))));

        Assert.Single(attempts, a => a is null);
        Assert.Single(attempts, a => a is DuplicateKeyException);
        Assert.Equal(1, await Store.LastPositionAsync());
    }

    [Fact]
    public async Task When_the_writer_loses_its_connection_that_batch_fails_and_the_next_one_reconnects()
    {
        var store = (PostgresEventStore)Store;
        await store.CommitAsync(new Commit([E("order-w")]));
        var pid = store.WriterBackendPid;
        Assert.NotEqual(0, pid);
        Assert.Equal(true, await _db!.ScalarAsync("SELECT pg_terminate_backend($1)", pid));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Capture(store.CommitAsync(new Commit([E("order-x" + i)])))));
        var after = await store.CommitAsync(new Commit([E("order-y")]));

        Assert.Contains(outcomes, o => o is not null);
        Assert.NotEqual(pid, store.WriterBackendPid);
        var log = await ReadAll(Store);
        // Nothing of a failed commit was written, everything acknowledged was, and positions have no gap.
        Assert.Equal(Enumerable.Range(1, log.Count).Select(p => (long)p), log.Select(e => e.Position));
        var written = Enumerable.Range(0, 5).Where(i => outcomes[i] is null).Select(i => "order-x" + i);
        Assert.Equal(["order-w", .. written, "order-y"], log.Select(e => e.StreamId));
        Assert.Equal(log.Count, after.LastPosition);
    }

    [Fact]
    public async Task A_commit_holding_a_nul_character_fails_alone_and_the_rest_of_its_batch_goes_through()
    {
        // PostgreSQL's jsonb and text cannot hold U+0000; SQLite can. One such commit must not take its batch with it.
        var commits = Enumerable.Range(0, 10).Select(i => Store.CommitAsync(new Commit(
            [i == 4 ? E("order-z4", json: "{\"reason\":\"oven\\u0000clean\"}") : i == 6 ? E("order-z\u00006") : E("order-z" + i), E("kitchen-k")]))).ToList();

        var outcomes = await Task.WhenAll(commits.Select(Capture));

        Assert.IsType<ArgumentException>(outcomes[4]);
        Assert.IsType<ArgumentException>(outcomes[6]);
        Assert.Equal(8, outcomes.Count(o => o is null));
        Assert.Equal(Enumerable.Range(1, 8).Select(v => (long)v), (await Store.ReadStreamAsync("kitchen-k")).Select(e => e.Version));
        Assert.Empty(await Store.ReadStreamAsync("order-z4"));
        Assert.Equal(16, await Store.LastPositionAsync());
        // Escaped, the six characters \u0000 are ordinary text.
        await Store.CommitAsync(new Commit([E("order-text", json: "{\"reason\":\"\\\\u0000\"}")]));
    }

    [Fact]
    public async Task A_second_engine_cannot_take_the_database_while_the_first_holds_it()
    {
        await using var first = new PostgresEngineLock(_db!.ConnectionString);
        await using var second = new PostgresEngineLock(_db.ConnectionString);
        await first.AcquireAsync();

        var error = await Capture(second.AcquireAsync());

        var refused = Assert.IsType<EngineOwnedException>(error);
        Assert.Contains($"database '{_db.Name}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("owned by 'brigade engine on", refused.Message, StringComparison.Ordinal);
        await first.DisposeAsync();
        await second.AcquireAsync();
    }

    [Fact]
    public async Task An_engine_that_lost_its_lock_to_another_process_is_told_so()
    {
        await using var first = new PostgresEngineLock(_db!.ConnectionString);
        await first.AcquireAsync();
        var pid = Convert.ToInt32(await _db.ScalarAsync(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'brigade engine%'"), System.Globalization.CultureInfo.InvariantCulture);

        await _db.ScalarAsync("SELECT pg_terminate_backend($1)", pid);
        await using var second = new PostgresEngineLock(_db.ConnectionString);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await Capture(second.AcquireAsync()) is EngineOwnedException)
        {
            Assert.True(DateTime.UtcNow < deadline, "the terminated session's lock was never released");
            await Task.Delay(50);
        }

        var lost = new TaskCompletionSource();
        first.Lost.Register(() => lost.TrySetResult());
        Assert.True(await Task.WhenAny(lost.Task, Task.Delay(TimeSpan.FromSeconds(30))) == lost.Task, "the first engine was never told it lost the lock");
    }
}
