using System.Text.Json;

namespace Brigade.Orders;

/// <summary>
/// Order statuses as the API writes them (camelCase, as its JSON enum converter does), formatted
/// once: summary rows, SSE event names, problems and gauges look them up instead of converting.
/// </summary>
public static class StatusNames
{
    private static readonly string[] Names = Enum.GetValues<OrderStatus>().Select(s => JsonNamingPolicy.CamelCase.ConvertName(s.ToString())).ToArray();

    /// <summary>How many statuses there are; they are numbered from 0.</summary>
    public static int Count => Names.Length;

    public static string Of(OrderStatus status) => Names[(int)status];
}
