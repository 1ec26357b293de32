using System.Globalization;

namespace Brigade.Http;

/// <summary>
/// A <c>before</c> query parameter, the cursor of a list read back through the log: a log position
/// (a whole number from 1), or none (from the newest). Anything else is a 422, as for <see cref="QueryLimit"/>.
/// </summary>
public static class QueryBefore
{
    public static bool TryParse(string? text, out long value, out IResult problem)
    {
        problem = Results.Empty;
        value = long.MaxValue;
        if (string.IsNullOrEmpty(text)) return true;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1) return true;
        problem = Problems.Invalid(new Dictionary<string, string[]> { ["before"] = ["before must be a log position: a whole number from 1."] });
        return false;
    }
}
