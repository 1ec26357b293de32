using Brigade.Catalog;

namespace Brigade.Tests.Support;

/// <summary>Small catalogs for focused engine tests, written as the same JSON an owner would write.</summary>
public static class TestCatalogs
{
    public static RestaurantCatalog Demo { get; } = CatalogLoader.LoadDemo();

    /// <summary>Restaurant "r" with two staffed outlets, k1 and k2, close together, and one item (pizza, 300 s): for routing around an outlet that goes silent.</summary>
    public const string TwinJson = """
        {
          "timeZone": "UTC",
          "routing": { "silentAfterSeconds": 90 },
          "restaurants": [{
            "id": "r",
            "menu": [ { "id": "pizza", "priceCents": 900, "steps": [ { "name": "make", "station": "pizza", "workSeconds": 300 } ] } ],
            "outlets": [
              { "id": "k1", "lat": 52.52, "lon": 13.40, "stations": [ { "id": "pizza", "mode": "human" } ], "staff": [ { "id": "a", "skills": ["pizza"] } ] },
              { "id": "k2", "lat": 52.53, "lon": 13.42, "stations": [ { "id": "pizza", "mode": "human" } ], "staff": [ { "id": "b", "skills": ["pizza"] } ] }
            ]
          }]
        }
        """;

    /// <summary>
    /// One outlet "k" of restaurant "r". Station "pizza" (chefs a, b; speed 1) and "bread" (chef c).
    /// Oven: <paramref name="ovenUnits"/> × <paramref name="ovenSlots"/>. Items:
    /// pizza = top 60 s, bake 10 s + oven 300 s unattended; bread = knead 60 s, bake 10 s + oven 200 s;
    /// coffee = pull 10 s + machine 50 s attended (station bread, equipment oven, for contention tests).
    /// </summary>
    public static RestaurantCatalog Kitchen(
        int ovenUnits = 1,
        int ovenSlots = 2,
        string pizzaChefs = """{ "id": "a", "skills": ["pizza"] }, { "id": "b", "skills": ["pizza"] }""",
        string pizzaStation = """{ "id": "pizza" }""",
        string breadStation = """{ "id": "bread" }""",
        string outletExtra = "",
        string stock = "",
        string components = "",
        string pizzaFirstStep = "",
        string fleet = "") =>
        CatalogLoader.Parse($$"""
        {
          "timeZone": "UTC",
          {{(fleet.Length > 0 ? "\"fleet\": " + fleet + "," : "")}}
          "restaurants": [{
            "id": "r",
            "components": [ {{components}} ],
            "menu": [
              { "id": "pizza", "priceCents": 1000, "steps": [
                  {{pizzaFirstStep}}
                  { "name": "top", "station": "pizza", "workSeconds": 60 },
                  { "name": "bake", "station": "pizza", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 300 } ] },
              { "id": "bread", "priceCents": 400, "steps": [
                  { "name": "knead", "station": "bread", "workSeconds": 60 },
                  { "name": "bake", "station": "bread", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 200 } ] },
              { "id": "coffee", "priceCents": 300, "steps": [
                  { "name": "pull", "station": "bread", "workSeconds": 10, "equipment": "oven", "equipmentSeconds": 50, "attended": true } ] }
            ],
            "outlets": [{
              "id": "k", "lat": 52.52, "lon": 13.40,
              {{outletExtra}}
              "stations": [ {{pizzaStation}}, {{breadStation}} ],
              "equipment": [ { "id": "oven", "count": {{ovenUnits}}, "capacity": {{ovenSlots}} } ],
              "staff": [ {{pizzaChefs}}, { "id": "c", "skills": ["bread"] } ],
              "stock": [ {{stock}} ]
            }]
          }]
        }
        """, "test catalog");
}
