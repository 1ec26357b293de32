using System.Globalization;
using System.Security.Cryptography;
using System.Text.Unicode;
using Brigade.Catalog;
using Brigade.Geo;
using Brigade.Orders;

namespace Brigade.Orders;

/// <summary>The body of <c>POST /api/orders</c>. Fields are parsed leniently and validated explicitly, so every mistake gets a message.</summary>
public sealed class PlaceOrderRequest
{
    public string? RestaurantId { get; set; }
    public string? OutletId { get; set; }
    public List<OrderLineRequest?>? Items { get; set; }
    public LatLonRequest? DeliverTo { get; set; }
}

public sealed class OrderLineRequest
{
    public string? MenuItemId { get; set; }
    public double? Quantity { get; set; }
}

public sealed class LatLonRequest
{
    public double? Lat { get; set; }
    public double? Lon { get; set; }
}

/// <summary>A request that passed validation, in the engine's terms.</summary>
public sealed record ValidOrder(string RestaurantId, string? OutletId, IReadOnlyList<OrderLine> Lines, GeoPoint? DeliverTo)
{
    /// <summary>
    /// A hash of what was asked for, independent of JSON formatting and property order: the same
    /// idempotency key with a different request is refused.
    /// </summary>
    public string Hash()
    {
        // The text hashed is "restaurant|outlet|item*qty,…|lat,lon"; it is stored in OrderPlaced and
        // compared on replay, so it must never change. Formatted on the stack; a request too long
        // for that (dozens of lines with long ids) is formatted again into a larger buffer.
        Span<byte> text = stackalloc byte[1024];
        if (!TryFormat(text, out var n))
        {
            text = new byte[16 * 1024];
            while (!TryFormat(text, out n)) text = new byte[text.Length * 2];
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text[..n], digest);
        return Convert.ToHexStringLower(digest[..16]);
    }

    private bool TryFormat(Span<byte> text, out int length)
    {
        if (!Utf8.TryWrite(text, CultureInfo.InvariantCulture, $"{RestaurantId}|{OutletId}|", out length)) return false;
        int written;
        foreach (var l in Lines)
        {
            if (!Utf8.TryWrite(text[length..], CultureInfo.InvariantCulture, $"{l.MenuItemId}*{l.Quantity},", out written)) return false;
            length += written;
        }
        if (DeliverTo is not { } at) return true;
        if (!Utf8.TryWrite(text[length..], CultureInfo.InvariantCulture, $"|{at.Lat:R},{at.Lon:R}", out written)) return false;
        length += written;
        return true;
    }
}

public static class OrderRequestValidator
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 99;
    public const int MaxUnits = 200;
    private static readonly Dictionary<string, string[]> NoErrors = [];

    public static (ValidOrder? Order, Dictionary<string, string[]> Errors) Validate(PlaceOrderRequest req, RestaurantCatalog catalog)
    {
        Dictionary<string, string[]>? errors = null;
        void Add(string field, string message)
        {
            errors ??= [];
            errors[field] = errors.TryGetValue(field, out var m) ? [.. m, message] : [message];
        }

        Restaurant? restaurant = null;
        if (string.IsNullOrWhiteSpace(req.RestaurantId)) Add("restaurantId", "restaurantId is required.");
        else if ((restaurant = catalog.FindRestaurant(req.RestaurantId)) is null) Add("restaurantId", $"There is no restaurant '{req.RestaurantId}'.");

        Outlet? outlet = null;
        if (req.OutletId is not null && restaurant is not null && (outlet = restaurant.Outlets.FirstOrDefault(o => o.Id == req.OutletId)) is null)
            Add("outletId", $"{restaurant.Id} has no outlet '{req.OutletId}'.");

        var lines = new List<OrderLine>();
        if (req.Items is null || req.Items.Count == 0) Add("items", "items must list at least one menu item.");
        else if (req.Items.Count > MaxLines) Add("items", $"At most {MaxLines} lines per order, not {req.Items.Count}.");
        else
        {
            var units = 0;
            for (var i = 0; i < req.Items.Count; i++)
            {
                var line = req.Items[i];
                var field = $"items[{i}]";
                if (line is null) { Add(field, $"{field} must be an object."); continue; }
                MenuItem? item = null;
                if (string.IsNullOrWhiteSpace(line.MenuItemId)) Add($"{field}.menuItemId", "menuItemId is required.");
                else if (restaurant is not null && (item = restaurant.FindItem(line.MenuItemId)) is null)
                    Add($"{field}.menuItemId", $"{restaurant.Name} has no menu item '{line.MenuItemId}'.");
                if (line.Quantity is not { } q) { Add($"{field}.quantity", "quantity is required."); continue; }
                if (q != Math.Floor(q) || q < 1 || q > MaxQuantity)
                {
                    Add($"{field}.quantity", $"quantity must be a whole number from 1 to {MaxQuantity}, not {q.ToString(CultureInfo.InvariantCulture)}.");
                    continue;
                }
                units += (int)q;
                if (item is not null) lines.Add(new OrderLine(item.Id, (int)q));
            }
            if (units > MaxUnits) Add("items", $"At most {MaxUnits} items in one order, not {units}.");
        }

        GeoPoint? deliverTo = null;
        if (req.DeliverTo is { } d)
        {
            if (d.Lat is not { } lat || d.Lon is not { } lon) Add("deliverTo", "deliverTo needs both lat and lon.");
            else if (!GeoPoint.IsValid(lat, lon)) Add("deliverTo", $"({lat.ToString(CultureInfo.InvariantCulture)}, {lon.ToString(CultureInfo.InvariantCulture)}) is not a valid position: lat must be within ±90 and lon within ±180.");
            else deliverTo = new GeoPoint(lat, lon);
        }

        // The ids kept are the catalog's own strings, not the request's copies, and the lines an
        // array of their exact size: an order lives in memory for as long as it is open, and all
        // it holds is copied by every collection with it.
        if (errors is not null) return (null, errors);
        return (new ValidOrder(restaurant!.Id, outlet?.Id, lines.ToArray(), deliverTo), NoErrors);
    }
}
