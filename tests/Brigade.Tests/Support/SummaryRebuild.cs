using Brigade.Orders;
using Brigade.Storage;

namespace Brigade.Tests.Support;

/// <summary>The read-model check both stores share: project, drop, rebuild from the log, compare.</summary>
public static class SummaryRebuild
{
    private const string Espresso = """{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}""";

    /// <summary>Six espressos made to the end; the summary table rebuilt from the log is row for row what was projected live.</summary>
    public static async Task AssertRebuiltIdenticallyAsync(TestApp app)
    {
        var ids = new List<string>();
        for (var i = 0; i < 6; i++) ids.Add((await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!);
        foreach (var id in ids) await app.WaitForStatusAsync(id, "ready");
        var projector = app.Service<SummaryProjector>();
        var store = app.Service<IReadModelStore>();
        await projector.CatchUpAsync();
        var before = await store.ListSummariesAsync(null, null, 100);

        await projector.RebuildAsync();
        var after = await store.ListSummariesAsync(null, null, 100);

        Assert.Equal(6, before.Count);
        Assert.All(before, row => Assert.Equal("ready", row.Status));
        Assert.Equal(before.OrderBy(r => r.Id), after.OrderBy(r => r.Id));
        Assert.Equal(await app.Service<IEventStore>().LastPositionAsync(), projector.Checkpoint);
    }
}
