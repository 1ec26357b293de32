using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Brigade.Http;

/// <summary>
/// Signed webhooks, both ways: <c>Brigade-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c>.
/// The signature covers the raw body bytes and the timestamp, so a changed body or a replayed old
/// message is refused.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Brigade-Signature";

    public static string Sign(ReadOnlySpan<byte> secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>Null when the signature is right and fresh; else why not.</summary>
    public static string? Verify(string? header, ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header)) return $"the {Header} header is missing";
        string? t = null;
        var candidates = new List<byte[]>();
        foreach (var part in header.Split(','))
        {
            var kv = part.Trim();
            if (kv.StartsWith("t=", StringComparison.Ordinal)) t = kv[2..];
            else if (kv.StartsWith("v1=", StringComparison.Ordinal))
            {
                try { candidates.Add(Convert.FromHexString(kv[3..])); }
                catch (FormatException) { }
            }
        }
        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
            return "the signature has no valid timestamp";
        var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((now - at).Duration() > tolerance) return "the signature's timestamp is outside the allowed tolerance";
        var expected = Mac(secret, t, body);
        foreach (var c in candidates)
            if (CryptographicOperations.FixedTimeEquals(expected, c)) return null;
        return "the signature does not match the body";
    }

    private static byte[] Mac(ReadOnlySpan<byte> secret, string t, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(t + ".");
        var data = new byte[prefix.Length + body.Length];
        prefix.CopyTo(data, 0);
        body.CopyTo(data.AsSpan(prefix.Length));
        return HMACSHA256.HashData(secret, data);
    }
}
