namespace Brigade.Dispatch;

/// <summary>A point on a local planar projection, in metres (for example UTM easting and northing).</summary>
public readonly record struct Position(double X, double Y)
{
    /// <summary>Straight-line (euclidean) distance in metres.</summary>
    public static double Distance(Position a, Position b)
    {
        var dx = a.X - b.X;
        var dy = a.Y - b.Y;
        return Math.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>Squared distance: monotone in <see cref="Distance"/>, so it ranks without a square root.</summary>
    public static double DistanceSquared(Position a, Position b)
    {
        var dx = a.X - b.X;
        var dy = a.Y - b.Y;
        return dx * dx + dy * dy;
    }
}

/// <summary>
/// Travel time between two positions, in seconds. Implementations must be deterministic and
/// cheap: the matcher calls this once per candidate (courier, pickup) pair and per drop-off leg.
/// </summary>
public interface ITravelTime
{
    double Seconds(Position from, Position to);
}

/// <summary>
/// Live travel model: straight-line distance stretched by a detour factor (road networks are
/// typically 1.2 to 1.4 times the crow-flies distance in cities) and divided by a speed.
/// </summary>
public sealed class StraightLineTravel : ITravelTime
{
    private readonly double _secondsPerMetre;

    public StraightLineTravel(double metresPerSecond, double detourFactor = 1.3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(metresPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(detourFactor, 1.0);
        MetresPerSecond = metresPerSecond;
        DetourFactor = detourFactor;
        _secondsPerMetre = detourFactor / metresPerSecond;
    }

    public double MetresPerSecond { get; }

    public double DetourFactor { get; }

    public double Seconds(Position from, Position to) => Position.Distance(from, to) * _secondsPerMetre;
}
