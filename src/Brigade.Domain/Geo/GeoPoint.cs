namespace Brigade.Geo;

/// <summary>A WGS84 position in decimal degrees.</summary>
public readonly record struct GeoPoint(double Lat, double Lon)
{
    /// <summary>Mean Earth radius in metres (IUGG).</summary>
    public const double EarthRadiusMetres = 6_371_008.8;

    public static bool IsValid(double lat, double lon) =>
        double.IsFinite(lat) && double.IsFinite(lon) && lat is >= -90 and <= 90 && lon is >= -180 and <= 180;

    public bool IsValid() => IsValid(Lat, Lon);

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
