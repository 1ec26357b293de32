namespace Brigade.Mdrp;

/// <summary>The rules a solution can break.</summary>
public enum MdrpRule
{
    /// <summary>An id in the solution is not in the instance.</summary>
    UnknownId,

    /// <summary>An assignment with no orders.</summary>
    EmptyBundle,

    /// <summary>An order appears in more than one assignment.</summary>
    OrderInTwoAssignments,

    /// <summary>A bundle mixes restaurants.</summary>
    MixedRestaurants,

    /// <summary>An assignment made before one of its orders was placed.</summary>
    AssignedBeforePlacement,

    /// <summary>An assignment made before the courier came on shift.</summary>
    AssignedBeforeCourierOnline,

    /// <summary>A pickup after the courier's off-time.</summary>
    PickupAfterOffTime,

    /// <summary>A pickup before an order of the bundle is ready.</summary>
    PickupBeforeReady,

    /// <summary>The pickup time is not max(ready times, arrival + pickup service / 2).</summary>
    PickupTimeWrong,

    /// <summary>A drop-off time is not arrival + drop-off service / 2.</summary>
    DropoffTimeWrong,

    /// <summary>A move does not start where the previous one ended.</summary>
    MoveDiscontinuity,

    /// <summary>A courier set off for a pickup before it was assigned.</summary>
    DepartedBeforeAssignment,

    /// <summary>A courier set off before it was free (on shift, done at its last stop).</summary>
    DepartedBeforeFree,

    /// <summary>A courier left a restaurant or customer at another time than the service allows.</summary>
    LeftAtWrongTime,

    /// <summary>A move that no assignment explains: a diversion, repositioning, or wrong
    /// delivery sequence.</summary>
    UnexpectedMove,

    /// <summary>An assignment whose moves are missing.</summary>
    MissingMove,

    /// <summary>A courier's moves are not listed together.</summary>
    MovesNotGrouped,

    /// <summary>An order line disagrees with the instance or its assignment.</summary>
    OrderRecordMismatch,

    /// <summary>An order listed as delivered without an assignment.</summary>
    DeliveredWithoutAssignment,

    /// <summary>An assigned order missing from the delivered orders.</summary>
    AssignedButNotDelivered,
}

public sealed record MdrpViolation(MdrpRule Rule, string Detail)
{
    public override string ToString() => $"{Rule}: {Detail}";
}

/// <summary>
/// Validates a solution against every rule of the problem, recomputing all travel, pickup and
/// drop-off times from the instance; nothing the solver reported is trusted.
/// </summary>
public static class MdrpChecker
{
    private const double Tolerance = 1e-6;

    public static List<MdrpViolation> Check(MdrpInstance instance, MdrpSolution solution)
    {
        var v = new List<MdrpViolation>();
        var p = instance.Parameters;
        var halfPickup = p.PickupServiceMinutes / 2;
        var halfDropoff = p.DropoffServiceMinutes / 2;

        // --- Assignments on their own -------------------------------------------------------
        var assignmentOfOrder = new Dictionary<string, MdrpAssignmentRecord>(StringComparer.Ordinal);
        var assignmentsOfCourier = new Dictionary<string, List<MdrpAssignmentRecord>>(StringComparer.Ordinal);
        foreach (var a in solution.Assignments)
        {
            if (!instance.CourierIndex.TryGetValue(a.Courier, out var ci))
            {
                v.Add(new(MdrpRule.UnknownId, $"assignment names unknown courier '{a.Courier}'"));
                continue;
            }

            if (a.Orders.Count == 0)
            {
                v.Add(new(MdrpRule.EmptyBundle, $"courier {a.Courier} at {a.AssignmentTime}"));
                continue;
            }

            var courier = instance.Couriers[ci];
            if (a.AssignmentTime < courier.OnTime)
            {
                v.Add(new(MdrpRule.AssignedBeforeCourierOnline, $"courier {a.Courier} assigned at {a.AssignmentTime}, on at {courier.OnTime}"));
            }

            if (a.PickupTime > courier.OffTime + Tolerance)
            {
                v.Add(new(MdrpRule.PickupAfterOffTime, $"courier {a.Courier} collects at {a.PickupTime}, off at {courier.OffTime}"));
            }

            var restaurant = -1;
            var known = true;
            foreach (var id in a.Orders)
            {
                if (!instance.OrderIndex.TryGetValue(id, out var oi))
                {
                    v.Add(new(MdrpRule.UnknownId, $"assignment names unknown order '{id}'"));
                    known = false;
                    continue;
                }

                var order = instance.Orders[oi];
                if (!assignmentOfOrder.TryAdd(id, a))
                {
                    v.Add(new(MdrpRule.OrderInTwoAssignments, $"order {id}"));
                }

                if (restaurant >= 0 && order.Restaurant != restaurant)
                {
                    v.Add(new(MdrpRule.MixedRestaurants, $"bundle {string.Join(',', a.Orders)}"));
                }

                restaurant = order.Restaurant;
                if (a.AssignmentTime < order.PlacementTime)
                {
                    v.Add(new(MdrpRule.AssignedBeforePlacement, $"order {id} assigned at {a.AssignmentTime}, placed at {order.PlacementTime}"));
                }

                if (a.PickupTime < order.ReadyTime - Tolerance)
                {
                    v.Add(new(MdrpRule.PickupBeforeReady, $"order {id} collected at {a.PickupTime}, ready at {order.ReadyTime}"));
                }
            }

            if (known)
            {
                if (!assignmentsOfCourier.TryGetValue(a.Courier, out var list))
                {
                    assignmentsOfCourier[a.Courier] = list = [];
                }

                list.Add(a);
            }
        }

        // --- Delivered order lines -----------------------------------------------------------
        var orderLine = new Dictionary<string, MdrpOrderRecord>(StringComparer.Ordinal);
        foreach (var o in solution.Orders)
        {
            if (!instance.OrderIndex.TryGetValue(o.Order, out var oi))
            {
                v.Add(new(MdrpRule.UnknownId, $"order line names unknown order '{o.Order}'"));
                continue;
            }

            if (!orderLine.TryAdd(o.Order, o))
            {
                v.Add(new(MdrpRule.OrderRecordMismatch, $"order {o.Order} listed twice"));
                continue;
            }

            var order = instance.Orders[oi];
            if (!Same(o.PlacementTime, order.PlacementTime) || !Same(o.ReadyTime, order.ReadyTime))
            {
                v.Add(new(MdrpRule.OrderRecordMismatch, $"order {o.Order}: placement/ready {o.PlacementTime}/{o.ReadyTime}, instance {order.PlacementTime}/{order.ReadyTime}"));
            }

            if (!assignmentOfOrder.TryGetValue(o.Order, out var a))
            {
                v.Add(new(MdrpRule.DeliveredWithoutAssignment, $"order {o.Order}"));
                continue;
            }

            if (a.Courier != o.Courier || !Same(a.PickupTime, o.PickupTime))
            {
                v.Add(new(MdrpRule.OrderRecordMismatch, $"order {o.Order}: courier/pickup {o.Courier}/{o.PickupTime}, assignment {a.Courier}/{a.PickupTime}"));
            }
        }

        foreach (var id in assignmentOfOrder.Keys)
        {
            if (!orderLine.ContainsKey(id))
            {
                v.Add(new(MdrpRule.AssignedButNotDelivered, $"order {id}"));
            }
        }

        // --- Courier timelines: replay every move from the instance ---------------------------
        var movesOfCourier = new Dictionary<string, List<MdrpMoveRecord>>(StringComparer.Ordinal);
        string? previousCourier = null;
        foreach (var m in solution.Moves)
        {
            if (!instance.CourierIndex.ContainsKey(m.Courier))
            {
                v.Add(new(MdrpRule.UnknownId, $"move names unknown courier '{m.Courier}'"));
                continue;
            }

            if (m.Courier != previousCourier && movesOfCourier.ContainsKey(m.Courier))
            {
                v.Add(new(MdrpRule.MovesNotGrouped, $"courier {m.Courier}"));
            }

            if (!movesOfCourier.TryGetValue(m.Courier, out var list))
            {
                movesOfCourier[m.Courier] = list = [];
            }

            list.Add(m);
            previousCourier = m.Courier;
        }

        foreach (var (courierId, ci) in instance.CourierIndex)
        {
            var assignments = assignmentsOfCourier.TryGetValue(courierId, out var al) ? al : [];
            var moves = movesOfCourier.TryGetValue(courierId, out var ml) ? ml : [];
            if (assignments.Count == 0 && moves.Count == 0)
            {
                continue;
            }

            ReplayCourier(instance, instance.Couriers[ci], assignments, moves, orderLine, halfPickup, halfDropoff, v);
        }

        return v;
    }

    /// <summary>
    /// Walks one courier's moves against its assignments taken in pickup order: each assignment
    /// must be one move to its restaurant (departing no earlier than the assignment and the
    /// moment the courier is free) followed by one move per order in the bundle's sequence,
    /// each leaving exactly when the service ends.
    /// </summary>
    private static void ReplayCourier(
        MdrpInstance instance,
        MdrpCourier courier,
        List<MdrpAssignmentRecord> assignments,
        List<MdrpMoveRecord> moves,
        Dictionary<string, MdrpOrderRecord> orderLine,
        double halfPickup,
        double halfDropoff,
        List<MdrpViolation> v)
    {
        var ordered = assignments.OrderBy(a => a.PickupTime).ThenBy(a => a.AssignmentTime).ToList();
        var place = MdrpSolution.StartPoint;
        var position = courier.Start;
        var free = courier.OnTime;
        var m = 0;
        foreach (var a in ordered)
        {
            var firstOrder = instance.Orders[instance.OrderIndex[a.Orders[0]]];
            var restaurant = instance.Restaurants[firstOrder.Restaurant];
            if (m >= moves.Count)
            {
                v.Add(new(MdrpRule.MissingMove, $"courier {courier.Id}: no move to {restaurant.Id} for bundle {string.Join(',', a.Orders)}"));
                return;
            }

            var go = moves[m++];
            if (go.Origin != place)
            {
                v.Add(new(MdrpRule.MoveDiscontinuity, $"courier {courier.Id} leaves from {go.Origin} but is at {place}"));
            }

            if (go.Destination != restaurant.Id)
            {
                v.Add(new(MdrpRule.UnexpectedMove, $"courier {courier.Id} goes to {go.Destination} at {go.DepartureTime}, next pickup is at {restaurant.Id}"));
                return;
            }

            if (go.DepartureTime < a.AssignmentTime - Tolerance)
            {
                v.Add(new(MdrpRule.DepartedBeforeAssignment, $"courier {courier.Id} leaves for {restaurant.Id} at {go.DepartureTime}, assigned at {a.AssignmentTime}"));
            }

            if (go.DepartureTime < free - Tolerance)
            {
                v.Add(new(MdrpRule.DepartedBeforeFree, $"courier {courier.Id} leaves for {restaurant.Id} at {go.DepartureTime}, free at {free}"));
            }

            var arrival = go.DepartureTime + instance.Travel.Minutes(position, restaurant.Position);
            var ready = a.Orders.Max(id => instance.Orders[instance.OrderIndex[id]].ReadyTime);
            var pickup = Math.Max(ready, arrival + halfPickup);
            if (!Same(pickup, a.PickupTime))
            {
                v.Add(new(MdrpRule.PickupTimeWrong, $"courier {courier.Id} at {restaurant.Id}: pickup {a.PickupTime}, rules give {pickup}"));
            }

            var leave = pickup + halfPickup;
            place = restaurant.Id;
            position = restaurant.Position;
            foreach (var id in a.Orders)
            {
                var order = instance.Orders[instance.OrderIndex[id]];
                if (m >= moves.Count)
                {
                    v.Add(new(MdrpRule.MissingMove, $"courier {courier.Id}: no move to customer of {id}"));
                    return;
                }

                var leg = moves[m++];
                if (leg.Origin != place)
                {
                    v.Add(new(MdrpRule.MoveDiscontinuity, $"courier {courier.Id} leaves from {leg.Origin} but is at {place}"));
                }

                if (leg.Destination != id)
                {
                    v.Add(new(MdrpRule.UnexpectedMove, $"courier {courier.Id} goes to {leg.Destination}, bundle sequence says {id}"));
                    return;
                }

                if (!Same(leg.DepartureTime, leave))
                {
                    v.Add(new(MdrpRule.LeftAtWrongTime, $"courier {courier.Id} leaves {place} at {leg.DepartureTime}, service ends at {leave}"));
                }

                var drop = leg.DepartureTime + instance.Travel.Minutes(position, order.Dropoff) + halfDropoff;
                if (orderLine.TryGetValue(id, out var line) && !Same(line.DropoffTime, drop))
                {
                    v.Add(new(MdrpRule.DropoffTimeWrong, $"order {id}: drop-off {line.DropoffTime}, rules give {drop}"));
                }

                leave = drop + halfDropoff;
                place = id;
                position = order.Dropoff;
            }

            free = leave;
        }

        for (; m < moves.Count; m++)
        {
            v.Add(new(MdrpRule.UnexpectedMove, $"courier {courier.Id} moves {moves[m].Origin} -> {moves[m].Destination} at {moves[m].DepartureTime} with no assignment"));
        }
    }

    private static bool Same(double a, double b) => Math.Abs(a - b) <= Tolerance;
}
