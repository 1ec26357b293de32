namespace Brigade.Mdrp;

/// <summary>Named dispatcher policies for the MDRP runner.</summary>
public static class MdrpPolicies
{
    /// <summary>The policy `brigade mdrp` runs.</summary>
    public static MdrpPolicy Default { get; } = new();
}
