using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Brigade.Geo;
using Brigade.Orders;

namespace Brigade.Tests.Orders;

/// <summary>
/// The request hash travels in <c>OrderPlaced</c> and is compared again after a restart, so its
/// text is a stored format: these tests pin it.
/// </summary>
public class RequestHashTests
{
    [Fact]
    public void A_request_hashes_as_it_did_when_the_first_logs_were_written()
    {
        var order = new ValidOrder("bench-bistro", null, [new OrderLine("soup", 2)], new GeoPoint(52.521, 13.401));
        Assert.Equal("44659184ddc10143920d3e1255d838ab", order.Hash());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(50)]
    public void The_hash_is_the_documented_text_hashed_short_or_long(int lines)
    {
        // 50 lines of long ids pass the stack buffer and take the other path: both must agree with the format.
        var items = Enumerable.Range(0, lines).Select(i => new OrderLine($"item-{i}-{new string('x', lines > 10 ? 40 : 1)}", i % 7 + 1)).ToList();
        foreach (var order in new[]
        {
            new ValidOrder("pizza-parlor", "pizza-north", items, new GeoPoint(52.5200066, 13.404954)),
            new ValidOrder("pizza-parlor", null, items, null),
        })
        {
            Assert.Equal(Expected(order), order.Hash());
        }
    }

    [Fact]
    public void Any_difference_in_what_was_asked_changes_the_hash()
    {
        var order = new ValidOrder("pizza-parlor", null, [new OrderLine("margherita", 1)], new GeoPoint(52.52, 13.40));
        Assert.NotEqual(order.Hash(), (order with { Lines = [new OrderLine("margherita", 2)] }).Hash());
        Assert.NotEqual(order.Hash(), (order with { OutletId = "pizza-north" }).Hash());
        Assert.NotEqual(order.Hash(), (order with { DeliverTo = new GeoPoint(52.52, 13.41) }).Hash());
        Assert.NotEqual(order.Hash(), (order with { DeliverTo = null }).Hash());
    }

    private static string Expected(ValidOrder o)
    {
        var text = new StringBuilder($"{o.RestaurantId}|{o.OutletId}|");
        foreach (var l in o.Lines) text.Append(CultureInfo.InvariantCulture, $"{l.MenuItemId}*{l.Quantity},");
        if (o.DeliverTo is { } p) text.Append(CultureInfo.InvariantCulture, $"|{p.Lat:R},{p.Lon:R}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))[..16]);
    }
}
