using Brigade.Mdrp;

namespace Brigade.Tests.Mdrp;

public class MdrpSimulationTests
{
    [Fact]
    public void Parses_a_real_instance_with_the_counts_its_characteristics_file_states()
    {
        var instance = MdrpData.Load("0o100t100s1p100");
        var characteristics = File.ReadAllLines(Path.Combine(MdrpData.Root, "0o100t100s1p100", "instance_characteristics.txt"));
        int Count(string label) => int.Parse(characteristics.First(l => l.StartsWith(label, StringComparison.Ordinal)).Split(':')[1].Trim());
        Assert.Equal(Count("number of orders"), instance.Orders.Count);
        Assert.Equal(Count("number of restaurants"), instance.Restaurants.Count);
        Assert.Equal(Count("number of couriers"), instance.Couriers.Count);
        Assert.Equal(320, instance.Parameters.MetersPerMinute);
    }

    [Theory]
    [InlineData(0, 100, 0)]
    [InlineData(100, 100, 1)]
    [InlineData(100.5, 100, 2)]
    [InlineData(300, 400, 1)]
    [InlineData(401, 400, 2)]
    public void Travel_takes_the_ceiling_of_distance_over_speed_in_whole_minutes(double metres, double metersPerMinute, double minutes) =>
        Assert.Equal(minutes, new MdrpTravel(metersPerMinute).Minutes(new(0, 0), new(metres, 0)));

    [Fact]
    public void Solves_the_hand_made_instance_feasibly_and_delivers_every_order()
    {
        var instance = TinyInstance.Instance();
        var run = MdrpSimulation.Run(instance, MdrpPolicies.Default);
        Assert.Empty(MdrpChecker.Check(instance, run.Solution));
        Assert.Equal(0, run.Undelivered);
        Assert.Equal(3, run.Solution.Orders.Count);
    }

    [Fact]
    public void The_dispatcher_refuses_an_order_before_its_placement_time()
    {
        var instance = TinyInstance.Instance();
        var dispatcher = new MdrpDispatcher(instance.Parameters, instance.Restaurants, MdrpPolicies.Default);
        Assert.Throws<InvalidOperationException>(() => dispatcher.OrderPlaced(1, instance.Orders[1], now: 1));
        Assert.Throws<InvalidOperationException>(() => dispatcher.CourierOnline(0, instance.Couriers[0] with { OnTime = 5 }, now: 1));
    }

    [Fact]
    public void Decisions_made_before_minute_T_do_not_change_when_only_orders_placed_after_T_change()
    {
        var instance = MdrpData.Load("0o50t100s1p100");
        var t = instance.Orders.Select(o => o.PlacementTime).Order().ElementAt(instance.Orders.Count / 2);

        // Later orders: drop every third, move the others' customers and delay their food.
        var perturbed = instance.WithOrders(instance.Orders
            .Where((o, i) => o.PlacementTime <= t || i % 3 != 0)
            .Select(o => o.PlacementTime <= t ? o : o with { X = o.X + 700, Y = o.Y - 400, ReadyTime = o.ReadyTime + 7 }));
        Assert.True(perturbed.Orders.Count < instance.Orders.Count);

        var original = MdrpSimulation.Run(instance, MdrpPolicies.Default).Solution.Assignments;
        var changed = MdrpSimulation.Run(perturbed, MdrpPolicies.Default).Solution.Assignments;

        static List<string> Before(List<MdrpAssignmentRecord> assignments, double t) => assignments
            .Where(a => a.AssignmentTime <= t)
            .Select(a => $"{a.AssignmentTime} {a.PickupTime} {a.Courier} {string.Join(',', a.Orders)}")
            .ToList();

        var before = Before(original, t);
        Assert.True(before.Count > 50, "the comparison should cover many decisions");
        Assert.Equal(before, Before(changed, t));

        // And the change does show up after T, so the comparison is not vacuous.
        Assert.NotEqual(original.Count, changed.Count);
    }

    [Theory]
    [InlineData("0r50t100s1p100")]
    [InlineData("2o50t75s2p125")]
    [InlineData("1o50t100s1p125")]
    public void Runs_real_instances_end_to_end_with_feasible_solutions_and_sane_metrics(string name)
    {
        var instance = MdrpData.Load(name);
        var run = MdrpSimulation.Run(instance, MdrpPolicies.Default);

        // Check what would be written, read back from text.
        var a = new StringWriter();
        var o = new StringWriter();
        var m = new StringWriter();
        MdrpSolutionFormat.Write(run.Solution, a, o, m);
        var written = MdrpSolutionFormat.Read(new StringReader(a.ToString()), new StringReader(o.ToString()), new StringReader(m.ToString()));
        Assert.Empty(MdrpChecker.Check(instance, written));

        var metrics = MdrpMetrics.Compute(instance, written);
        Assert.Equal(run.Undelivered, metrics.Orders - metrics.Delivered);
        Assert.InRange(metrics.UndeliveredPercent, 0, 10);
        Assert.InRange(metrics.ClickToDoorMean, metrics.FloorClickToDoorMean - 0.5, metrics.FloorClickToDoorMean + 15);
        Assert.True(metrics.ClickToDoorP90 >= metrics.ClickToDoorMean);
        Assert.True(metrics.ReadyToPickupMean >= 0);
        Assert.InRange(metrics.CourierUtilization, 0.05, 1);
        Assert.InRange(metrics.OrdersPerBundle, 1, MdrpPolicies.Default.Matcher.MaxBundleSize);
        Assert.True(metrics.CostPerOrder >= instance.Parameters.PayPerOrder);
        Assert.InRange(metrics.GuaranteeFraction, 0, 1);
    }
}
