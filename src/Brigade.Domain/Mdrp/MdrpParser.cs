using System.Globalization;

namespace Brigade.Mdrp;

/// <summary>Parses the four instance files (tab-separated, header line first).</summary>
public static class MdrpParser
{
    public static MdrpInstance Parse(string name, TextReader restaurants, TextReader orders, TextReader couriers, TextReader parameters)
    {
        var restaurantList = new List<MdrpRestaurant>();
        foreach (var (line, f) in Rows(restaurants, "restaurants.txt", 3))
        {
            restaurantList.Add(new MdrpRestaurant(f[0], Number(f[1], line), Number(f[2], line)));
        }

        var restaurantIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < restaurantList.Count; i++)
        {
            restaurantIndex[restaurantList[i].Id] = i;
        }

        var orderList = new List<MdrpOrder>();
        foreach (var (line, f) in Rows(orders, "orders.txt", 6))
        {
            if (!restaurantIndex.TryGetValue(f[4], out var r))
            {
                throw new FormatException($"orders.txt line {line}: unknown restaurant '{f[4]}'.");
            }

            orderList.Add(new MdrpOrder(f[0], Number(f[1], line), Number(f[2], line), Number(f[3], line), r, Number(f[5], line)));
        }

        var courierList = new List<MdrpCourier>();
        foreach (var (line, f) in Rows(couriers, "couriers.txt", 5))
        {
            courierList.Add(new MdrpCourier(f[0], Number(f[1], line), Number(f[2], line), Number(f[3], line), Number(f[4], line)));
        }

        var p = Rows(parameters, "instance_parameters.txt", 7).FirstOrDefault().Fields
            ?? throw new FormatException("instance_parameters.txt has no data line.");
        var parsed = new MdrpParameters(
            Number(p[0], 2), Number(p[1], 2), Number(p[2], 2), Number(p[3], 2), Number(p[4], 2), Number(p[5], 2), Number(p[6], 2));
        return new MdrpInstance(name, parsed, restaurantList, orderList, courierList);
    }

    /// <summary>The data rows of a whitespace-separated file after its header line, each with at least <paramref name="columns"/> fields (instances and solutions alike).</summary>
    internal static IEnumerable<(int Line, string[] Fields)> Rows(TextReader reader, string file, int columns)
    {
        _ = reader.ReadLine() ?? throw new FormatException($"{file} is empty (a header line is expected).");
        var line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var fields = text.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < columns)
            {
                throw new FormatException($"{file} line {line}: expected at least {columns} columns, found {fields.Length}.");
            }

            yield return (line, fields);
        }
    }

    private static double Number(string text, int line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new FormatException($"line {line}: '{text}' is not a number.");
}
