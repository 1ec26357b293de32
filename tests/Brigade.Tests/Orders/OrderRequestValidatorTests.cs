using Brigade.Geo;
using Brigade.Orders;
using Brigade.Tests.Support;

namespace Brigade.Tests.Orders;

public class OrderRequestValidatorTests
{
    [Fact]
    public void A_valid_request_keeps_the_catalog_s_own_ids_not_the_request_s_copies()
    {
        var catalog = TestCatalogs.Demo;
        // Ids as a request body brings them: equal text, other instances.
        string Copy(string s) => new(s.AsSpan());
        var request = new PlaceOrderRequest
        {
            RestaurantId = Copy("pizza-parlor"),
            OutletId = Copy("pizza-north"),
            Items = [new OrderLineRequest { MenuItemId = Copy("margherita"), Quantity = 2 }],
            DeliverTo = new LatLonRequest { Lat = 52.53, Lon = 13.41 },
        };

        var (order, errors) = OrderRequestValidator.Validate(request, catalog);

        Assert.Empty(errors);
        var restaurant = catalog.FindRestaurant("pizza-parlor")!;
        Assert.Same(restaurant.Id, order!.RestaurantId);
        Assert.Same(restaurant.Outlets.First(o => o.Id == "pizza-north").Id, order.OutletId);
        Assert.Same(restaurant.FindItem("margherita")!.Id, Assert.Single(order.Lines).MenuItemId);
        Assert.Equal(2, order.Lines[0].Quantity);
        Assert.Equal(new GeoPoint(52.53, 13.41), order.DeliverTo);
    }
}
