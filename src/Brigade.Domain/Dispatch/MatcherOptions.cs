namespace Brigade.Dispatch;

/// <summary>
/// Knobs of the rolling-horizon matcher. Times are seconds; costs are in "seconds of customer
/// delay", so every weight reads as an exchange rate against one second of lateness.
/// </summary>
public sealed record MatcherOptions
{
    /// <summary>Orders whose food is ready later than now + horizon wait for a later round.</summary>
    public double HorizonSeconds { get; init; } = 30 * 60;

    /// <summary>Couriers busy for longer than this are not considered.</summary>
    public double CourierLookaheadSeconds { get; init; } = 45 * 60;

    /// <summary>An assignment whose courier must set off earlier than now + this window is
    /// committed; later ones stay tentative. Set it to the interval between rounds.</summary>
    public double CommitWindowSeconds { get; init; } = 60;

    /// <summary>Candidate couriers per outlet (k nearest).</summary>
    public int CandidatesPerPickup { get; init; } = 32;

    /// <summary>Service at the outlet; half before collection, half after (parking, handover).</summary>
    public double PickupServiceSeconds { get; init; } = 4 * 60;

    /// <summary>Service at the customer; half before the drop-off instant, half after.</summary>
    public double DropoffServiceSeconds { get; init; } = 4 * 60;

    /// <summary>Largest bundle; 1 disables bundling.</summary>
    public int MaxBundleSize { get; init; } = 3;

    /// <summary>Orders whose ready times differ by more than this are never bundled.</summary>
    public double MaxBundleReadySpreadSeconds { get; init; } = 45 * 60;

    /// <summary>Rounds of "merge where it lowers the cost, then re-solve".</summary>
    public int BundlingPasses { get; init; } = 2;

    /// <summary>Weight of each second an order is delivered later than its ideal (collected the
    /// moment it is ready and driven straight to the customer).</summary>
    public double DelayWeight { get; init; } = 1.0;

    /// <summary>Extra weight on each second of click-to-door beyond the target.</summary>
    public double OverTargetWeight { get; init; } = 0.1;

    /// <summary>Click-to-door target (promise to the customer).</summary>
    public double TargetClickToDoorSeconds { get; init; } = 40 * 60;

    /// <summary>Weight of courier time spent driving and serving the bundle.</summary>
    public double TravelWeight { get; init; } = 0.2;

    /// <summary>Weight of courier time held idle for this job (free now, but reserved until it
    /// must set off): prefers couriers who come free just in time.</summary>
    public double IdleWeight { get; init; } = 0.5;

    /// <summary>Cost of leaving one order unassigned this round. Larger than any plausible
    /// assignment cost, so the optimum first assigns as many orders as it can.</summary>
    public double UnassignedCostSeconds { get; init; } = 3 * 3600;

    /// <summary>A row is urgent when even its nearest candidate courier must set off within
    /// this slack to collect the food as it gets ready.</summary>
    public double UrgentSlackSeconds { get; init; } = 5 * 60;

    /// <summary>Cost of leaving out one order that is not urgent yet: it can be planned next
    /// round, so it should not hold a courier an urgent order needs.</summary>
    public double DeferrableCostSeconds { get; init; } = 20 * 60;

    /// <summary>Extra cost of leaving an order out, per second it has been ready: older orders
    /// win ties for scarce couriers, so none waits forever.</summary>
    public double WaitingWeight { get; init; } = 1.0;

    /// <summary>Validates ranges; throws on nonsense.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(HorizonSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(CourierLookaheadSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(CommitWindowSeconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(CandidatesPerPickup, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(PickupServiceSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(DropoffServiceSeconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBundleSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxBundleReadySpreadSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(BundlingPasses);
        ArgumentOutOfRangeException.ThrowIfNegative(DelayWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(OverTargetWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(TravelWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(IdleWeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(UnassignedCostSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(WaitingWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(UrgentSlackSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(DeferrableCostSeconds);
    }
}
