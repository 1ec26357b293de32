using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Brigade.Http;

namespace Brigade.Auth;

/// <summary>What a Brigade token says: who, in which role, for staff which outlet, and for how long.</summary>
public sealed record TokenClaims(string Subject, string Role, string? OutletId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// JSON Web Tokens signed with HMAC-SHA256, and nothing else: the header must say <c>HS256</c>
/// (so <c>none</c> and every other algorithm are refused), the signature is compared in constant
/// time, and <c>exp</c>, <c>nbf</c> and <c>iat</c> are checked with a bounded clock skew.
/// </summary>
public static class Jwt
{
    public const int MaxTokenLength = 4096;
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(30);
    private static readonly string Header = Base64Url.EncodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    public static string Issue(ReadOnlySpan<byte> key, TokenClaims claims)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("sub", claims.Subject);
            w.WriteString("role", claims.Role);
            if (claims.OutletId is not null) w.WriteString("outlet", claims.OutletId);
            w.WriteNumber("iat", claims.IssuedAt.ToUnixTimeSeconds());
            w.WriteNumber("nbf", claims.IssuedAt.ToUnixTimeSeconds());
            w.WriteNumber("exp", claims.ExpiresAt.ToUnixTimeSeconds());
            w.WriteEndObject();
        }
        var signingInput = Header + "." + Base64Url.EncodeToString(buffer.ToArray());
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The token's claims, or why it is refused.</summary>
    public static (TokenClaims? Claims, string? Error) Validate(string token, ReadOnlySpan<byte> key, DateTimeOffset now, TimeSpan skew)
    {
        if (skew > MaxSkew) skew = MaxSkew;
        if (skew < TimeSpan.Zero) skew = TimeSpan.Zero;
        if (token.Length is 0 or > MaxTokenLength) return (null, "the token is empty or too long");
        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.IndexOf('.', second + 1) >= 0) return (null, "the token is not a JWT (three dot-separated parts)");

        if (!TryDecode(token.AsSpan(0, first), out var headerBytes)) return (null, "the token's header is not base64url");
        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object ||
                !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "HS256")
                return (null, "the token must be signed with HS256");
        }
        catch (Exception e) when (e is JsonException || IsInvalidUtf8(e))
        {
            return (null, "the token's header is not JSON");
        }

        if (!TryDecode(token.AsSpan(second + 1), out var signature) || signature.Length != 32) return (null, "the token's signature is malformed");
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(token, 0, second), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, signature)) return (null, "the token's signature is wrong");

        if (!TryDecode(token.AsSpan(first + 1, second - first - 1), out var payloadBytes)) return (null, "the token's payload is not base64url");
        try
        {
            using var payload = JsonDocument.Parse(payloadBytes);
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "the token's payload is not a JSON object");
            if (Seconds(root, "exp") is not { } exp) return (null, "the token has no expiry (exp)");
            // The skew moves now, not the claim: a claim at the calendar's edge has no room to move.
            if (now - skew > exp) return (null, "the token has expired");
            if (Seconds(root, "nbf") is { } nbf && now + skew < nbf) return (null, "the token is not valid yet (nbf)");
            var iat = Seconds(root, "iat");
            if (iat is { } issued && now + skew < issued) return (null, "the token was issued in the future (iat)");
            var subject = Text(root, "sub");
            if (subject is null || !Ids.LooksLikeId(subject)) return (null, "the token's subject (sub) is missing or not an id");
            var role = Text(root, "role");
            if (role is not (Roles.Customer or Roles.Staff or Roles.Courier or Roles.Admin)) return (null, "the token's role is not customer, staff, courier or admin");
            var outlet = Text(root, "outlet");
            if (role == Roles.Staff && (outlet is null || !Ids.LooksLikeId(outlet))) return (null, "a staff token must name its outlet");
            return (new TokenClaims(subject, role, role == Roles.Staff ? outlet : null, iat ?? now, exp), null);
        }
        catch (Exception e) when (e is JsonException || IsInvalidUtf8(e))
        {
            return (null, "the token's payload is not JSON");
        }
    }

    // JsonDocument checks the structure but leaves the bytes of strings to GetString, which throws
    // InvalidOperationException on invalid UTF-8. The header is read before the signature is checked,
    // so anyone could otherwise turn a refusal (401) into a server error.
    private static bool IsInvalidUtf8(Exception e) => e is InvalidOperationException { InnerException: DecoderFallbackException };

    private static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0) return false;
        var buffer = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        if (Base64Url.DecodeFromChars(text, buffer, out var consumed, out var written) != System.Buffers.OperationStatus.Done || consumed != text.Length) return false;
        bytes = buffer[..written];
        return true;
    }

    private static DateTimeOffset? Seconds(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var s) && s is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
