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
}
