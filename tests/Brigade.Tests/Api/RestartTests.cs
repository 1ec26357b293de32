using Brigade.Orders;
using Brigade.Storage;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

public class RestartTests
{
    private const string Pizza = """{"restaurantId":"pizza-parlor","outletId":"pizza-south","items":[{"menuItemId":"pepperoni","quantity":2}]}""";

    [Fact]
    public async Task Orders_survive_a_restart_and_the_kitchen_carries_on_with_them()
    {
        await using var app = await TestApp.StartAsync(timeScale: 300);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await app.PlaceAsync(Pizza, $"restart-{i}")).GetProperty("id").GetString()!);

        await app.RestartAsync();

        foreach (var id in ids) Assert.Equal(id, (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("id").GetString());
        // The idempotency keys survived too: retrying gives the same orders, not new ones.
        for (var i = 0; i < 5; i++) Assert.Equal(ids[i], (await app.PlaceAsync(Pizza, $"restart-{i}")).GetProperty("id").GetString());
        try
        {
            foreach (var id in ids) await app.WaitForStatusAsync(id, "ready", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            // Say what the kitchen was doing, to find out why it stopped.
            throw new TimeoutException(e.Message + "; kitchen: " + await app.Client.GetStringAsync("/api/outlets/pizza-south/kitchen"), e);
        }
        Assert.Equal(5, await OrderApiTests.CountPlacedAsync(app));
    }

    [Fact]
    public async Task The_order_summary_read_model_is_rebuilt_identically_from_the_log()
    {
        await using var app = await TestApp.StartAsync(timeScale: 6000);
        await SummaryRebuild.AssertRebuiltIdenticallyAsync(app);
    }
}
