using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Geo;
using Brigade.Http;

namespace Brigade.Catalog;

public sealed record OutletSummary(string Id, string Name, double Lat, double Lon, bool Open, double MaxPromiseMinutes, double? ZoneRadiusKm, IReadOnlyList<GeoPoint>? ZonePolygon);

public sealed record RestaurantSummary(string Id, string Name, string Cuisine, string Description, IReadOnlyList<OutletSummary> Outlets);

public sealed record MenuItemResponse(string Id, string Name, string Description, int PriceCents, double PrepMinutes, IReadOnlyList<string> Stations);

public sealed record MenuResponse(string RestaurantId, string Name, IReadOnlyList<MenuItemResponse> Items);

/// <summary>The catalog API: restaurants, their outlets and menus. Public: no token needed.</summary>
public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalog(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/restaurants").WithTags("Catalog").AllowAnonymous();

        group.MapGet("/", (RestaurantCatalog catalog, EngineHost engine) =>
        {
            var now = engine.Clock.GetUtcNow();
            return TypedResults.Ok(catalog.Restaurants.Select(r => Summary(r, now)).ToList());
        }).WithName("ListRestaurants").WithSummary("Restaurants and their outlets");

        group.MapGet("/{id}", Results<Ok<RestaurantSummary>, ProblemHttpResult> (string id, RestaurantCatalog catalog, EngineHost engine) =>
            catalog.FindRestaurant(id) is { } r
                ? TypedResults.Ok(Summary(r, engine.Clock.GetUtcNow()))
                : NotFound(id)).WithName("GetRestaurant");

        group.MapGet("/{id}/menu", Results<Ok<MenuResponse>, ProblemHttpResult> (string id, RestaurantCatalog catalog) =>
            catalog.FindRestaurant(id) is { } r
                ? TypedResults.Ok(new MenuResponse(r.Id, r.Name, r.Menu.Select(i => new MenuItemResponse(i.Id, i.Name, i.Description, i.PriceCents,
                    Math.Round(i.Steps.Sum(s => s.Duration.TotalMinutes), 1), i.Steps.Select(s => s.Station).Distinct().ToList())).ToList()))
                : NotFound(id)).WithName("GetMenu").WithSummary("A restaurant's menu");

        return group;
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"There is no restaurant '{id}'.", statusCode: 404, title: "Not found", type: "urn:brigade:problem:not-found");

    private static RestaurantSummary Summary(Restaurant r, DateTimeOffset now) => new(r.Id, r.Name, r.Cuisine, r.Description,
        r.Outlets.Select(o => new OutletSummary(o.Id, o.Name, o.Location.Lat, o.Location.Lon, o.IsOpen(now), o.MaxPromise.TotalMinutes,
            o.Zone.Polygon is null ? o.Zone.RadiusMetres / 1000 : null, o.Zone.Polygon)).ToList());
}
