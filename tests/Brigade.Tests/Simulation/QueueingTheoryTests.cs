using Brigade.Catalog;
using Brigade.Engine;
using Brigade.Kitchen;
using Brigade.Simulation;
using Xunit.Abstractions;

namespace Brigade.Tests.Simulation;

/// <summary>
/// The engine, driven by the simulator, against queueing theory: Poisson arrivals at one station
/// with c chefs and exponential service times is an M/M/c queue, whose mean wait is given by
/// Erlang's C formula.
/// </summary>
public class QueueingTheoryTests(ITestOutputHelper output)
{
    /// <summary>Erlang C: the probability that an arrival waits, for c servers and offered load a = λ/μ.</summary>
    internal static double ErlangC(int c, double a)
    {
        double sum = 0, term = 1; // term = a^k / k!
        for (var k = 0; k < c; k++)
        {
            sum += term;
            term *= a / (k + 1);
        }
        var top = term * c / (c - a); // a^c / c! · c / (c − a)
        return top / (sum + top);
    }

    [Fact]
    public void Erlang_C_for_one_server_is_the_utilisation()
    {
        Assert.Equal(0.7, ErlangC(1, 0.7), 12);
        Assert.Equal(4.5 / 7, ErlangC(2, 1.5), 12);
    }

    [Fact]
    public void Poisson_arrivals_and_exponential_service_at_one_station_reproduce_the_Erlang_C_mean_wait_within_5_percent()
    {
        const int chefs = 3;
        const double serviceMinutes = 5;     // 1/μ
        const double arrivalsPerHour = 25.2; // λ: offered load a = λ/μ = 2.1, utilisation 70 %
        const int items = 2000;
        var hours = 4000;

        // Service times are data, like everything the kitchen cooks: the menu has many items whose
        // work times are the quantiles of the exponential distribution, (i + ½)/n for i < n, and each
        // customer picks one at random, so the time a chef spends is exponential with mean 1/μ.
        var menu = string.Join(",\n", Enumerable.Range(0, items).Select(i =>
        {
            var seconds = -Math.Log(1 - (i + 0.5) / items) * serviceMinutes * 60;
            return $$"""{ "id": "job-{{i}}", "name": "Job {{i}}", "priceCents": 100, "steps": [ { "name": "serve", "station": "desk", "workSeconds": {{seconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}} } ] }""";
        }));
        var staff = string.Join(",", Enumerable.Range(0, chefs).Select(i => $$"""{ "id": "chef-{{i}}", "name": "Chef {{i}}", "skills": ["desk"] }"""));
        var catalog = CatalogLoader.Parse($$"""
            {
              "name": "M/M/c", "timeZone": "UTC",
              "restaurants": [ { "id": "queue", "name": "Queue", "menu": [ {{menu}} ],
                "outlets": [ { "id": "server", "name": "Server", "lat": 52.5, "lon": 13.4, "maxPromiseMinutes": 100000,
                  "stations": [ { "id": "desk", "name": "Desk", "targetWaitSeconds": 100000, "maxQueuedTasks": 1000000 } ],
                  "staff": [ {{staff}} ] } ] } ]
            }
            """, "m/m/c");
        var restaurant = catalog.Restaurants[0];
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddHours(hours);
        var scenario = new Scenario
        {
            Name = "m/m/c",
            Variant = ScenarioCompiler.Baseline,
            Catalog = catalog,
            EngineOptions = new EngineOptions { Kitchen = new KitchenOptions { ReviewInterval = TimeSpan.FromHours(1) } },
            Start = start,
            DemandEnd = end,
            DrainUntil = end.AddHours(10),
            Seed = 42,
            SampleInterval = TimeSpan.FromHours(1),
            Curve = [(start, arrivalsPerHour), (end, arrivalsPerHour)],
            Mix = [new DemandMix(restaurant, 1, restaurant.Menu, restaurant.Menu.Select(_ => 1.0).ToList())],
            DeliveryShare = 0,
            MinItems = 1,
            MaxItems = 1,
            CollectMin = TimeSpan.Zero,
            CollectMax = TimeSpan.Zero,
        };

        var result = new Simulator(scenario).Run();

        var a = arrivalsPerHour * serviceMinutes / 60;
        var expectedWaitMinutes = ErlangC(chefs, a) / (chefs / serviceMinutes - arrivalsPerHour / 60);
        var station = Assert.Single(result.Summary.Stations);
        Assert.True(result.InvariantsHold);
        Assert.InRange(result.Summary.OrdersPlaced, hours * arrivalsPerHour * 0.98, hours * arrivalsPerHour * 1.02);
        Assert.Equal(result.Summary.OrdersPlaced, station.Tasks);
        var error = Math.Abs(station.WaitMinutes.Mean - expectedWaitMinutes) / expectedWaitMinutes;
        output.WriteLine($"{result.Summary.OrdersPlaced} orders; mean wait {station.WaitMinutes.Mean:0.0000} min; Erlang C {expectedWaitMinutes:0.0000} min; {error:P2} off");
        Assert.True(error < 0.05, $"mean wait {station.WaitMinutes.Mean:0.000} min, Erlang C {expectedWaitMinutes:0.000} min ({error:P1} off)");
    }
}
