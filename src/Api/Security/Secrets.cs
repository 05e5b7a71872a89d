using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Sessions.Api.Security;

/// <summary>
/// How a presented credential is checked against a configured one: both as SHA-256 digests, compared in constant
/// time, so that neither the content nor the length of the secret shows in the timing.
/// </summary>
public static class Secrets
{
    public static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Matches(string presented, ReadOnlySpan<byte> expectedDigest) =>
        CryptographicOperations.FixedTimeEquals(Digest(presented), expectedDigest);

    /// <summary>The user and password of an HTTP Basic <c>Authorization</c> header; false when there is none.</summary>
    public static bool TryReadBasic(HttpRequest request, out string user, out string password)
    {
        (user, password) = ("", "");
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return false;
        }
        Span<byte> decoded = stackalloc byte[header.Parameter.Length];
        if (!Convert.TryFromBase64String(header.Parameter, decoded, out var length))
        {
            return false;
        }
        var credentials = Encoding.UTF8.GetString(decoded[..length]);
        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }
        (user, password) = (credentials[..colon], credentials[(colon + 1)..]);
        return true;
    }

    /// <summary>The token of an HTTP Bearer <c>Authorization</c> header; null when there is none.</summary>
    public static string? ReadBearer(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) && header.Parameter is { Length: > 0 } token
            ? token
            : null;
}
