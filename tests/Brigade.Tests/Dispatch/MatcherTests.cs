using Brigade.Dispatch;
using FsCheck;
using FsCheck.Fluent;

namespace Brigade.Tests.Dispatch;

public class MatcherTests
{
    // 10 m/s with no detour: 600 m is one minute.
    private static readonly ITravelTime Travel = new StraightLineTravel(10, 1.0);

    private static Matcher NewMatcher(MatcherOptions? options = null) =>
        new(options ?? new MatcherOptions(), Travel, new BruteForceCourierCandidates());

    private static DispatchOrder Order(long id, long outlet, Position pickup, Position dropoff, double placed, double ready) =>
        new(id, outlet, pickup, dropoff, placed, ready);

    [Fact]
    public void Holds_a_courier_back_until_it_must_leave_to_arrive_as_the_food_is_ready()
    {
        // Courier 3,000 m (5 min) from the outlet; food ready in 20 min; 2 min service before pickup.
        var now = 1000.0;
        var plan = NewMatcher().Match(now, [Order(1, 1, new(0, 0), new(600, 0), now, now + 1200)], [new DispatchCourier(7, new(3000, 0), now, now + 7200)]);

        var a = Assert.Single(plan.Assignments);
        Assert.False(a.CommitNow);
        Assert.Equal(now + 1200 - 120 - 300, a.DepartAt);
        Assert.Equal(now + 1200, a.PickupAt);
        Assert.Equal(now + 1200 + 120 + 60 + 120, a.DropoffAt[0]);
    }

    [Fact]
    public void Commits_when_the_courier_must_leave_before_the_next_round()
    {
        var now = 1000.0;
        var plan = NewMatcher().Match(now, [Order(1, 1, new(0, 0), new(600, 0), now, now + 400)], [new DispatchCourier(7, new(3000, 0), now, now + 7200)]);

        var a = Assert.Single(plan.Due);
        Assert.Equal(7, a.CourierId);
        Assert.Equal(now, a.DepartAt);
        Assert.Equal(now + 420, a.PickupAt); // arrives at +300, collects 2 min later: 20 s after ready
    }

    [Fact]
    public void Plans_a_busy_courier_from_where_and_when_it_will_be_free()
    {
        var now = 1000.0;
        var plan = NewMatcher().Match(now, [Order(1, 1, new(0, 0), new(600, 0), now, now + 300)], [new DispatchCourier(7, new(600, 0), now + 600, now + 7200)]);

        var a = Assert.Single(plan.Assignments);
        Assert.Equal(now + 600, a.DepartAt);
        Assert.Equal(now + 600 + 60 + 120, a.PickupAt);
        Assert.False(a.CommitNow);
    }

    [Fact]
    public void Prefers_the_courier_that_collects_the_food_on_time()
    {
        var now = 0.0;
        var plan = NewMatcher().Match(
            now,
            [Order(1, 1, new(0, 0), new(600, 0), now, now + 300)],
            [new DispatchCourier(1, new(9000, 0), now, 7200), new DispatchCourier(2, new(0, 1200), now, 7200)]);
        Assert.Equal(2, Assert.Single(plan.Assignments).CourierId);
    }

    [Fact]
    public void Gives_the_order_to_the_courier_whose_extra_order_costs_less_when_both_are_on_time()
    {
        var now = 0.0;
        DispatchCourier[] couriers = [new(1, new(0, 600), now, 7200, CostPerOrder: 50), new(2, new(0, -600), now, 7200)];
        var plan = NewMatcher().Match(now, [Order(1, 1, new(0, 0), new(600, 0), now, 600)], couriers);
        Assert.Equal(2, Assert.Single(plan.Assignments).CourierId);

        couriers[1] = couriers[1] with { CostPerOrder = 100 };
        plan = NewMatcher().Match(now, [Order(1, 1, new(0, 0), new(600, 0), now, 600)], couriers);
        Assert.Equal(1, Assert.Single(plan.Assignments).CourierId);
    }

    [Fact]
    public void Never_plans_a_pickup_after_the_couriers_shift_ends()
    {
        var now = 0.0;
        var plan = NewMatcher().Match(now, [Order(1, 1, new(0, 0), new(600, 0), now, 900)], [new DispatchCourier(1, new(600, 0), now, 600)]);
        Assert.Empty(plan.Assignments);
    }

    [Fact]
    public void Bundles_orders_of_one_outlet_when_there_is_one_courier_for_them()
    {
        var now = 0.0;
        var plan = NewMatcher().Match(
            now,
            [Order(1, 5, new(0, 0), new(1800, 0), now, 300), Order(2, 5, new(0, 0), new(1200, 0), now, 300)],
            [new DispatchCourier(9, new(600, 0), now, 7200)]);

        var a = Assert.Single(plan.Assignments);
        // Cheapest insertion delivers the nearer customer first.
        Assert.Equal([2L, 1L], a.OrderIds);
        Assert.True(a.DropoffAt[0] < a.DropoffAt[1]);
    }

    [Fact]
    public void Sends_one_courier_per_order_when_each_can_be_on_time()
    {
        var now = 0.0;
        var plan = NewMatcher().Match(
            now,
            [Order(1, 5, new(0, 0), new(6000, 0), now, 300), Order(2, 5, new(0, 0), new(-6000, 0), now, 300)],
            [new DispatchCourier(8, new(600, 0), now, 7200), new DispatchCourier(9, new(0, 600), now, 7200)]);
        Assert.Equal(2, plan.Assignments.Count);
        Assert.All(plan.Assignments, a => Assert.Single(a.OrderIds));
    }

    [Fact]
    public void Never_bundles_orders_of_different_outlets()
    {
        var now = 0.0;
        var plan = NewMatcher().Match(
            now,
            [Order(1, 5, new(0, 0), new(1800, 0), now, 300), Order(2, 6, new(0, 0), new(1200, 0), now, 300)],
            [new DispatchCourier(9, new(600, 0), now, 7200)]);
        Assert.All(plan.Assignments, a => Assert.Single(a.OrderIds));
    }

    [Fact]
    public void Bundling_off_means_one_order_per_courier()
    {
        var now = 0.0;
        var plan = NewMatcher(new MatcherOptions { MaxBundleSize = 1 }).Match(
            now,
            [Order(1, 5, new(0, 0), new(1800, 0), now, 300), Order(2, 5, new(0, 0), new(1200, 0), now, 300)],
            [new DispatchCourier(9, new(600, 0), now, 7200)]);
        Assert.Single(Assert.Single(plan.Assignments).OrderIds);
    }

    [Fact]
    public void Leaves_orders_ready_beyond_the_horizon_for_a_later_round()
    {
        var now = 0.0;
        var plan = NewMatcher(new MatcherOptions { HorizonSeconds = 600 }).Match(
            now, [Order(1, 5, new(0, 0), new(600, 0), now, 1200)], [new DispatchCourier(9, new(600, 0), now, 7200)]);
        Assert.Empty(plan.Assignments);
        Assert.Equal(0, plan.OrdersConsidered);
    }

    [Fact]
    public void The_same_input_gives_the_same_plan()
    {
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var (orders, couriers) = RandomRound(seed, 60, 25, 0);
            // A fresh matcher, a reused one (warm buffers) and one with the grid index agree.
            var matcher = NewMatcher();
            var first = Describe(matcher.Match(0, orders, couriers));
            var again = Describe(matcher.Match(0, orders, couriers));
            var grid = Describe(new Matcher(new MatcherOptions(), Travel, new GridCourierCandidates()).Match(0, orders, couriers));
            return first == again && first == grid;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(50), property);
    }

    [Fact]
    public void Grid_candidates_are_the_k_nearest_like_a_full_scan()
    {
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var n = random.Next(0, 300);
            var couriers = Enumerable.Range(0, n)
                .Select(i => new DispatchCourier(i, new(Math.Round(random.NextDouble() * 5000), Math.Round(random.NextDouble() * 3000)), 0, 1))
                .ToArray();
            var grid = new GridCourierCandidates();
            var brute = new BruteForceCourierCandidates();
            grid.Prepare(couriers);
            brute.Prepare(couriers);
            for (var q = 0; q < 20; q++)
            {
                var point = new Position((random.NextDouble() * 7000) - 1000, (random.NextDouble() * 5000) - 1000);
                var k = random.Next(1, 40);
                var a = new int[k];
                var b = new int[k];
                var found = grid.Nearest(point, a);
                if (found != brute.Nearest(point, b) || !a.AsSpan(0, found).SequenceEqual(b.AsSpan(0, found)))
                {
                    return false;
                }
            }

            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    /// <summary>
    /// Drives the matcher through randomised days (orders arriving, couriers with shifts, rounds
    /// every minute, due assignments executed) and checks the invariants on every round.
    /// </summary>
    [Fact]
    public void Never_assigns_an_order_to_two_couriers_nor_a_courier_to_two_overlapping_jobs_nor_bundles_beyond_its_limits()
    {
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            RunRandomDay(seed);
            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), property);
    }

    private static void RunRandomDay(int seed)
    {
        var random = new Random(seed);
        var outlets = Enumerable.Range(0, 8).Select(_ => new Position(random.Next(0, 6000), random.Next(0, 6000))).ToArray();
        var allOrders = Enumerable.Range(0, 120).Select(i =>
        {
            var o = random.Next(outlets.Length);
            var placed = random.Next(0, 150) * 60.0;
            return Order(i, o, outlets[o], new(random.Next(0, 6000), random.Next(0, 6000)), placed, placed + (random.Next(0, 25) * 60));
        }).OrderBy(o => o.PlacedAt).ToArray();
        var couriers = Enumerable.Range(0, 10).Select(i =>
        {
            var on = random.Next(0, 60) * 60.0;
            return new DispatchCourier(i, new(random.Next(0, 6000), random.Next(0, 6000)), on, on + (random.Next(60, 180) * 60));
        }).ToArray();

        var options = new MatcherOptions { CandidatesPerPickup = 4 + random.Next(8), MaxBundleSize = 1 + random.Next(3), MaxBundleReadySpreadSeconds = random.Next(0, 20) * 60 };
        var matcher = NewMatcher(options);
        var committed = new HashSet<long>();
        var pending = new List<DispatchOrder>();
        var next = 0;
        for (var now = 0.0; now <= 300 * 60; now += 60)
        {
            while (next < allOrders.Length && allOrders[next].PlacedAt <= now)
            {
                pending.Add(allOrders[next++]);
            }

            var plan = matcher.Match(now, pending.ToArray(), couriers);

            // Within one plan: each courier and each order at most once, and only pending orders.
            Assert.Equal(plan.Assignments.Count, plan.Assignments.Select(a => a.CourierId).Distinct().Count());
            var planned = plan.Assignments.SelectMany(a => a.OrderIds).ToList();
            Assert.Equal(planned.Count, planned.Distinct().Count());
            Assert.All(planned, id => Assert.Contains(pending, o => o.Id == id));

            foreach (var a in plan.Due)
            {
                var c = (int)a.CourierId;
                var bundle = a.OrderIds.Select(id => pending.Single(o => o.Id == id)).ToList();

                // A courier starts a job only once free and never before the decision.
                Assert.True(a.DepartAt >= now && a.DepartAt >= couriers[c].FreeAt, "departs before it is free");
                Assert.True(a.PickupAt <= couriers[c].ShiftEndsAt, "collects after its shift");
                Assert.True(a.PickupAt >= bundle.Max(o => o.ReadyAt), "collects before the food is ready");
                Assert.Single(bundle.Select(o => o.OutletId).Distinct());
                Assert.InRange(bundle.Count, 1, options.MaxBundleSize);
                Assert.True(bundle.Max(o => o.ReadyAt) - bundle.Min(o => o.ReadyAt) <= options.MaxBundleReadySpreadSeconds, "bundles orders ready too far apart");
                Assert.All(a.OrderIds, id => Assert.True(committed.Add(id), "order committed twice"));

                couriers[c] = couriers[c] with { Position = bundle[^1].Dropoff, FreeAt = a.FreeAt };
                pending.RemoveAll(o => a.OrderIds.Contains(o.Id));
            }
        }
    }

    private static (DispatchOrder[] Orders, DispatchCourier[] Couriers) RandomRound(int seed, int orders, int couriers, double now)
    {
        var random = new Random(seed);
        var outlets = Enumerable.Range(0, 10).Select(_ => new Position(random.Next(0, 8000), random.Next(0, 8000))).ToArray();
        var o = Enumerable.Range(0, orders).Select(i =>
        {
            var outlet = random.Next(outlets.Length);
            return Order(i, outlet, outlets[outlet], new(random.Next(0, 8000), random.Next(0, 8000)), now - random.Next(0, 900), now + random.Next(-300, 1500));
        }).ToArray();
        var c = Enumerable.Range(0, couriers)
            .Select(i => new DispatchCourier(i, new(random.Next(0, 8000), random.Next(0, 8000)), now + random.Next(-600, 900), now + random.Next(600, 9000)))
            .ToArray();
        return (o, c);
    }

    private static string Describe(MatchPlan plan) =>
        string.Join("|", plan.Assignments.Select(a => $"{a.CourierId}:{string.Join(',', a.OrderIds)}@{a.DepartAt}/{a.PickupAt}/{a.CommitNow}")) + $"#{plan.TotalCost}";
}

public class StraightLineTravelTests
{
    [Fact]
    public void Stretches_the_straight_line_by_the_detour_factor_and_divides_by_speed() =>
        Assert.Equal(240, new StraightLineTravel(5, 1.2).Seconds(new(0, 0), new(600, 800)), 9);

    [Fact]
    public void Rejects_a_speed_that_is_not_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new StraightLineTravel(0));
}
