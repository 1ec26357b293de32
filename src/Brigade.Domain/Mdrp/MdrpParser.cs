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
            restaurantList.Add(new MdrpRestaurant(f[0], Number(f[1], "restaurants.txt", line), Number(f[2], "restaurants.txt", line)));
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

            orderList.Add(new MdrpOrder(
                f[0], Number(f[1], "orders.txt", line), Number(f[2], "orders.txt", line), Number(f[3], "orders.txt", line), r, Number(f[5], "orders.txt", line)));
        }

        var courierList = new List<MdrpCourier>();
        foreach (var (line, f) in Rows(couriers, "couriers.txt", 5))
        {
            var courier = new MdrpCourier(
                f[0], Number(f[1], "couriers.txt", line), Number(f[2], "couriers.txt", line), Number(f[3], "couriers.txt", line), Number(f[4], "couriers.txt", line));
            // A shift of negative length would be paid a negative guarantee and count as idle time below zero.
            if (courier.OffTime < courier.OnTime)
            {
                throw new FormatException($"couriers.txt line {line}: courier '{f[0]}' goes off at {f[4]} before coming on at {f[3]}.");
            }

            courierList.Add(courier);
        }

        const string ParametersFile = "instance_parameters.txt";
        var (at, p) = Rows(parameters, ParametersFile, 7).FirstOrDefault();
        if (p is null)
        {
            throw new FormatException($"{ParametersFile} has no data line.");
        }

        var parsed = new MdrpParameters(
            Number(p[0], ParametersFile, at), Number(p[1], ParametersFile, at), Number(p[2], ParametersFile, at), Number(p[3], ParametersFile, at),
            Number(p[4], ParametersFile, at), Number(p[5], ParametersFile, at), Number(p[6], ParametersFile, at));
        if (parsed.MetersPerMinute <= 0)
        {
            throw new FormatException($"{ParametersFile} line {at}: meters per minute must be positive, not {p[0]}.");
        }

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

    private static double Number(string text, string file, int line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new FormatException($"{file} line {line}: '{text}' is not a number.");
}
