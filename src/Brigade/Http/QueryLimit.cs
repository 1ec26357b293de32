using System.Globalization;

namespace Brigade.Http;

/// <summary>
/// A <c>limit</c> query parameter: a whole number in a documented range, or the default when left
/// out. Anything else is a 422 that says the range, never a silent clamp or a bare 400.
/// </summary>
public static class QueryLimit
{
    public static bool TryParse(string? text, int defaultValue, int max, out int value, out IResult problem)
    {
        problem = Results.Empty;
        value = defaultValue;
        if (string.IsNullOrEmpty(text)) return true;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value is >= 1 && value <= max) return true;
        problem = Problems.Invalid(new Dictionary<string, string[]> { ["limit"] = [$"limit must be a whole number from 1 to {max}."] });
        return false;
    }
}
