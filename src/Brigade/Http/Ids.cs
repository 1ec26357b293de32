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

    private static readonly string?[] HandoffCodes = new string?[10_000];

    /// <summary>A four-digit code the customer gives the courier at the door.</summary>
    /// <remarks>
    /// An open order keeps its code in memory, so each of the 10,000 codes is one string shared by
    /// every order that draws it, not a string per order. Two threads making the same code at once
    /// store equal strings: either is right.
    /// </remarks>
    public static string NewHandoffCode()
    {
        var n = RandomNumberGenerator.GetInt32(0, HandoffCodes.Length);
        return HandoffCodes[n] ??= n.ToString("0000", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static bool LooksLikeId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
