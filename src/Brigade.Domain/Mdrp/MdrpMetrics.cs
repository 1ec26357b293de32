namespace Brigade.Mdrp;

/// <summary>Per-instance quality figures, recomputed from the instance and a checked solution
/// (definitions follow the reference evaluator of the Grubhub instances).</summary>
public sealed record MdrpMetrics
{
    public required string Instance { get; init; }
    public required int Orders { get; init; }
    public required int Delivered { get; init; }
    public required int Couriers { get; init; }

    /// <summary>Percentage of orders never delivered.</summary>
    public required double UndeliveredPercent { get; init; }

    /// <summary>Drop-off minus placement, minutes, over delivered orders.</summary>
    public required double ClickToDoorMean { get; init; }
    public required double ClickToDoorP90 { get; init; }
    public required double ClickToDoorMax { get; init; }

    /// <summary>Mean of max(0, click-to-door - target) over delivered orders.</summary>
    public required double OverageMean { get; init; }

    /// <summary>Delivered orders whose click-to-door exceeds the instance's maximum.</summary>
    public required int OverMaximum { get; init; }

    /// <summary>Pickup minus ready time, minutes.</summary>
    public required double ReadyToPickupMean { get; init; }

    /// <summary>Mean over couriers of (driving + pickup and drop-off service) / shift length.</summary>
    public required double CourierUtilization { get; init; }

    public required double TotalPay { get; init; }

    /// <summary>Total pay over delivered orders.</summary>
    public required double CostPerOrder { get; init; }

    /// <summary>Share of couriers whose per-order earnings fall below the guarantee.</summary>
    public required double GuaranteeFraction { get; init; }

    public required double OrdersPerBundle { get; init; }

    /// <summary>The instance's floor: every order collected when ready and driven straight.</summary>
    public required double FloorClickToDoorMean { get; init; }

    public static MdrpMetrics Compute(MdrpInstance instance, MdrpSolution solution)
    {
        var p = instance.Parameters;
        var clickToDoor = new List<double>(solution.Orders.Count);
        double readyToPickup = 0, overage = 0;
        var overMaximum = 0;
        foreach (var o in solution.Orders)
        {
            var c2d = o.DropoffTime - o.PlacementTime;
            clickToDoor.Add(c2d);
            readyToPickup += o.PickupTime - o.ReadyTime;
            overage += Math.Max(0, c2d - p.TargetClickToDoor);
            if (c2d > p.MaxClickToDoor)
            {
                overMaximum++;
            }
        }

        var delivered = clickToDoor.Count;
        clickToDoor.Sort();

        // Courier time: driving (recomputed from moves) + service per bundle and per drop-off.
        var n = instance.Couriers.Count;
        var driving = new double[n];
        var bundles = new int[n];
        var drops = new int[n];
        var position = new Dispatch.Position[n];
        for (var i = 0; i < n; i++)
        {
            position[i] = instance.Couriers[i].Start;
        }

        foreach (var m in solution.Moves)
        {
            var c = instance.CourierIndex[m.Courier];
            var to = instance.OrderIndex.TryGetValue(m.Destination, out var oi)
                ? instance.Orders[oi].Dropoff
                : instance.Restaurants[instance.RestaurantIndex[m.Destination]].Position;
            driving[c] += instance.Travel.Minutes(position[c], to);
            position[c] = to;
        }

        foreach (var a in solution.Assignments)
        {
            bundles[instance.CourierIndex[a.Courier]]++;
        }

        foreach (var o in solution.Orders)
        {
            drops[instance.CourierIndex[o.Courier]]++;
        }

        double utilization = 0, totalPay = 0;
        var guaranteed = 0;
        for (var i = 0; i < n; i++)
        {
            var courier = instance.Couriers[i];
            var shift = courier.OffTime - courier.OnTime;
            var busy = driving[i] + (bundles[i] * p.PickupServiceMinutes) + (drops[i] * p.DropoffServiceMinutes);
            utilization += shift > 0 ? busy / shift : 0;
            var guarantee = p.GuaranteedPayPerHour * shift / 60;
            var earned = p.PayPerOrder * drops[i];
            totalPay += Math.Max(earned, guarantee);
            if (earned < guarantee)
            {
                guaranteed++;
            }
        }

        double floor = 0;
        for (var i = 0; i < instance.Orders.Count; i++)
        {
            floor += instance.FloorClickToDoor(i);
        }

        return new MdrpMetrics
        {
            Instance = instance.Name,
            Orders = instance.Orders.Count,
            Delivered = delivered,
            Couriers = n,
            UndeliveredPercent = instance.Orders.Count == 0 ? 0 : 100.0 * (instance.Orders.Count - delivered) / instance.Orders.Count,
            ClickToDoorMean = delivered == 0 ? 0 : clickToDoor.Average(),
            ClickToDoorP90 = Percentile(clickToDoor, 0.9),
            ClickToDoorMax = delivered == 0 ? 0 : clickToDoor[^1],
            OverageMean = delivered == 0 ? 0 : overage / delivered,
            OverMaximum = overMaximum,
            ReadyToPickupMean = delivered == 0 ? 0 : readyToPickup / delivered,
            CourierUtilization = n == 0 ? 0 : utilization / n,
            TotalPay = totalPay,
            CostPerOrder = delivered == 0 ? 0 : totalPay / delivered,
            GuaranteeFraction = n == 0 ? 0 : (double)guaranteed / n,
            OrdersPerBundle = solution.Assignments.Count == 0 ? 0 : solution.Assignments.Average(a => (double)a.Orders.Count),
            FloorClickToDoorMean = instance.Orders.Count == 0 ? 0 : floor / instance.Orders.Count,
        };
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = q * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + ((rank - lo) * (sorted[hi] - sorted[lo]));
    }
}
