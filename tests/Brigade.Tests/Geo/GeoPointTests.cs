using Brigade.Geo;

namespace Brigade.Tests.Geo;

public class GeoPointTests
{
    [Theory]
    [InlineData(91, 0)]
    [InlineData(-90.0001, 0)]
    [InlineData(0, 180.5)]
    [InlineData(double.NaN, 0)]
    [InlineData(0, double.PositiveInfinity)]
    public void Rejects_coordinates_out_of_range(double lat, double lon) =>
        Assert.False(GeoPoint.IsValid(lat, lon));

    [Fact]
    public void One_degree_of_latitude_is_about_111_km() =>
        Assert.InRange(GeoPoint.HaversineMetres(new(52, 13), new(53, 13)), 111_000, 111_400);

    [Theory]
    [InlineData(179.0, -179.0, 2.0)]
    [InlineData(-179.0, 179.0, -2.0)]
    [InlineData(13.0, 14.5, 1.5)]
    [InlineData(-180.0, 180.0, 0.0)]
    [InlineData(0.0, 180.0, -180.0)]
    public void Longitude_differences_go_the_short_way_round(double from, double to, double east) =>
        Assert.Equal(east, GeoPoint.LonDelta(from, to), 9);

    [Theory]
    [InlineData(181.0, -179.0)]
    [InlineData(-181.0, 179.0)]
    [InlineData(540.0, -180.0)]
    [InlineData(180.0, 180.0)]
    [InlineData(-180.0, -180.0)]
    [InlineData(13.4, 13.4)]
    public void Longitudes_past_the_antimeridian_wrap_onto_the_same_meridian(double lon, double normal) =>
        Assert.Equal(normal, GeoPoint.NormalizeLon(lon), 9);
}
