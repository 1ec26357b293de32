namespace Brigade.Dispatch;

/// <summary>
/// An order waiting for a courier. Times are seconds on the caller's timeline (any epoch, as
/// long as every time handed to one <see cref="Matcher"/> call shares it).
/// </summary>
/// <param name="Id">Caller's identifier, returned untouched in assignments.</param>
/// <param name="OutletId">Restaurant or kitchen: only orders of one outlet are bundled.</param>
/// <param name="Pickup">Where the food is collected.</param>
/// <param name="Dropoff">Where the customer is.</param>
/// <param name="PlacedAt">When the customer placed the order (click).</param>
/// <param name="ReadyAt">Estimated time the food is ready for collection.</param>
public readonly record struct DispatchOrder(
    long Id,
    long OutletId,
    Position Pickup,
    Position Dropoff,
    double PlacedAt,
    double ReadyAt);

/// <summary>A courier as the dispatcher sees it at the decision time.</summary>
/// <param name="Id">Caller's identifier, returned untouched in assignments.</param>
/// <param name="Position">Where the courier will be free: its position if idle, or the last
/// drop-off of its current job.</param>
/// <param name="FreeAt">When the courier is free at <paramref name="Position"/> (past or
/// present for an idle courier).</param>
/// <param name="ShiftEndsAt">The courier may not collect food after this time.</param>
/// <param name="CanPickUp">False for a courier that must not take new work (going off shift,
/// paused, etc.).</param>
/// <param name="CostPerOrder">Extra cost, in the matcher's cost unit (seconds of delay), of
/// giving this courier one more order: lets the caller express pay or fairness.</param>
public readonly record struct DispatchCourier(
    long Id,
    Position Position,
    double FreeAt,
    double ShiftEndsAt,
    bool CanPickUp = true,
    double CostPerOrder = 0);

/// <summary>One bundle for one courier, with the planned timeline.</summary>
/// <param name="CourierId">The courier.</param>
/// <param name="OrderIds">Orders in delivery sequence (one outlet).</param>
/// <param name="DepartAt">When the courier should set off for the outlet: late enough to arrive
/// as the food gets ready, never before it is free.</param>
/// <param name="ArriveAt">Arrival at the outlet.</param>
/// <param name="PickupAt">Planned collection: the later of the latest ready time and arrival
/// plus the pre-collection half of the pickup service.</param>
/// <param name="DropoffAt">Planned drop-off per order, same sequence as <paramref name="OrderIds"/>.</param>
/// <param name="FreeAt">When the courier is free again at the last drop-off.</param>
/// <param name="CommitNow">True when the courier must set off before the next decision round:
/// the caller should commit this one now. The others are a tentative plan, re-decided next
/// round with fresher information.</param>
/// <param name="Cost">The assignment's cost in the matcher's unit.</param>
public sealed record DispatchAssignment(
    long CourierId,
    long[] OrderIds,
    double DepartAt,
    double ArriveAt,
    double PickupAt,
    double[] DropoffAt,
    double FreeAt,
    bool CommitNow,
    long Cost);

/// <summary>The outcome of one decision round.</summary>
public sealed class MatchPlan
{
    public MatchPlan(List<DispatchAssignment> assignments, long totalCost, int ordersConsidered, int couriersConsidered)
    {
        Assignments = assignments;
        TotalCost = totalCost;
        OrdersConsidered = ordersConsidered;
        CouriersConsidered = couriersConsidered;
    }

    /// <summary>Every planned assignment, committed or tentative; at most one per courier and
    /// per order.</summary>
    public IReadOnlyList<DispatchAssignment> Assignments { get; }

    /// <summary>Objective value of the final assignment problem (including unassigned costs).</summary>
    public long TotalCost { get; }

    /// <summary>Orders inside the horizon this round.</summary>
    public int OrdersConsidered { get; }

    /// <summary>Couriers eligible this round.</summary>
    public int CouriersConsidered { get; }

    /// <summary>The assignments to carry out now.</summary>
    public IEnumerable<DispatchAssignment> Due
    {
        get
        {
            foreach (var a in Assignments)
            {
                if (a.CommitNow)
                {
                    yield return a;
                }
            }
        }
    }
}
