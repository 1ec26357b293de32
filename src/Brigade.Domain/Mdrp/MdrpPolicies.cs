namespace Brigade.Mdrp;

/// <summary>Named dispatcher policies for the MDRP runner.</summary>
public static class MdrpPolicies
{
    /// <summary>The policy `brigade mdrp` runs: a round every minute, the matcher's default
    /// weights, and a dollar of courier pay priced like 5 seconds of customer delay (enough to
    /// steer orders to couriers still under their guarantee when the choice is otherwise even).</summary>
    public static MdrpPolicy Default { get; } = new() { SecondsPerDollar = 5 };
}
