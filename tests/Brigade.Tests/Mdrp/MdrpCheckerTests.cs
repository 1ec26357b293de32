using Brigade.Mdrp;

namespace Brigade.Tests.Mdrp;

/// <summary>One hand-made infeasible solution per rule, each a small edit of a feasible one.</summary>
public class MdrpCheckerTests
{
    private static List<MdrpViolation> Check(MdrpInstance? instance = null, string? assignments = null, string? orders = null, string? moves = null) =>
        MdrpChecker.Check(instance ?? TinyInstance.Instance(), TinyInstance.Solution(assignments, orders, moves));

    private static void AssertBreaks(MdrpRule rule, List<MdrpViolation> violations) =>
        Assert.True(violations.Any(v => v.Rule == rule), $"expected {rule}, got: {string.Join("; ", violations)}");

    [Fact]
    public void Accepts_the_feasible_hand_made_solution() => Assert.Empty(Check());

    [Fact]
    public void Flags_an_unknown_courier() =>
        AssertBreaks(MdrpRule.UnknownId, Check(assignments: TinyInstance.Assignments.Replace("6 20 c2 o3", "6 20 c9 o3")));

    [Fact]
    public void Flags_an_empty_bundle()
    {
        var solution = TinyInstance.Solution();
        solution.Assignments.Add(new MdrpAssignmentRecord(7, 20, "c2", []));
        AssertBreaks(MdrpRule.EmptyBundle, MdrpChecker.Check(TinyInstance.Instance(), solution));
    }

    [Fact]
    public void Flags_an_order_in_two_assignments() =>
        AssertBreaks(MdrpRule.OrderInTwoAssignments, Check(assignments: TinyInstance.Assignments + "7 20 c2 o1\n"));

    [Fact]
    public void Flags_a_bundle_from_two_restaurants() =>
        AssertBreaks(MdrpRule.MixedRestaurants, Check(assignments: TinyInstance.Assignments.Replace("5 12 c1 o1 o2", "5 12 c1 o1 o3")));

    [Fact]
    public void Flags_an_assignment_made_before_the_order_was_placed()
    {
        // o2 is placed at 2: assigning it at 1 uses information from the future.
        var violations = Check(assignments: TinyInstance.Assignments.Replace("5 12 c1", "1 12 c1"));
        AssertBreaks(MdrpRule.AssignedBeforePlacement, violations);
        Assert.DoesNotContain(violations, v => v.Rule == MdrpRule.AssignedBeforeCourierOnline);
    }

    [Fact]
    public void Flags_an_assignment_made_before_the_courier_came_on() =>
        AssertBreaks(MdrpRule.AssignedBeforeCourierOnline, Check(TinyInstance.Instance(couriers: TinyInstance.Couriers.Replace("c2\t1000\t300\t0", "c2\t1000\t300\t7"))));

    [Fact]
    public void Flags_a_pickup_after_the_couriers_off_time() =>
        AssertBreaks(MdrpRule.PickupAfterOffTime, Check(TinyInstance.Instance(couriers: TinyInstance.Couriers.Replace("c1\t0\t300\t0\t100", "c1\t0\t300\t0\t11"))));

    [Fact]
    public void Flags_a_pickup_before_the_food_is_ready() =>
        AssertBreaks(MdrpRule.PickupBeforeReady, Check(
            assignments: TinyInstance.Assignments.Replace("5 12 c1", "5 11 c1"),
            orders: TinyInstance.OrderLines.Replace("o1 0 10 12", "o1 0 10 11").Replace("o2 2 12 12", "o2 2 12 11")));

    [Fact]
    public void Flags_a_pickup_time_the_rules_do_not_give()
    {
        // Collecting o3 at 21 when the courier is there at 9 and the food is ready at 20.
        var violations = Check(
            assignments: TinyInstance.Assignments.Replace("6 20 c2", "6 21 c2"),
            orders: TinyInstance.OrderLines.Replace("o3 5 20 20 30", "o3 5 20 21 31"),
            moves: TinyInstance.Moves.Replace("c2 22 r2 o3", "c2 23 r2 o3"));
        AssertBreaks(MdrpRule.PickupTimeWrong, violations);
    }

    [Fact]
    public void Flags_a_dropoff_time_the_rules_do_not_give() =>
        AssertBreaks(MdrpRule.DropoffTimeWrong, Check(orders: TinyInstance.OrderLines.Replace("o3 5 20 20 30", "o3 5 20 20 29")));

    [Fact]
    public void Flags_a_move_that_does_not_start_where_the_courier_is() =>
        AssertBreaks(MdrpRule.MoveDiscontinuity, Check(moves: TinyInstance.Moves.Replace("c1 14 r1 o1", "c1 14 r2 o1")));

    [Fact]
    public void Flags_a_courier_leaving_before_it_was_assigned()
    {
        var violations = Check(moves: TinyInstance.Moves.Replace("c1 5 0 r1", "c1 4 0 r1"));
        AssertBreaks(MdrpRule.DepartedBeforeAssignment, violations);
        Assert.Single(violations);
    }

    [Fact]
    public void Flags_a_courier_leaving_before_it_is_free()
    {
        // c1 also takes o3, but sets off from o2 at 25 while it is busy there until 31.
        // From o2 (0,900) to r2 (1000,0) is 1345.4 m: 14 minutes, so arrival 39, pickup 41,
        // leave 43, 6 minutes to o3, drop-off 51.
        var violations = Check(
            assignments: "assignment_time pickup_time courier order\n5 12 c1 o1 o2\n6 41 c1 o3\n",
            orders: TinyInstance.OrderLines.Replace("o3 5 20 20 30 c2", "o3 5 20 41 51 c1"),
            moves: "courier departure_time origin destination\nc1 5 0 r1\nc1 14 r1 o1\nc1 24 o1 o2\nc1 25 o2 r2\nc1 43 r2 o3\n");
        AssertBreaks(MdrpRule.DepartedBeforeFree, violations);
        Assert.Single(violations);
    }

    [Fact]
    public void Flags_a_courier_leaving_a_stop_when_its_service_is_not_over() =>
        AssertBreaks(MdrpRule.LeftAtWrongTime, Check(moves: TinyInstance.Moves.Replace("c1 14 r1 o1", "c1 13 r1 o1")));

    [Fact]
    public void Flags_a_repositioning_move_no_assignment_explains() =>
        AssertBreaks(MdrpRule.UnexpectedMove, Check(moves: TinyInstance.Moves + "c2 40 o3 r1\n"));

    [Fact]
    public void Flags_a_delivery_out_of_the_bundle_sequence() =>
        AssertBreaks(MdrpRule.UnexpectedMove, Check(moves: TinyInstance.Moves.Replace("c1 14 r1 o1\nc1 24 o1 o2", "c1 14 r1 o2\nc1 24 o2 o1")));

    [Fact]
    public void Flags_an_assignment_without_its_moves() =>
        AssertBreaks(MdrpRule.MissingMove, Check(moves: TinyInstance.Moves.Replace("c2 22 r2 o3\n", "")));

    [Fact]
    public void Flags_moves_of_one_courier_split_apart() =>
        AssertBreaks(MdrpRule.MovesNotGrouped, Check(moves: "courier departure_time origin destination\nc1 5 0 r1\nc2 6 0 r2\nc1 14 r1 o1\nc1 24 o1 o2\nc2 22 r2 o3\n"));

    [Fact]
    public void Flags_an_order_line_that_disagrees_with_the_instance() =>
        AssertBreaks(MdrpRule.OrderRecordMismatch, Check(orders: TinyInstance.OrderLines.Replace("o1 0 10", "o1 1 10")));

    [Fact]
    public void Flags_an_order_delivered_without_an_assignment() =>
        AssertBreaks(MdrpRule.DeliveredWithoutAssignment, Check(
            assignments: TinyInstance.Assignments.Replace("6 20 c2 o3\n", ""),
            moves: TinyInstance.Moves.Replace("c2 6 0 r2\nc2 22 r2 o3\n", "")));

    [Fact]
    public void Flags_an_assigned_order_that_is_never_delivered() =>
        AssertBreaks(MdrpRule.AssignedButNotDelivered, Check(orders: TinyInstance.OrderLines.Replace("o3 5 20 20 30 c2\n", "")));

    [Fact]
    public void Metrics_of_the_hand_made_solution_match_a_hand_calculation()
    {
        var metrics = MdrpMetrics.Compute(TinyInstance.Instance(), TinyInstance.Solution());

        // Click-to-door 22, 27, 25; ready-to-pickup 2, 0, 0; bundles of 2 and 1.
        Assert.Equal(74.0 / 3, metrics.ClickToDoorMean, 9);
        Assert.Equal(2.0 / 3, metrics.ReadyToPickupMean, 9);
        Assert.Equal(1.5, metrics.OrdersPerBundle, 9);
        Assert.Equal(0, metrics.UndeliveredPercent);

        // Both couriers earn 10 x orders (20 and 10) below the 100-minute guarantee of 25.
        Assert.Equal(50, metrics.TotalPay, 9);
        Assert.Equal(1.0, metrics.GuaranteeFraction, 9);

        // c1 drives 3 + 6 + 3 and serves 1 pickup + 2 drop-offs; c2 drives 3 + 6, 1 + 1.
        Assert.Equal(((12 + 4 + 8) / 100.0 + (9 + 4 + 4) / 100.0) / 2, metrics.CourierUtilization, 9);
    }

    [Fact]
    public void Writes_and_reads_back_the_same_solution()
    {
        var solution = TinyInstance.Solution();
        var a = new StringWriter();
        var o = new StringWriter();
        var m = new StringWriter();
        MdrpSolutionFormat.Write(solution, a, o, m);
        Assert.Equal(TinyInstance.Assignments, a.ToString());
        Assert.Equal(TinyInstance.OrderLines, o.ToString());
        Assert.Equal(TinyInstance.Moves, m.ToString());
    }
}
