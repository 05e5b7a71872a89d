using System.Buffers.Text;
using System.Text.Json;

namespace Sessions.Client.Keeping;

/// <summary>
/// The claims the keeper works by: <c>exp</c>, <c>iat</c> and <c>cnf.jkt</c> (when to refresh, whether to send proofs) and <c>sid</c>
/// (the family a logout revokes). Read, not verified: the service signed them for resource servers, which verify them.
/// </summary>
internal readonly record struct TokenClaims(DateTimeOffset? ExpiresAt, string? DeviceKeyThumbprint, string? FamilyId = null, DateTimeOffset? IssuedAt = null)
{
    public static TokenClaims Read(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            throw new SessionsUnavailableException("The service answered a token that is not a JWT.");
        }
        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var root = payload.RootElement;
            DateTimeOffset? expiresAt = root.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
            DateTimeOffset? issuedAt = root.TryGetProperty("iat", out var iat) && iat.TryGetInt64(out var issuedSeconds)
                ? DateTimeOffset.FromUnixTimeSeconds(issuedSeconds)
                : null;
            var thumbprint = root.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object
                && cnf.TryGetProperty("jkt", out var jkt) && jkt.ValueKind == JsonValueKind.String
                    ? jkt.GetString()
                    : null;
            var familyId = root.TryGetProperty("sid", out var sid) && sid.ValueKind == JsonValueKind.String ? sid.GetString() : null;
            return new TokenClaims(expiresAt, thumbprint, familyId, issuedAt);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new SessionsUnavailableException("The service answered a token whose payload is unreadable.", e);
        }
    }
}
