namespace Brigade.Geo;

/// <summary>A WGS84 position in decimal degrees.</summary>
public readonly record struct GeoPoint(double Lat, double Lon)
{
    /// <summary>Mean Earth radius in metres (IUGG).</summary>
    public const double EarthRadiusMetres = 6_371_008.8;

    public static bool IsValid(double lat, double lon) =>
        double.IsFinite(lat) && double.IsFinite(lon) && lat is >= -90 and <= 90 && lon is >= -180 and <= 180;

    public bool IsValid() => IsValid(Lat, Lon);

    /// <summary>The same meridian within [-180, 180]: 181 is -179.</summary>
    public static double NormalizeLon(double lon) =>
        lon is >= -180 and <= 180 ? lon : lon - (360 * Math.Floor((lon + 180) / 360));

    /// <summary>Degrees of longitude east from <paramref name="from"/> to <paramref name="to"/> the short way, in [-180, 180): across the antimeridian, 179 to -179 is +2, not -358.</summary>
    public static double LonDelta(double from, double to)
    {
        var d = to - from;
        return d is >= -180 and < 180 ? d : d - (360 * Math.Floor((d + 180) / 360));
    }

    /// <summary>Great-circle distance in metres (haversine).</summary>
    public static double HaversineMetres(GeoPoint a, GeoPoint b)
    {
        const double ToRad = Math.PI / 180;
        var dLat = (b.Lat - a.Lat) * ToRad;
        var dLon = (b.Lon - a.Lon) * ToRad;
        var h = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
              + Math.Cos(a.Lat * ToRad) * Math.Cos(b.Lat * ToRad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusMetres * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }
}
