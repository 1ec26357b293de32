using System.Security.Cryptography;

namespace Brigade.Http;

/// <summary>Order ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford base32), sortable by creation.</summary>
public static class Ids
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string NewOrderId() => NewUlid(DateTimeOffset.UtcNow);

    public static string NewUlid(DateTimeOffset at)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)at.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--) { bytes[i] = (byte)ms; ms >>= 8; }
        RandomNumberGenerator.Fill(bytes[6..]);
        Span<char> chars = stackalloc char[26];
        // 128 bits as 26 base32 digits: the first digit carries the top 3 bits.
        UInt128 value = 0;
        foreach (var b in bytes) value = (value << 8) | b;
        for (var i = 25; i >= 0; i--) { chars[i] = Alphabet[(int)(value & 31)]; value >>= 5; }
        return new string(chars);
    }

    /// <summary>A four-digit code the customer gives the courier at the door.</summary>
    public static string NewHandoffCode() => RandomNumberGenerator.GetInt32(0, 10_000).ToString("0000", System.Globalization.CultureInfo.InvariantCulture);

    public static bool LooksLikeId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
